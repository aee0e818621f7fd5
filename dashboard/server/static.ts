// Serves the built Svelte app (dashboard/app/dist). The files are listed once at start-up and only those are
// served, so no request path ever reaches the file system (no traversal). Vite's hashed assets are cached for
// a year; index.html is revalidated so a new build shows up on reload. Unknown non-API paths get index.html.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  type: string;
  cacheControl: string;
}

/** URL path (e.g. '/assets/index-3f2a.js') -> file, for every file under `dir`; empty when `dir` is missing. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (current: string) => {
    let entries: string[];
    try {
      entries = readdirSync(current);
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(current, entry);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const url = `/${relative(dir, full).split(sep).join('/')}`;
      files.set(url, {
        body: readFileSync(full),
        type: types[extname(entry).toLowerCase()] ?? 'application/octet-stream',
        cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  };
  walk(dir);
  return files;
}

/** Shown when the app has not been built (the composition root normally builds it first). */
export function notBuiltPage(dir: string): StaticFile {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>linepulse</title></head>
<body style="font-family: system-ui, sans-serif; padding: 2rem">
<h1>linepulse</h1><p>The dashboard app is not built (no <code>${escapeHtml(dir)}/index.html</code>).
Run <code>npm run build:dashboard</code> and reload. The API is at <a href="/api/health">/api/health</a>.</p></body></html>`;
  return { body: Buffer.from(html), type: 'text/html; charset=utf-8', cacheControl: 'no-cache' };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
