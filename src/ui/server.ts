// Serves the built-in web UI: the SPA routes get index.html (never cached, so a new build is picked up
// at once), /static/* the bundled assets (long-lived cache when requested with the build's ?v= hash,
// revalidated by ETag otherwise), gzip when the client accepts it. Everything is read from
// src/ui/dist/ once and kept in memory.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from '../observability/http.ts';

export interface UiHandlerOptions {
  /** API path prefix the UI calls (default "/api/v1"). */
  apiPrefix?: string;
  /** Directory with the built bundle (default: src/ui/dist next to this file). */
  distDir?: string;
}

/** Client-side routes that render the single-page app. */
export const UI_ROUTES: readonly string[] = ['/', '/graph', '/stores', '/blocks', '/tenants', '/status'];

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  /** Content hash the build puts into index.html as ?v=… (first 12 hex digits of SHA-256). */
  version: string;
}

function makeAsset(type: string, body: Buffer): Asset {
  const sha = createHash('sha256').update(body).digest('hex');
  const gz = body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return { type, body, gzip: gz && gz.length < body.length ? gz : null, etag: `"${sha.slice(0, 32)}"`, version: sha.slice(0, 12) };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function send(req: IncomingMessage, res: ServerResponse, a: Asset, cacheControl: string): void {
  const headers: Record<string, string> = {
    'Content-Type': a.type,
    'Cache-Control': cacheControl,
    ETag: a.etag,
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
  };
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === a.etag || t.trim() === `W/${a.etag}`)) {
    res.writeHead(304, headers).end();
    return;
  }
  const gz = a.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gz ? a.gzip! : a.body;
  if (gz) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function createUiHandler(opts: UiHandlerOptions = {}): Handler {
  const dir = opts.distDir ?? join(import.meta.dirname, 'dist');
  const prefix = (opts.apiPrefix ?? '/api/v1').replace(/\/+$/, '') || '/api/v1';
  let assets: Map<string, Asset> | null = null;
  let index: Asset | null = null;
  const load = (): void => {
    if (assets) return;
    const m = new Map<string, Asset>();
    for (const f of ['app.js', 'app.css']) m.set(f, makeAsset(CONTENT_TYPES[f.slice(f.lastIndexOf('.'))]!, readFileSync(join(dir, f))));
    const html = readFileSync(join(dir, 'index.html'), 'utf8').replace('%API_PREFIX%', escapeAttr(prefix));
    index = makeAsset(CONTENT_TYPES['.html']!, Buffer.from(html));
    assets = m;
  };

  return (req, res, url) => {
    const path = url.pathname;
    const isRoute = UI_ROUTES.includes(path) || (path.length > 1 && path.endsWith('/') && UI_ROUTES.includes(path.slice(0, -1)));
    const isStatic = path.startsWith('/static/');
    if (!isRoute && !isStatic) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }).end('Method Not Allowed\n');
      return true;
    }
    load();
    if (isRoute) {
      send(req, res, index!, 'no-cache');
      return true;
    }
    const a = assets!.get(path.slice('/static/'.length));
    if (!a) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return true;
    }
    // Immutable only when the URL names this exact build; otherwise revalidate.
    const v = url.searchParams.get('v');
    send(req, res, a, v === a.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    return true;
  };
}
