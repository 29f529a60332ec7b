// Acceptance test for the built-in web UI in a real headless Chromium (Debian `chromium`, driven by
// playwright-core): open the UI served by `strata all --demo`, type a query using autocomplete, see a
// graph with the expected number of series, switch to Table, open the Stores and Blocks pages, and see
// an invalid query's API error text. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO, STRATA_BIN, startProcess, tempDir, waitFor, type Proc } from './helpers/procs.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');
// The demo writer's default fleet (src/remotewrite/demo.ts): three clusters, each with 3 node, 2 api
// and 1 db targets, every target exporting node_memory_MemAvailable_bytes.
const DEMO_CLUSTERS = ['ap-1', 'eu-1', 'us-1'];
const TARGETS_PER_CLUSTER = 3 + 2 + 1;

async function startStrata(dataDir: string): Promise<{ proc: Proc; base: string }> {
  const proc = startProcess(process.execPath, [
    STRATA_BIN, 'all', '--demo', '--demo.interval', '1s', '--data-dir', dataDir,
    '--http-address', '127.0.0.1:0', '--remote-write.address', '127.0.0.1:0', '--log.level', 'warn',
  ]);
  const base = await waitFor('strata all to print its address', async () => {
    if (proc.child.exitCode !== null) throw new Error(`strata all exited: ${proc.output()}`);
    const m = /Query API:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(proc.output());
    return m?.[1];
  });
  return { proc, base };
}

async function instant(base: string, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const j = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.equal(j.status, 'success');
  return j.data.result;
}

async function editorText(page: Page): Promise<string> {
  return page.locator('.cm-content').innerText();
}

test('web UI in headless Chromium against strata all --demo', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian chromium (apt-get install -y chromium)`);
  await mkdir(ARTIFACTS, { recursive: true });
  const dir = await tempDir('ui-browser');
  const { proc, base } = await startStrata(dir.path);
  let browser: Browser | null = null;
  t.after(async () => {
    await browser?.close();
    await proc.stop();
    await dir.cleanup();
  });

  // Wait until every demo target has written several rounds, so a 1m graph at 1s resolution has points.
  await waitFor('demo data', async () => {
    const r = await instant(base, 'count_over_time(node_memory_MemAvailable_bytes[1m]) >= 5');
    return r.length === DEMO_CLUSTERS.length * TARGETS_PER_CLUSTER;
  });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The UI must not reach out anywhere but our server.
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });

  await page.goto(`${base}/`);
  const editor = page.locator('.cm-content');
  await editor.waitFor();

  // --- type a query with autocomplete ---
  await editor.click();
  await page.keyboard.type('sum by (cluster) (node_memory_Mem', { delay: 15 });
  const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'node_memory_MemAvailable_bytes' });
  await option.first().waitFor({ timeout: 15_000 });
  // CodeMirror ignores Enter for `interactionDelay` (75 ms) after the list opens or is rebuilt, so
  // that a key pressed just as the list appears is not taken as acceptance. On a loaded machine the
  // list may still be re-rendering here: wait until it has been unchanged for 300 ms.
  const tooltip = page.locator('.cm-tooltip-autocomplete');
  let before = "";
  await waitFor('a settled completion list', async () => {
    const now = await tooltip.innerHTML();
    const same = now === before;
    before = now;
    return same;
  }, 10_000, 300);
  // Accept the highlighted completion (the only metric with that prefix).
  assert.match(await page.locator('.cm-tooltip-autocomplete li[aria-selected]').innerText(), /node_memory_MemAvailable_bytes/);
  await page.keyboard.press('Enter');
  assert.equal(await editorText(page), 'sum by (cluster) (node_memory_MemAvailable_bytes)');

  // Range 1m at 1s resolution (the demo has only been writing for seconds).
  await page.locator('[data-testid="range"]').fill('1m');
  await page.locator('[data-testid="step"]').fill('1');
  await editor.click();
  await page.keyboard.press('End');

  // --- Enter runs the range query; the graph has one series per demo cluster ---
  await page.keyboard.press('Enter');
  const graph = page.locator('[data-testid="graph"][data-series]');
  await graph.waitFor({ timeout: 20_000 });
  assert.equal(await graph.getAttribute('data-series'), String(DEMO_CLUSTERS.length));
  const legendLabels = await page.locator('.u-legend .u-series .u-label').allInnerTexts();
  assert.deepEqual(legendLabels.slice(1).sort(), DEMO_CLUSTERS.map((c) => `{cluster="${c}"}`));
  assert.equal(await page.locator('[data-testid="alert-error"]').count(), 0);
  // Hovering the plot shows the values under the cursor in the legend.
  const over = page.locator('.u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
  await waitFor('hover values in the legend', async () => {
    const vals = await page.locator('.u-legend .u-series .u-value').allInnerTexts();
    return vals.slice(1).every((v) => Number.isFinite(Number(v)) && Number(v) > 0);
  }, 5_000, 100);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-graph.png'), fullPage: true });
  // Stacked mode re-draws the same series; the legend still reports each series' own value.
  const unstackedValues = await page.locator('.u-legend .u-series .u-value').allInnerTexts();
  await page.locator('[data-testid="stacked"]').check();
  await page.waitForURL(/g0\.stacked=1/);
  await graph.waitFor();
  assert.equal(await graph.getAttribute('data-series'), String(DEMO_CLUSTERS.length));
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
  await waitFor('hover values in the stacked legend', async () => {
    const vals = await page.locator('.u-legend .u-series .u-value').allInnerTexts();
    return vals.slice(1).every((v) => Number(v) > 0) && vals.slice(1).every((v, i) => Number(v) < Number(unstackedValues[i + 1]) * 1.5);
  }, 5_000, 100);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-graph-stacked.png'), fullPage: true });

  // --- Table tab: an instant query with the same three result series ---
  await page.locator('[data-testid="tab-table"]').click();
  const table = page.locator('table[data-testid="table"]');
  await table.waitFor();
  assert.equal(await table.getAttribute('data-rows'), String(DEMO_CLUSTERS.length));
  const rows = await table.locator('td.series').allInnerTexts();
  assert.deepEqual(rows.sort(), DEMO_CLUSTERS.map((c) => `{cluster="${c}"}`));
  // Each value is the sum of the six targets' available memory: a positive number.
  for (const v of await table.locator('td.value').allInnerTexts()) assert.ok(Number(v) > 0, v);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-table.png'), fullPage: true });

  // --- Stores and Blocks pages render (their endpoints may not exist on `strata all`: "not available") ---
  await page.locator('[data-testid="nav-stores"]').click();
  await page.waitForURL(`${base}/stores`);
  await page.locator('[data-testid="stores-table"], [data-testid="not-available"], [data-testid="alert-error"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="alert-error"]').count(), 0, await page.locator('main').innerText());
  assert.equal(await page.locator('main h2').first().innerText(), 'Stores');
  await page.screenshot({ path: join(ARTIFACTS, 'ui-stores.png'), fullPage: true });

  await page.locator('[data-testid="nav-blocks"]').click();
  await page.waitForURL(`${base}/blocks`);
  await page.locator('[data-testid="blocks-timeline"], [data-testid="blocks-empty"], [data-testid="not-available"], [data-testid="alert-error"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="alert-error"]').count(), 0, await page.locator('main').innerText());
  assert.match(await page.locator('main h2').first().innerText(), /^Blocks/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-blocks.png'), fullPage: true });

  // --- an invalid query shows the API's error text ---
  await page.locator('[data-testid="nav-graph"]').click();
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('rate(up', { delay: 15 }); // closeBrackets adds the ")"
  await page.keyboard.press('Escape'); // close any completion popup
  assert.equal(await editorText(page), 'rate(up)');
  await page.locator('[data-testid="execute"]').click();
  const err = page.locator('[data-testid="alert-error"]');
  await err.waitFor();
  const text = await err.innerText();
  // Prometheus' parser message for this expression; the UI adds the HTTP status and errorType.
  assert.match(text, /expected type range vector in call to function "rate", got instant vector/);
  assert.match(text, /HTTP 400 \(bad_data\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'ui-error.png'), fullPage: true });

  assert.deepEqual(pageErrors, []);
  assert.deepEqual(foreign, []);
});
