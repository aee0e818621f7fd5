// First-run secrets of the single-machine deployment (`linepulse start`): when the operator has not given an admin
// password or a JWT key, random ones are created once under <dataDir>/secrets (mode 0600) and reused after a
// restart, so the dashboard is never open without a login and sessions survive restarts. Never printed or logged:
// the start-up line names the file.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSecrets {
  /** Environment to hand to the auth settings: the operator's variables win. */
  env: Record<string, string | undefined>;
  /** The admin password file, when linepulse made it (null: the operator set one). */
  adminPasswordFile: string | null;
}

export function ensureLocalSecrets(dataDir: string, env: Record<string, string | undefined> = process.env): LocalSecrets {
  const dir = join(dataDir, 'secrets');
  const out: Record<string, string | undefined> = { ...env };
  let adminPasswordFile: string | null = null;
  const ensure = (file: string, make: () => string) => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(path, make(), { mode: 0o600 });
      chmodSync(path, 0o600);
    }
    return path;
  };
  if (!env.LINEPULSE_ADMIN_PASSWORD && !env.LINEPULSE_ADMIN_PASSWORD_FILE) {
    adminPasswordFile = ensure('admin-password', () => randomBytes(12).toString('base64url'));
    out.LINEPULSE_ADMIN_PASSWORD_FILE = adminPasswordFile;
  }
  if (!env.LINEPULSE_JWT_SECRET && !env.LINEPULSE_JWT_SECRET_FILE) {
    out.LINEPULSE_JWT_SECRET_FILE = ensure('jwt-secret', () => randomBytes(48).toString('base64url'));
  }
  return { env: out, adminPasswordFile };
}
