/**
 * The web dashboard's static files (built by scripts/build.mjs into dist/web/), served open — they
 * hold no data; every call they make carries the token. GET paths outside /api, /mcp, /healthz and
 * /metrics are files when one exists, else index.html (the dashboard routes with the history API).
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import { maybeGzip } from './gzip.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Scripts and styles from the server itself only: no CDN, no inline script. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const API_PATH = /^\/(api|mcp|healthz|metrics)(\/|$)/;

/**
 * Where the built dashboard is: dist/web next to the bundle (dist/*.js), or from the sources
 * (src/server/) the repository's dist/web.
 */
export function defaultDashboardDir(): string {
  const candidates = ['./web', '../../dist/web'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

export function dashboard(dir: string = defaultDashboardDir()): MiddlewareHandler {
  const root = normalize(dir);
  return async (c, next) => {
    const method = c.req.method;
    if ((method !== 'GET' && method !== 'HEAD') || API_PATH.test(c.req.path)) return next();
    let path: string;
    try {
      path = normalize(join(root, decodeURIComponent(c.req.path)));
    } catch {
      return next();
    }
    if (path !== root && !path.startsWith(root + sep)) return next();
    const found = existsSync(path) ? statSync(path) : undefined;
    const isFile = found?.isFile() ?? false;
    // A missing asset is a 404; any other path is a page of the dashboard.
    if (!isFile && extname(path) !== '') return c.notFound();
    const file = isFile ? path : join(root, 'index.html');
    if (!existsSync(file)) {
      return c.text(
        `The dashboard is not built (no ${file}): run 'npm run build' in the bosun repository.\n`,
        404,
      );
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${sep}assets${sep}`);
    const { mtimeMs, size } = isFile ? found! : statSync(file);
    const load = () => readFileSync(file);
    const sent = /^(text|application\/json|image\/svg)/.test(type)
      ? maybeGzip(c.req.header('accept-encoding'), `${file}@${mtimeMs}/${size}`, load)
      : { body: load(), headers: {} };
    return c.body(sent.body, 200, {
      ...sent.headers,
      'content-type': type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  };
}
