// The signed-in session of the app: tokens from POST /api/auth/login (or a kiosk token from a wall's URL), a
// fetch that carries the access token and refreshes it when it is about to expire (or was refused), and the
// user's roles. When the server runs without auth (its OpenAPI document has no login route) the app runs open.
//
// The access token lives in memory only; the refresh token (and a kiosk token) in localStorage, so a reload or a
// wall display's restart does not ask for the password again.
import type { Role } from '../../../server/auth/policy.ts';

export type { Role };

export interface SessionUser {
  username: string;
  displayName: string | null;
  roles: Role[];
  kiosk: boolean;
}

export interface SessionTokens {
  accessToken: string;
  refreshToken: string | null;
  /** Access token expiry, epoch ms. */
  expiresAt: number;
}

export type AuthMode = 'off' | 'signed-in' | 'signed-out';

const refreshKey = 'linepulse.refresh';
const kioskKey = 'linepulse.kiosk';

/** Renew the access token this long before it expires. */
export const refreshMarginMs = 60_000;

export function needsRefresh(expiresAt: number, now: number): boolean {
  return expiresAt - now <= refreshMarginMs;
}

/** A kiosk link carries its token in the hash (never sent to the server): `#wall&token=<jwt>`. */
export function kioskTokenFromHash(hash: string): { token: string | null; hash: string } {
  const parts = hash.replace(/^#/, '').split('&');
  const token = parts.find((p) => p.startsWith('token='))?.slice('token='.length) ?? null;
  return { token: token ? decodeURIComponent(token) : null, hash: parts.filter((p) => !p.startsWith('token=')).join('&') };
}

/** The expiry (epoch ms) written in a JWT, or 0 when unreadable. The server checks the signature; this only schedules refreshes. */
export function jwtExpiry(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export interface Session {
  mode: AuthMode;
  user: SessionUser | null;
}

type Listener = (session: Session) => void;

let tokens: SessionTokens | null = null;
let current: Session = { mode: 'signed-out', user: null };
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

function publish(next: Session): void {
  current = next;
  for (const l of listeners) l(current);
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function session(): Session {
  return current;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

async function refresh(): Promise<boolean> {
  const refreshToken = tokens?.refreshToken ?? storage()?.getItem(refreshKey) ?? null;
  if (!refreshToken) return false;
  refreshing ??= (async () => {
    try {
      const response = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
      if (!response.ok) {
        storage()?.removeItem(refreshKey);
        tokens = null;
        return false;
      }
      adopt((await response.json()) as LoginAnswer);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

interface LoginAnswer {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  user: SessionUser;
}

function adopt(answer: LoginAnswer): void {
  tokens = { accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: answer.expiresAt };
  storage()?.setItem(refreshKey, answer.refreshToken);
  publish({ mode: 'signed-in', user: answer.user });
}

/** The access token to send now (refreshed when it is about to expire), or null (no session, or auth is off). */
export async function accessToken(): Promise<string | null> {
  if (current.mode === 'off') return null;
  if (tokens && !needsRefresh(tokens.expiresAt, Date.now())) return tokens.accessToken;
  if (tokens?.refreshToken === null) return tokens.accessToken; // a kiosk token is not refreshed
  if (await refresh()) return tokens?.accessToken ?? null;
  return null;
}

/** fetch with the session's token; a 401 refreshes once and retries, then signs out. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const send = async (token: string | null) =>
    fetch(path, { ...init, headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  let response = await send(await accessToken());
  if (response.status === 401 && current.mode !== 'off') {
    if (tokens?.refreshToken && (await refresh())) response = await send(tokens?.accessToken ?? null);
    if (response.status === 401) signOut();
  }
  return response;
}

/** JSON of a GET (or a POST with a body); throws with the server's message on an error answer. */
export async function apiJson<T>(path: string, body?: unknown): Promise<T> {
  const response = await apiFetch(path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  const data = (await response.json().catch(() => null)) as (T & { message?: string }) | null;
  if (!response.ok) throw new Error(data?.message ?? `HTTP ${response.status}`);
  return data as T;
}

/** Finds out whether the server wants a login, and restores a session (kiosk token from the URL, stored refresh token). */
export async function startSession(location: Location = window.location, history: History = window.history): Promise<Session> {
  const fromHash = kioskTokenFromHash(location.hash);
  if (fromHash.token) {
    storage()?.setItem(kioskKey, fromHash.token);
    history.replaceState(null, '', `${location.pathname}${location.search}${fromHash.hash ? `#${fromHash.hash}` : ''}`);
  }
  const kiosk = storage()?.getItem(kioskKey) ?? null;
  if (kiosk && new URLSearchParams(location.search).get('kiosk') === '1') tokens = { accessToken: kiosk, refreshToken: null, expiresAt: jwtExpiry(kiosk) };
  // Whether the server wants logins: its API description lists the login route (both are public, and asking
  // costs no failed request in the console).
  const described = await fetch('/api/openapi.json', { headers: { accept: 'application/json' } })
    .then((r) => (r.ok ? (r.json() as Promise<{ paths?: Record<string, unknown> }>) : null))
    .catch(() => null);
  if (described && !described.paths?.['/api/auth/login']) {
    publish({ mode: 'off', user: { username: 'local', displayName: null, roles: ['admin'], kiosk: false } });
    return current;
  }
  if (!tokens && !(await refresh())) {
    publish({ mode: 'signed-out', user: null });
    return current;
  }
  const response = await fetch('/api/auth/me', { headers: { accept: 'application/json', authorization: `Bearer ${tokens?.accessToken ?? ''}` } });
  if (response.ok) {
    const me = (await response.json()) as { user: SessionUser };
    publish({ mode: 'signed-in', user: me.user });
  } else {
    tokens = null;
    publish({ mode: 'signed-out', user: null });
  }
  return current;
}

export async function login(username: string, password: string): Promise<void> {
  const response = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await response.json().catch(() => ({}))) as LoginAnswer & { message?: string };
  if (!response.ok) throw new Error(response.status === 429 ? 'Too many failed attempts. Try again in 5 minutes.' : response.status === 401 ? 'Wrong username or password.' : (body.message ?? `HTTP ${response.status}`));
  adopt(body);
}

export function signOut(): void {
  tokens = null;
  storage()?.removeItem(refreshKey);
  storage()?.removeItem(kioskKey);
  publish({ mode: 'signed-out', user: null });
}
