// Builds the dashboard app when dashboard/app/dist is missing or older than its sources, so `npm install &&
// npm start` on a fresh clone serves the page with no separate build step (about 3 s on 2 cores). vite is a
// dev dependency: without it (a production install) the existing build is served as it is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Vite from 'vite';
import type { Logger } from '../../platform/log.ts';

const dashboardDir = fileURLToPath(new URL('../', import.meta.url));
const appDir = join(dashboardDir, 'app');
export const distDir = join(appDir, 'dist');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/index.html is missing or older than a source of the app. */
export function dashboardBuildIsStale(): boolean {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [join(appDir, 'src'), join(appDir, 'index.html'), join(appDir, 'public'), join(dashboardDir, 'vite.config.ts')].filter((p) => existsSync(p));
  return sources.some((source) => newestMtime(source) > built);
}

/** Builds the app if it is stale; returns whether it built. */
export async function ensureDashboardBuilt(logger: Logger): Promise<boolean> {
  if (!dashboardBuildIsStale()) return false;
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch {
    logger.warn({ distDir }, 'dashboard app build is missing or stale and vite is not installed (npm install without --omit=dev)');
    return false;
  }
  const started = Date.now();
  logger.info('building the dashboard app');
  await vite.build({ configFile: join(dashboardDir, 'vite.config.ts'), logLevel: 'warn' });
  logger.info({ ms: Date.now() - started }, 'dashboard app built');
  return true;
}
