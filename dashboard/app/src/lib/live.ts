// The app's connection to the dashboard server: Socket.IO for live updates, the REST API to resync.
// On every (re)connect the app fetches /api/counts for its scope, so a tile never stays stale after a gap; the
// server also sends a snapshot on connect, and both merge by revision (lib/counts.ts), so order does not matter.
import { io, type Socket } from 'socket.io-client';
import { accessToken, apiFetch } from './session.ts';
import type { ConnectionState, CountsSnapshot, CountTotalView } from './types.ts';

export interface LiveConnectionOptions {
  /** Server origin; '' = the page's own. */
  baseUrl?: string;
  scope: string;
  onState(state: ConnectionState, detail?: string): void;
  onTotals?(views: CountTotalView[], source: 'snapshot' | 'resync' | 'live'): void;
  /** Other live events by name (oeeWindow, equipmentState, alert, spcAlarm): sinks/live/updates.ts. */
  on?: Record<string, (payload: never) => void>;
  /** After every (re)connect: resync what the view shows from the REST API. */
  onConnect?(): void;
  /** After this long without a connection the state turns from 'reconnecting' to 'offline'. Default 10 s. */
  offlineAfterMs?: number;
}

export interface LiveConnection {
  setScope(scope: string): void;
  /** Sends the current access token to the server (after a refresh), so the socket's session does not end. */
  renew(): Promise<void>;
  close(): void;
}

export function countsUrl(baseUrl: string, scope: string): string {
  const query = scope ? `?scope=${encodeURIComponent(scope)}` : '';
  return `${baseUrl}/api/counts${query}`;
}

export function connectLive(options: LiveConnectionOptions): LiveConnection {
  const baseUrl = options.baseUrl ?? '';
  let scope = options.scope;
  let closed = false;
  let offlineTimer: ReturnType<typeof setTimeout> | null = null;
  const offlineAfterMs = options.offlineAfterMs ?? 10_000;

  const socket: Socket = io(baseUrl || undefined, {
    // The session's access token (renewed before it expires) goes with every handshake, so a reconnect after the
    // server ended an expired session carries a fresh one.
    auth: (cb) => {
      void accessToken().then(
        (token) => cb(token ? { scope, token } : { scope }),
        () => cb({ scope }),
      );
    },
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    // A connection attempt that hangs (a network that drops packets) is given up after 5 s, not the default 20 s,
    // so a wall display is live again within seconds of the network coming back.
    timeout: 5_000,
  });

  async function resync(): Promise<void> {
    try {
      const response = await apiFetch(countsUrl(baseUrl, scope));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const snapshot = (await response.json()) as CountsSnapshot;
      if (!closed && snapshot.scope === scope) options.onTotals?.(snapshot.totals, 'resync');
    } catch (error) {
      // The socket's own snapshot still arrives; the next reconnect retries.
      console.warn('linepulse: resync from /api/counts failed', error);
    }
  }

  function clearOfflineTimer(): void {
    if (offlineTimer) clearTimeout(offlineTimer);
    offlineTimer = null;
  }

  options.onState('connecting');
  socket.on('connect', () => {
    clearOfflineTimer();
    options.onState('live');
    if (options.onTotals) void resync();
    options.onConnect?.();
  });
  socket.on('disconnect', (reason) => {
    if (closed) return;
    options.onState('reconnecting', reason);
    clearOfflineTimer();
    offlineTimer = setTimeout(() => options.onState('offline', reason), offlineAfterMs);
    // A server-side disconnect is not retried by Socket.IO on its own.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect_error', (error) => {
    // A refused handshake (session expired) is not retried by Socket.IO: retry with a fresh token shortly.
    if (!closed && !socket.active) setTimeout(() => !closed && socket.connect(), 2_000);
    if (closed || offlineTimer) return;
    options.onState('reconnecting', error.message);
    offlineTimer = setTimeout(() => options.onState('offline', error.message), offlineAfterMs);
  });
  socket.on('snapshot', (snapshot: CountsSnapshot) => {
    if (snapshot.scope === scope) options.onTotals?.(snapshot.totals, 'snapshot');
  });
  socket.on('countTotal', (view: CountTotalView) => options.onTotals?.([view], 'live'));
  for (const [event, handler] of Object.entries(options.on ?? {})) socket.on(event, handler as (payload: unknown) => void);

  // Keeps the socket's session alive: every minute the token is renewed if it is about to expire, then sent.
  let lastToken: string | null = null;
  const renewer = setInterval(() => {
    void accessToken().then((token) => {
      if (token && token !== lastToken && socket.connected) socket.emit('auth', { token });
      lastToken = token;
    });
  }, 60_000);

  return {
    setScope(next) {
      scope = next;
      if (socket.connected) socket.emit('subscribe', { scope: next });
    },
    async renew() {
      const token = await accessToken();
      if (token && socket.connected) socket.emit('auth', { token });
    },
    close() {
      closed = true;
      clearInterval(renewer);
      clearOfflineTimer();
      socket.close();
    },
  };
}
