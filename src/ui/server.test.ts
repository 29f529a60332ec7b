import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HttpServer } from '../observability/http.ts';
import { createUiHandler, UI_ROUTES } from './server.ts';

async function withServer(opts: Parameters<typeof createUiHandler>[0], fn: (base: string) => Promise<void>): Promise<void> {
  const api = (_req: unknown, res: import('node:http').ServerResponse, url: URL): boolean => {
    if (!url.pathname.startsWith('/api/')) return false;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"success","data":[]}');
    return true;
  };
  const srv = new HttpServer({ address: '127.0.0.1:0', handlers: [api, createUiHandler(opts)] });
  const { port } = await srv.listen();
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    await srv.close();
  }
}

async function fixtureDist(): Promise<{ dir: string; js: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-ui-dist-'));
  const js = `console.log(${JSON.stringify('x'.repeat(5000))});\n`;
  await writeFile(join(dir, 'app.js'), js);
  await writeFile(join(dir, 'app.css'), 'body{margin:0}\n');
  const v = createHash('sha256').update(js).digest('hex').slice(0, 12);
  await writeFile(join(dir, 'index.html'), `<!doctype html><meta name="strata-api-prefix" content="%API_PREFIX%"><script src="/static/app.js?v=${v}"></script>\n`);
  return { dir, js, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('SPA routes serve index.html uncached with the API prefix filled in', async () => {
  const f = await fixtureDist();
  try {
    await withServer({ distDir: f.dir, apiPrefix: '/prefix/api/v1/' }, async (base) => {
      for (const p of [...UI_ROUTES, '/graph/', '/stores/']) {
        const r = await fetch(base + p);
        assert.equal(r.status, 200, p);
        assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(r.headers.get('cache-control'), 'no-cache');
        const body = await r.text();
        assert.match(body, /<meta name="strata-api-prefix" content="\/prefix\/api\/v1">/);
      }
      // The query string does not change routing (the graph page keeps its state there).
      assert.equal((await fetch(`${base}/graph?g0.expr=up`)).status, 200);
      // API and unknown paths fall through to other handlers / the 404.
      assert.equal((await fetch(`${base}/api/v1/labels`)).status, 200);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
      assert.equal((await fetch(`${base}/graphx`)).status, 404);
    });
  } finally {
    await f.cleanup();
  }
});

test('the API prefix is HTML-escaped into the page', async () => {
  const f = await fixtureDist();
  try {
    await withServer({ distDir: f.dir, apiPrefix: '/a"><script>' }, async (base) => {
      const body = await (await fetch(base + '/')).text();
      assert.ok(!body.includes('"><script>'));
      assert.match(body, /content="\/a&quot;&gt;&lt;script&gt;"/);
    });
  } finally {
    await f.cleanup();
  }
});

test('static assets: content types, immutable caching only for the build hash, ETag revalidation, gzip, HEAD', async () => {
  const f = await fixtureDist();
  try {
    await withServer({ distDir: f.dir }, async (base) => {
      const html = await (await fetch(base + '/')).text();
      const src = /src="([^"]+)"/.exec(html)![1]!;
      const hashed = await fetch(base + src, { headers: { 'Accept-Encoding': 'identity' } });
      assert.equal(hashed.status, 200);
      assert.equal(hashed.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.equal(hashed.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(hashed.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(await hashed.text(), f.js);
      const etag = hashed.headers.get('etag')!;
      assert.match(etag, /^"[0-9a-f]{32}"$/);

      const plain = await fetch(`${base}/static/app.js`);
      assert.equal(plain.headers.get('cache-control'), 'no-cache');
      await plain.arrayBuffer();
      const stale = await fetch(`${base}/static/app.js?v=000000000000`);
      assert.equal(stale.headers.get('cache-control'), 'no-cache');
      await stale.arrayBuffer();

      const css = await fetch(`${base}/static/app.css`);
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.equal(await css.text(), 'body{margin:0}\n');

      const revalidate = await fetch(`${base}/static/app.js`, { headers: { 'If-None-Match': etag } });
      assert.equal(revalidate.status, 304);
      assert.equal((await revalidate.arrayBuffer()).byteLength, 0);

      // Raw HTTP so the body stays compressed (fetch would decode it).
      const { request } = await import('node:http');
      const gz = await new Promise<{ headers: import('node:http').IncomingHttpHeaders; body: Buffer }>((res, rej) => {
        const req = request(`${base}/static/app.js`, { headers: { 'Accept-Encoding': 'gzip, br' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => res({ headers: r.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', rej);
        req.end();
      });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.ok(gz.body.length < f.js.length / 10);
      assert.equal(gunzipSync(gz.body).toString(), f.js);

      const head = await fetch(`${base}/static/app.js`, { method: 'HEAD', headers: { 'Accept-Encoding': 'identity' } });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(f.js)));
      assert.equal((await head.arrayBuffer()).byteLength, 0);

      assert.equal((await fetch(`${base}/static/missing.js`)).status, 404);
      assert.equal((await fetch(`${base}/static/../server.ts`)).status, 404); // URL normalisation keeps it outside /static
      assert.equal((await fetch(`${base}/static/%2e%2e%2fserver.ts`)).status, 404);
      const post = await fetch(`${base}/graph`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
    });
  } finally {
    await f.cleanup();
  }
});

test('the checked-in bundle is served by default', async () => {
  await withServer({}, async (base) => {
    const html = await (await fetch(base + '/')).text();
    assert.match(html, /content="\/api\/v1"/);
    for (const m of html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)) {
      const r = await fetch(base + m[1]!);
      assert.equal(r.status, 200, m[1]);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable', `${m[1]} hash matches the file`);
      assert.ok((await r.arrayBuffer()).byteLength > 1000);
    }
  });
});
