/**
 * Serves the built dashboard (dashboard/dist) from memory: files are small and few. Hashed assets
 * are cached for a year; index.html never, so a new build shows at the next load. Unknown paths
 * that are not files get index.html (the app routes on the client).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative } from 'node:path';
import type { TemplatedApp } from 'uWebSockets.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const FALLBACK = `<!doctype html><meta charset="utf-8"><title>AutoWatch</title>
<body style="font:16px system-ui;margin:3rem"><h1>AutoWatch</h1><p>The dashboard is not built. Run <code>make build</code>.
The API is at <a href="/api/v1/health">/api/v1/health</a>.</p></body>`;

export function serveDashboard(app: TemplatedApp, dir: string): void {
  const files = new Map<string, StaticFile>();
  let root: string[] = [];
  try {
    root = walk(dir);
  } catch {
    // not built: the fallback page says how to build it
  }
  for (const full of root) {
    const body = readFileSync(full);
    const path = '/' + relative(dir, full).split('\\').join('/');
    files.set(path, {
      body,
      type: TYPES[extname(full)] ?? 'application/octet-stream',
      etag: '"' + createHash('sha1').update(body).digest('base64url').slice(0, 16) + '"',
      immutable: path.startsWith('/assets/'),
    });
  }
  const index = files.get('/index.html') ?? { body: Buffer.from(FALLBACK), type: TYPES['.html'], etag: '"fallback"', immutable: false };

  app.get('/*', (res, req) => {
    const url = req.getUrl();
    const file = files.get(url) ?? (url.startsWith('/api/') || url.startsWith('/assets/') ? undefined : index);
    const ifNoneMatch = req.getHeader('if-none-match');
    res.cork(() => {
      if (!file) {
        res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain').end('not found');
        return;
      }
      // uWS sends the status line with the first header: the status is written before any header.
      const notModified = ifNoneMatch === file.etag;
      if (notModified) res.writeStatus('304 Not Modified');
      res.writeHeader('etag', file.etag);
      res.writeHeader('x-content-type-options', 'nosniff');
      res.writeHeader('referrer-policy', 'no-referrer');
      if (file.type.startsWith('text/html')) {
        res.writeHeader(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        );
      }
      res.writeHeader('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (notModified) {
        res.endWithoutBody();
        return;
      }
      res.writeHeader('content-type', file.type).end(file.body);
    });
  });
}
