// Browser tests of the UI pages against a fixture API that answers in Prometheus/Thanos response
// shapes (Thanos' /api/v1/stores EndpointStatus map, the bucket-web blocks list, Strata's tenant
// stats), including failures and very large results. Real headless Chromium via playwright-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HttpServer } from '../src/observability/http.ts';
import { createUiHandler } from '../src/ui/server.ts';
import { REPO } from './helpers/procs.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20); // block times

// Thanos querier /api/v1/stores: component type → []EndpointStatus (labelSets as label maps, times in
// ms, lastError null or the error string; MinTime/MaxTime sentinels for unbounded ranges).
const STORES = {
  store: [{ name: '10.0.0.1:10901', lastCheck: '2026-11-27T02:00:00.5Z', lastError: null, labelSets: [{ cluster: 'eu-1', replica: 'a' }, { cluster: 'us-1', replica: 'a' }], minTime: T0, maxTime: T0 + 48 * H }],
  receive: [{ name: '10.0.0.2:10901', lastCheck: '2026-11-27T02:00:01Z', lastError: 'rpc error: code = Unavailable desc = connection refused', labelSets: [], minTime: -9223309901257974, maxTime: 9223309901257974 }],
};

// Thanos bucket web /api/v1/blocks: block meta.json documents.
const meta = (ulid: string, min: number, max: number, level: number, res: number, labels: Record<string, string>) => ({
  ulid, minTime: min, maxTime: max, version: 1,
  stats: { numSamples: 1000 * level, numSeries: 10, numChunks: 20 },
  compaction: { level, sources: [ulid] },
  thanos: { labels, downsample: { resolution: res }, source: 'receive' },
});
const BLOCKS = {
  blocks: [
    meta('01JDA0000000000000000000A1', T0, T0 + 2 * H, 1, 0, { cluster: 'eu-1' }),
    meta('01JDA0000000000000000000A2', T0 + 2 * H, T0 + 4 * H, 1, 0, { cluster: 'eu-1' }),
    meta('01JDA0000000000000000000A3', T0, T0 + 48 * H, 3, 300_000, { cluster: 'eu-1' }),
    meta('01JDA0000000000000000000B1', T0, T0 + 8 * H, 2, 0, { cluster: 'us-1' }),
  ],
  refreshedAt: '2026-11-27T02:00:00Z',
  label: 'cluster',
};

const TENANTS = [
  { tenant: 'team-b', activeSeries: 120, samplesPerSecond: 8 },
  { tenant: 'team-a', activeSeries: 4500, samplesPerSecond: 300.25 },
];

interface Fixture {
  missing: Set<string>;
  failing: Map<string, [number, string]>;
  bigSeries: number;
}

function fixtureApi(fx: Fixture) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!url.pathname.startsWith('/api/v1/')) return false;
    const path = url.pathname.slice('/api/v1'.length);
    const json = (code: number, body: string) => res.writeHead(code, { 'Content-Type': 'application/json' }).end(body);
    if (fx.missing.has(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return true;
    }
    const fail = fx.failing.get(path);
    if (fail) {
      json(fail[0], JSON.stringify({ status: 'error', errorType: fail[0] === 500 ? 'internal' : 'bad_data', error: fail[1] }));
      return true;
    }
    const ok = (data: unknown) => json(200, JSON.stringify({ status: 'success', data }));
    let body = '';
    for await (const c of req) body += c;
    const form = new URLSearchParams(body);
    switch (path) {
      case '/stores': return ok(STORES), true;
      case '/blocks': return ok(BLOCKS), true;
      case '/status/tenants': return ok(TENANTS), true;
      case '/status/buildinfo': return ok({ version: '0.1.0', revision: 'abc123', branch: 'main', buildUser: 'ci', buildDate: '20261127', goVersion: 'node-v20' }), true;
      case '/status/runtimeinfo': return ok({ startTime: '2026-11-27T02:00:00Z', CWD: '/data', goroutineCount: 3, storageRetention: '15d' }), true;
      case '/status/flags': return ok({ 'http-address': '127.0.0.1:10902', 'query.timeout': '2m' }), true;
      case '/query_range': {
        // Many series, three points each at the requested start/step.
        const start = Number(form.get('start'));
        const step = Number(form.get('step'));
        const parts: string[] = [];
        for (let i = 0; i < fx.bigSeries; i++) parts.push(`{"metric":{"__name__":"big","i":"${i}"},"values":[[${start},"${i}"],[${start + step},"${i + 1}"],[${start + 2 * step},"${i + 2}"]]}`);
        json(200, `{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}}`);
        return true;
      }
      case '/query': {
        const t = Number(form.get('time'));
        const parts: string[] = [];
        for (let i = 0; i < fx.bigSeries; i++) parts.push(`{"metric":{"__name__":"big","i":"${i}"},"value":[${t},"${i}"]}`);
        json(200, `{"status":"success","data":{"resultType":"vector","result":[${parts.join(',')}]}}`);
        return true;
      }
      default:
        return ok([]), true;
    }
  };
}

async function setup(t: import('node:test').TestContext): Promise<{ page: Page; base: string; fx: Fixture }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian chromium (apt-get install -y chromium)`);
  await mkdir(ARTIFACTS, { recursive: true });
  const fx: Fixture = { missing: new Set(), failing: new Map(), bigSeries: 0 };
  const srv = new HttpServer({ address: '127.0.0.1:0', handlers: [fixtureApi(fx), createUiHandler({})] });
  const { port } = await srv.listen();
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await browser.close();
    await srv.close();
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  t.after(() => assert.deepEqual(errors, []));
  return { page, base: `http://127.0.0.1:${port}`, fx };
}

test('Stores, Blocks, Tenants and Status pages render the API data', { timeout: 60_000 }, async (t) => {
  const { page, base } = await setup(t);

  await page.goto(`${base}/stores`);
  const stores = page.locator('[data-testid="stores-table"]');
  await stores.first().waitFor();
  assert.equal(await stores.count(), 2); // one table per component type
  assert.deepEqual(await page.locator('main h3').allInnerTexts(), ['receive (1)', 'store (1)']);
  const rows = await page.locator('[data-testid="stores-table"] tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  const [receive, store] = rows as [string, string];
  assert.match(receive, /10\.0\.0\.2:10901\s+DOWN/);
  assert.match(receive, /-∞\s+\+∞/);
  assert.match(receive, /connection refused/);
  assert.match(store, /10\.0\.0\.1:10901\s+UP/);
  assert.match(store, /cluster="eu-1"\s*replica="a"/);
  assert.match(store, /cluster="us-1"\s*replica="a"/);
  assert.match(store, /2026-11-20 00:00:00Z\s+2026-11-22 00:00:00Z/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-pages-stores.png'), fullPage: true });

  await page.locator('[data-testid="nav-blocks"]').click();
  await page.locator('[data-testid="blocks-timeline"]').waitFor();
  assert.equal(await page.locator('main h2').innerText(), 'Blocks (4)');
  const streams = page.locator('[data-testid="stream"]');
  assert.equal(await streams.count(), 2);
  assert.deepEqual(await page.locator('.stream-name').allInnerTexts(), ['{cluster="eu-1"}', '{cluster="us-1"}']);
  // eu-1: a row of two raw level-1 blocks and a row with the 5m level-3 block.
  assert.equal(await streams.nth(0).locator('.stream-row').count(), 2);
  assert.deepEqual(await streams.nth(0).locator('[data-testid="block"]').allInnerTexts(), ['L1', 'L1', 'L3']);
  assert.equal(await streams.nth(0).locator('.block.res5m').count(), 1);
  // Positions are proportional to time: the 48h block spans the whole timeline, the 2h ones 1/24 of it.
  const full = (await streams.nth(0).locator('.block.res5m').boundingBox())!;
  const row = (await streams.nth(0).locator('.stream-row').first().boundingBox())!;
  const first = (await streams.nth(0).locator('.block.raw').first().boundingBox())!;
  assert.ok(Math.abs(full.width - row.width) < 2, `${full.width} vs ${row.width}`);
  assert.ok(Math.abs(first.width - row.width / 24) < 2, `${first.width} vs ${row.width / 24}`);
  await streams.nth(0).locator('.block.res5m').click();
  const detail = await page.locator('[data-testid="block-detail-table"] tbody').innerText();
  assert.match(detail, /01JDA0000000000000000000A3/);
  assert.match(detail, /2026-11-20 00:00:00Z\s+2026-11-22 00:00:00Z\s+2d\s+3\s+5m\s+10\s+3000\s+receive/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-pages-blocks.png'), fullPage: true });

  await page.locator('[data-testid="nav-tenants"]').click();
  await page.locator('[data-testid="tenants-table"]').waitFor();
  assert.deepEqual(await page.locator('[data-testid="tenants-table"] tbody tr').allInnerTexts(), ['team-a\t4500\t300.25', 'team-b\t120\t8']);

  await page.locator('[data-testid="nav-status"]').click();
  await page.locator('[data-testid="flags"]').waitFor();
  assert.match(await page.locator('[data-testid="buildinfo"]').innerText(), /revision\s+abc123/);
  assert.match(await page.locator('[data-testid="runtimeinfo"]').innerText(), /storageRetention\s+15d/);
  assert.match(await page.locator('[data-testid="flags"]').innerText(), /query\.timeout\s+2m/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-pages-status.png'), fullPage: true });
});

test('missing endpoints show "not available"; API errors show status and message', { timeout: 60_000 }, async (t) => {
  const { page, base, fx } = await setup(t);
  fx.missing.add('/blocks');
  fx.missing.add('/status/tenants');
  fx.failing.set('/stores', [500, 'endpoint set not initialised']);
  fx.failing.set('/status/runtimeinfo', [503, 'runtime info temporarily unavailable']);

  await page.goto(`${base}/blocks`);
  await page.locator('[data-testid="not-available"]').waitFor();
  assert.match(await page.locator('[data-testid="not-available"]').innerText(), /not available.*HTTP 404/);
  await page.locator('[data-testid="nav-tenants"]').click();
  await page.locator('[data-testid="not-available"]').waitFor();

  await page.locator('[data-testid="nav-stores"]').click();
  const err = page.locator('[data-testid="alert-error"]');
  await err.waitFor();
  assert.equal(await err.innerText(), 'Error loading the stores list (/api/v1/stores): HTTP 500 (internal): endpoint set not initialised');

  await page.locator('[data-testid="nav-status"]').click();
  await page.locator('[data-testid="flags"]').waitFor();
  assert.match(await page.locator('[data-testid="alert-error"]').innerText(), /HTTP 503 \(bad_data\): runtime info temporarily unavailable/);
  assert.equal(await page.locator('[data-testid="buildinfo"]').count(), 1);
});

test('100k result series: only the first 100 are drawn / 1000 rows listed, with a notice, quickly', { timeout: 90_000 }, async (t) => {
  const { page, base, fx } = await setup(t);
  fx.bigSeries = 100_000;
  await page.goto(`${base}/graph?g0.expr=big&g0.tab=0&g0.range_input=1h`);
  const graph = page.locator('[data-testid="graph"][data-series]');
  const t0 = Date.now();
  await graph.waitFor({ timeout: 30_000 });
  const graphMs = Date.now() - t0;
  assert.equal(await graph.getAttribute('data-series'), '100');
  assert.equal(await page.locator('[data-testid="series-limit"]').innerText(), 'Showing the first 100 of 100000 series. Narrow the query (e.g. with topk or aggregation) to see the rest.');
  assert.equal(await page.locator('.u-legend .u-series').count(), 101);
  assert.match(await page.locator('[data-testid="query-stats"]').innerText(), /Result series: 100000/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-pages-100k.png') });

  const t1 = Date.now();
  await page.locator('[data-testid="tab-table"]').click();
  const table = page.locator('table[data-testid="table"]');
  await table.waitFor({ timeout: 30_000 });
  const tableMs = Date.now() - t1;
  assert.equal(await table.getAttribute('data-rows'), '1000');
  assert.equal(await page.locator('[data-testid="series-limit"]').innerText(), 'Showing the first 1000 of 100000 results.');
  assert.equal(await table.locator('tbody tr').count(), 1000);
  assert.equal(await table.locator('tbody tr').first().innerText(), 'big{i="0"}\t0');
  // Generous bounds (they include generating and transferring ~10 MB of JSON).
  assert.ok(graphMs < 15_000, `graph took ${graphMs} ms`);
  assert.ok(tableMs < 15_000, `table took ${tableMs} ms`);
  t.diagnostic(`100k series: graph ${graphMs} ms, table ${tableMs} ms`);
});
