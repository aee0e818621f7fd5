// Auth settings from the environment. Secrets come from a variable or, better, a file (`*_FILE`, e.g. a Docker or
// Kubernetes secret mount); a file wins over the variable. Values are validated, never logged.
//
//   LINEPULSE_JWT_SECRET[_FILE]      HS256 key, at least 32 bytes. Unset: a random key per process (every session
//                                    ends when the process restarts; kiosk tokens too), with a warning.
//   LINEPULSE_ADMIN_PASSWORD[_FILE]  Seeds the user `admin` (role admin) when it does not exist yet (>= 8 chars).
//   LINEPULSE_ACCESS_TTL_S           Access token lifetime, default 900 (15 min).
//   LINEPULSE_REFRESH_TTL_S          Refresh token lifetime, default 43200 (12 h: a shift and then some).
//   LINEPULSE_KIOSK_TTL_S            Kiosk token lifetime, default 31536000 (365 days).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../../platform/errors.ts';

export const authEnvSchema = z.object({
  LINEPULSE_JWT_SECRET: z.string().optional(),
  LINEPULSE_JWT_SECRET_FILE: z.string().optional(),
  LINEPULSE_ADMIN_PASSWORD: z.string().optional(),
  LINEPULSE_ADMIN_PASSWORD_FILE: z.string().optional(),
  LINEPULSE_ACCESS_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
  LINEPULSE_REFRESH_TTL_S: z.coerce.number().int().min(60).max(30 * 86_400).default(43_200),
  LINEPULSE_KIOSK_TTL_S: z.coerce.number().int().min(60).max(5 * 365 * 86_400).default(365 * 86_400),
});

export interface AuthSettings {
  secret: Uint8Array;
  /** True when no secret was configured and a random one is used. */
  ephemeralSecret: boolean;
  adminPassword: string | null;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  kioskTtlSeconds: number;
}

function fromFileOrValue(env: Record<string, string | undefined>, name: string): string | null {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`environment variable ${name}_FILE`, `cannot read the file it names (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

export function readAuthSettings(env: Record<string, string | undefined> = process.env): AuthSettings {
  const parsed = authEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment variable ${String(issue?.path[0] ?? '')}`, issue?.message ?? 'invalid');
  }
  const secretText = fromFileOrValue(env, 'LINEPULSE_JWT_SECRET');
  if (secretText !== null && Buffer.byteLength(secretText) < 32)
    throw new ConfigError('environment variable LINEPULSE_JWT_SECRET', 'too short: use at least 32 bytes (e.g. `openssl rand -base64 48`)');
  const adminPassword = fromFileOrValue(env, 'LINEPULSE_ADMIN_PASSWORD');
  if (adminPassword !== null && adminPassword.length < 8) throw new ConfigError('environment variable LINEPULSE_ADMIN_PASSWORD', 'too short: at least 8 characters');
  return {
    secret: secretText !== null ? new Uint8Array(Buffer.from(secretText)) : new Uint8Array(randomBytes(48)),
    ephemeralSecret: secretText === null,
    adminPassword,
    accessTtlSeconds: parsed.data.LINEPULSE_ACCESS_TTL_S,
    refreshTtlSeconds: parsed.data.LINEPULSE_REFRESH_TTL_S,
    kioskTtlSeconds: parsed.data.LINEPULSE_KIOSK_TTL_S,
  };
}
