import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '../observability/logger.ts';
import { configHashMetricValue, HashringConfigError, type HashringConfig } from './hashring.ts';
import { HashringWatcher } from './hashring-watcher.ts';

async function metric(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val));
  return v?.value;
}

test('the watcher applies the file, reloads it when it changes (also atomic renames), keeps the previous ring on a bad file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-hashring-watch-'));
  const file = join(dir, 'hashrings.json');
  const v1 = JSON.stringify([{ hashring: 'a', endpoints: ['n1:1', 'n2:1'] }]);
  await writeFile(file, v1);
  const applied: HashringConfig[][] = [];
  const reg = new Registry();
  const w = new HashringWatcher({ path: file, refreshInterval: 60_000, registry: reg, logger: nopLogger, apply: (c) => applied.push(c) });
  try {
    w.load();
    w.start();
    assert.equal(applied.length, 1);
    assert.equal(await metric(reg, 'thanos_receive_config_hash'), configHashMetricValue(v1));
    assert.equal(await metric(reg, 'thanos_receive_config_last_reload_successful'), 1);
    assert.equal(await metric(reg, 'thanos_receive_hashring_nodes', { name: 'a' }), 2);

    // In-place write.
    const v2 = JSON.stringify([{ hashring: 'a', endpoints: ['n1:1', 'n2:1', 'n3:1'] }]);
    await writeFile(file, v2);
    await waitUntil(() => applied.length === 2);
    assert.deepEqual(applied[1]![0]!.endpoints.map((e) => e.address), ['n1:1', 'n2:1', 'n3:1']);
    assert.equal(await metric(reg, 'thanos_receive_hashring_nodes', { name: 'a' }), 3);

    // A broken file: logged, previous configuration stays, success gauge 0.
    await writeFile(file, '[{"endpoints": []}]');
    await waitUntil(async () => (await metric(reg, 'thanos_receive_config_last_reload_successful')) === 0);
    assert.equal(applied.length, 2);
    assert.equal(await metric(reg, 'thanos_receive_config_hash'), configHashMetricValue(v2));
    assert.ok(((await metric(reg, 'thanos_receive_hashrings_file_errors_total')) ?? 0) >= 1);

    // Atomic replace by rename (how config management and Kubernetes update files).
    const v3 = JSON.stringify([{ hashring: 'b', endpoints: ['n9:1'] }]);
    await writeFile(join(dir, 'tmp.json'), v3);
    await rename(join(dir, 'tmp.json'), file);
    await waitUntil(() => applied.length === 3);
    assert.equal(applied[2]![0]!.hashring, 'b');
    assert.equal(await metric(reg, 'thanos_receive_config_last_reload_successful'), 1);
    assert.equal(await metric(reg, 'thanos_receive_hashring_nodes', { name: 'b' }), 1);
    assert.equal(await metric(reg, 'thanos_receive_hashring_nodes', { name: 'a' }), undefined, 'gone hashrings are dropped');

    // A configuration the receiver cannot build (apply throws) is rejected like a bad file.
    const w2 = new HashringWatcher({ path: file, refreshInterval: 60_000, logger: nopLogger, apply: () => { throw new HashringConfigError('nope'); } });
    assert.throws(() => w2.load(), /nope/);
  } finally {
    w.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('inline configuration (--receive.hashrings) loads once; an invalid one fails load', () => {
  const applied: HashringConfig[][] = [];
  new HashringWatcher({ path: null, content: '[{"endpoints":["x:1"]}]', refreshInterval: 1000, logger: nopLogger, apply: (c) => applied.push(c) }).load();
  assert.equal(applied.length, 1);
  assert.throws(
    () => new HashringWatcher({ path: null, content: '[{"endpoints":"x:1"}]', refreshInterval: 1000, logger: nopLogger, apply: () => {} }).load(),
    /--receive\.hashrings: \[0\]\.endpoints: /,
  );
});

async function waitUntil(f: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
