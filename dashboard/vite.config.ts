// Builds the dashboard app (dashboard/app) into dashboard/app/dist, which the dashboard server serves.
// `npm run build:dashboard` runs it; `linepulse dashboard` and `linepulse start` build it when it is missing or
// older than its sources. For UI work, `npx vite --config dashboard/vite.config.ts` serves the app with hot
// reload and proxies /api and /socket.io to a running dashboard server (LINEPULSE_DASHBOARD_URL, default
// http://127.0.0.1:3000).
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./app/', import.meta.url));
const backend = process.env.LINEPULSE_DASHBOARD_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});
