import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../labels/labels.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { EndpointSet, goTimeJSON, int64JSON, parseEndpointSpec, parseFileSD, resolveSpec, type Endpoint, type EndpointInfo, type Resolver } from './endpoints.ts';

/** Fake endpoints: Info answers from a table (or fails), queries hit an empty store. */
function fakeDialer(infos: Map<string, EndpointInfo | Error>) {
  const dialed: string[] = [];
  const closed: string[] = [];
  const dial = (address: string): Endpoint => {
    dialed.push(address);
    return {
      name: address,
      queryable: new MemoryStorage(),
      info: async () => {
        const i = infos.get(address);
        if (i === undefined) throw new Error('connection refused');
        if (i instanceof Error) throw i;
        return i;
      },
      close: () => closed.push(address),
    };
  };
  return { dial, dialed, closed };
}

const info = (ext: Record<string, string>, minTime = 0, maxTime = 100, componentType = 'receive'): EndpointInfo => ({
  labelSets: [Labels.fromObject(ext)],
  minTime,
  maxTime,
  componentType,
});

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('endpoint specs', () => {
  assert.deepEqual(parseEndpointSpec('127.0.0.1:10901'), { kind: 'static', addr: '127.0.0.1:10901' });
  assert.deepEqual(parseEndpointSpec('[::1]:10901'), { kind: 'static', addr: '[::1]:10901' });
  assert.deepEqual(parseEndpointSpec('dns+store.svc:10901'), { kind: 'dns', host: 'store.svc', port: '10901' });
  assert.deepEqual(parseEndpointSpec('dnssrv+_grpc._tcp.store.svc'), { kind: 'dnssrv', name: '_grpc._tcp.store.svc', noA: false });
  assert.deepEqual(parseEndpointSpec('dnssrvnoa+_grpc._tcp.store.svc'), { kind: 'dnssrv', name: '_grpc._tcp.store.svc', noA: true });
  assert.throws(() => parseEndpointSpec('store.svc'), /expected host:port/);
  assert.throws(() => parseEndpointSpec('dns+store.svc'), /dns\+ needs host:port/);
});

test('DNS resolution: A/AAAA for dns+, SRV then A for dnssrv+, SRV targets as hosts for dnssrvnoa+', async () => {
  const r: Resolver = {
    resolveSrv: async (n) => (n === '_grpc._tcp.store' ? [{ name: 'store-0.store', port: 10901 }, { name: 'store-1.store', port: 10902 }] : []),
    lookup: async (h) => ({ 'store.svc': ['10.0.0.1', 'fd00::1'], 'store-0.store': ['10.0.1.0'], 'store-1.store': ['10.0.1.1'] })[h] ?? [],
  };
  assert.deepEqual(await resolveSpec(parseEndpointSpec('dns+store.svc:19090'), r), ['10.0.0.1:19090', '[fd00::1]:19090']);
  assert.deepEqual(await resolveSpec(parseEndpointSpec('dnssrv+_grpc._tcp.store'), r), ['10.0.1.0:10901', '10.0.1.1:10902']);
  assert.deepEqual(await resolveSpec(parseEndpointSpec('dnssrvnoa+_grpc._tcp.store'), r), ['store-0.store:10901', 'store-1.store:10902']);
});

test('DNS endpoints are re-resolved periodically; removed addresses are closed', async () => {
  let srv = [{ name: 'a', port: 1 }];
  let resolves = 0;
  const r: Resolver = {
    resolveSrv: async () => {
      resolves++;
      return srv;
    },
    lookup: async (h) => [h === 'a' ? '10.0.0.1' : '10.0.0.2'],
  };
  const d = fakeDialer(new Map([['10.0.0.1:1', info({ r: 'a' })], ['10.0.0.2:2', info({ r: 'b' })]]));
  const set = new EndpointSet({ endpoints: ['dnssrv+_grpc._tcp.s'], dial: d.dial, resolver: r, refreshIntervalMs: 30, dnsIntervalMs: 0, closeDelayMs: 0 });
  await set.start();
  try {
    assert.deepEqual(set.active().map((e) => e.name), ['10.0.0.1:1']);
    srv = [{ name: 'b', port: 2 }];
    await until(() => set.active().map((e) => e.name).join() === '10.0.0.2:2');
    assert.ok(resolves >= 2);
    assert.deepEqual(d.closed, ['10.0.0.1:1']);
  } finally {
    set.stop();
  }
});

test('file SD: JSON and YAML target groups', () => {
  assert.deepEqual(parseFileSD('[{"targets":["a:1","b:2"],"labels":{"x":"y"}},{"targets":["dns+c:3"]}]', 'f.json'), ['a:1', 'b:2', 'dns+c:3']);
  assert.deepEqual(parseFileSD('- targets:\n  - a:1\n  - b:2\n- labels: {x: y}\n', 'f.yml'), ['a:1', 'b:2']);
  assert.deepEqual(parseFileSD('', 'f.yaml'), []);
  assert.throws(() => parseFileSD('{"targets":["a:1"]}', 'f.json'), /list of target groups/);
  assert.throws(() => parseFileSD('[{"targets":[1]}]', 'f.json'), /list of strings/);
});

test('file SD: files are watched and reloaded; a broken file keeps its previous targets', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-filesd-'));
  const file = join(dir, 'targets.json');
  const d = fakeDialer(new Map([['h:1', info({ r: 'a' })], ['h:2', info({ r: 'b' })], ['h:3', info({ r: 'c' })]]));
  await writeFile(file, JSON.stringify([{ targets: ['h:1'] }]));
  // Long fallback interval: only the watcher can pick up changes within the test.
  const set = new EndpointSet({ sdFiles: [file], dial: d.dial, refreshIntervalMs: 60_000, fileSDIntervalMs: 60_000, closeDelayMs: 0 });
  await set.start();
  try {
    assert.deepEqual(set.active().map((e) => e.name), ['h:1']);
    await writeFile(file, JSON.stringify([{ targets: ['h:1', 'h:2'] }]));
    await until(() => set.active().length === 2);
    assert.deepEqual(set.active().map((e) => e.name).sort(), ['h:1', 'h:2']);
    // Replace by rename, as configuration management tools do.
    await writeFile(join(dir, 'tmp'), '[{"targets": ["h:3"]}]');
    await rename(join(dir, 'tmp'), file);
    await until(() => set.active().map((e) => e.name).join() === 'h:3');
    assert.ok(d.closed.includes('h:1') && d.closed.includes('h:2'));
    await writeFile(file, '[{"targets": [');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(set.active().map((e) => e.name), ['h:3']);
  } finally {
    set.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('Info refresh: metadata, health, strict vs non-strict endpoints, /api/v1/stores JSON', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-filesd-'));
  const file = join(dir, 'sd.yaml');
  await writeFile(file, '- targets: ["sd:1", "sd:2"]\n');
  const infos = new Map<string, EndpointInfo | Error>([
    ['static:1', info({ replica: 'a' }, 1000, 2000)],
    ['sd:1', info({ replica: 'b' }, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'store')],
  ]);
  let now = Date.UTC(2026, 0, 2, 3, 4, 5, 120);
  const d = fakeDialer(infos);
  const set = new EndpointSet({ endpoints: ['static:1'], strictEndpoints: ['static:2'], sdFiles: [file], dial: d.dial, refreshIntervalMs: 60_000, closeDelayMs: 0, now: () => now });
  await set.start();
  try {
    const active = set.active();
    // static:2 never answered but is strict: queried (its failures show as warnings) with an
    // unbounded range. sd:2 never answered and is not strict: not a member at all (Thanos drops a
    // new endpoint whose first check fails).
    assert.deepEqual(active.map((e) => e.name).sort(), ['sd:1', 'static:1', 'static:2']);
    assert.deepEqual(set.statuses().map((e) => e.name).sort(), ['sd:1', 'static:1', 'static:2']);
    assert.ok(d.closed.includes('sd:2'));
    const s2 = active.find((e) => e.name === 'static:2')!;
    assert.equal(s2.minTime, -Infinity);
    assert.equal(s2.maxTime, Infinity);
    const s1 = active.find((e) => e.name === 'static:1')!;
    assert.deepEqual([s1.minTime, s1.maxTime, s1.labelSets.map((l) => l.toString())], [1000, 2000, ['{replica="a"}']]);
    assert.equal(
      set.storesJSON(),
      '{"receive":[{"name":"static:1","lastCheck":"2026-01-02T03:04:05.12Z","lastError":null,"labelSets":[{"replica":"a"}],"minTime":1000,"maxTime":2000}],' +
        '"store":[{"name":"sd:1","lastCheck":"2026-01-02T03:04:05.12Z","lastError":null,"labelSets":[{"replica":"b"}],"minTime":-9223372036854775808,"maxTime":9223372036854775807}],' +
        '"unknown-store-api":[{"name":"static:2","lastCheck":"0001-01-01T00:00:00Z","lastError":"connection refused","labelSets":[],"minTime":-9223372036854775808,"maxTime":9223372036854775807}]}',
    );
    // static:1 and sd:1 go down: they leave the fan-out at this check but stay listed with their
    // last metadata and last good check time; strict static:2 stays queried.
    infos.set('static:1', new Error('rpc error: code = Unavailable'));
    infos.set('sd:1', new Error('down'));
    now += 5000;
    await set.update();
    assert.deepEqual(set.active().map((e) => e.name), ['static:2']);
    const st = set.statuses().find((s) => s.name === 'static:1')!;
    assert.equal(st.lastError, 'rpc error: code = Unavailable');
    assert.equal(goTimeJSON(st.lastCheck), '2026-01-02T03:04:05.12Z');
    assert.equal(st.componentType, 'receive');
    assert.equal(st.strict, false);
    assert.match(set.storesJSON(), /"receive":\[\{"name":"static:1","lastCheck":"2026-01-02T03:04:05.12Z","lastError":"rpc error: code = Unavailable","labelSets":\[\{"replica":"a"\}\],"minTime":1000,"maxTime":2000\}\]/);
    // Recovery of sd:1 at the next check; sd:2 comes up too and joins as a new endpoint.
    infos.set('sd:1', info({ replica: 'b' }, 5, 6, 'store'));
    infos.set('sd:2', info({ replica: 'c' }, 7, 8, 'store'));
    now += 5000;
    await set.update();
    assert.deepEqual(set.active().map((e) => e.name).sort(), ['sd:1', 'sd:2', 'static:2']);
    assert.deepEqual(set.active().find((e) => e.name === 'sd:1')!.minTime, 5);
  } finally {
    set.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('--store.unhealthy-timeout: a non-strict endpoint whose last good check is that old leaves the set; strict ones never do', async () => {
  const infos = new Map<string, EndpointInfo | Error>([
    ['a:1', info({ r: 'a' })],
    ['s:1', info({ r: 's' })],
  ]);
  let now = 1_000_000;
  const d = fakeDialer(infos);
  const set = new EndpointSet({ endpoints: ['a:1'], strictEndpoints: ['s:1'], dial: d.dial, refreshIntervalMs: 60_000, unhealthyTimeoutMs: 60_000, closeDelayMs: 0, now: () => now });
  await set.start();
  try {
    const names = () => set.statuses().map((s) => s.name).sort();
    assert.deepEqual(names(), ['a:1', 's:1']);
    infos.set('a:1', new Error('down'));
    infos.set('s:1', new Error('down'));
    now += 30_000;
    await set.update();
    assert.deepEqual(names(), ['a:1', 's:1']);
    assert.deepEqual(set.active().map((e) => e.name), ['s:1']);
    // 59.999 s after the last good check: still listed.
    now += 29_999;
    await set.update();
    assert.deepEqual(names(), ['a:1', 's:1']);
    assert.deepEqual(d.closed, []);
    // 60 s: a:1 is removed (and its connection closed); strict s:1 stays.
    now += 1;
    await set.update();
    assert.deepEqual(names(), ['s:1']);
    assert.deepEqual(d.closed, ['a:1']);
    assert.equal(set.storesJSON().includes('a:1'), false);
    // It is retried as a new endpoint at every check and joins once it answers.
    infos.set('a:1', info({ r: 'a2' }));
    now += 5000;
    await set.update();
    assert.deepEqual(names(), ['a:1', 's:1']);
    assert.deepEqual(set.active().map((e) => e.name).sort(), ['a:1', 's:1']);
    assert.deepEqual(set.active().find((e) => e.name === 'a:1')!.labelSets.map(String), ['{r="a2"}']);
  } finally {
    set.stop();
  }
});

test('a healthy endpoint is never timed out, however old; closing removed endpoints waits for the grace delay', async () => {
  let now = 0;
  let srv = [{ name: 'a', port: 1 }];
  const r: Resolver = { resolveSrv: async () => srv, lookup: async (h) => [h === 'a' ? '10.0.0.1' : '10.0.0.2'] };
  const d = fakeDialer(new Map([['10.0.0.1:1', info({ r: 'a' })], ['10.0.0.2:2', info({ r: 'b' })]]));
  const set = new EndpointSet({ endpoints: ['dnssrv+_grpc._tcp.s'], dial: d.dial, resolver: r, dnsIntervalMs: 0, refreshIntervalMs: 60_000, unhealthyTimeoutMs: 1000, closeDelayMs: 100, now: () => now });
  await set.start();
  try {
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      await set.update();
      assert.deepEqual(set.active().map((e) => e.name), ['10.0.0.1:1']);
    }
    srv = [{ name: 'b', port: 2 }];
    await set.update();
    assert.deepEqual(set.active().map((e) => e.name), ['10.0.0.2:2']);
    assert.deepEqual(d.closed, [], 'not closed at once: queries may still use it');
    await until(() => d.closed.length === 1);
    assert.deepEqual(d.closed, ['10.0.0.1:1']);
  } finally {
    set.stop();
  }
});

test('background checks every --endpoint.info-timeout: a dead endpoint leaves, a late one joins', async () => {
  const infos = new Map<string, EndpointInfo | Error>([['a:1', info({ r: 'a' })]]);
  let calls = 0;
  const d = fakeDialer(infos);
  const dial = (addr: string): Endpoint => {
    const e = d.dial(addr);
    return { ...e, info: () => (calls++, e.info()) };
  };
  // No refreshIntervalMs: the interval is the Info timeout, as in Thanos.
  const set = new EndpointSet({ endpoints: ['a:1', 'late:1'], dial, infoTimeoutMs: 100, closeDelayMs: 0 });
  await set.start();
  try {
    assert.deepEqual(set.active().map((e) => e.name), ['a:1']);
    const c0 = calls;
    await until(() => calls >= c0 + 6); // three more rounds of two checks
    assert.deepEqual(set.active().map((e) => e.name), ['a:1']);
    infos.set('a:1', new Error('down'));
    await until(() => set.active().length === 0);
    assert.equal(set.statuses()[0]!.lastError, 'down');
    infos.set('late:1', info({ r: 'late' }));
    await until(() => set.active().length === 1);
    assert.deepEqual(set.active().map((e) => e.name), ['late:1']);
    infos.set('a:1', info({ r: 'a' }));
    await until(() => set.active().length === 2);
    assert.deepEqual(set.active().map((e) => e.name).sort(), ['a:1', 'late:1']);
  } finally {
    set.stop();
  }
});

test('strict endpoints: static only; an address given twice takes its last spec (strict flags after --endpoint, discovery last)', async () => {
  assert.throws(
    () => new EndpointSet({ strictEndpoints: ['dnssrv+_grpc._tcp.s'], dial: fakeDialer(new Map()).dial }),
    /dnssrv\+_grpc\._tcp\.s is a dynamically specified endpoint i\.e\. it uses SD and that is not permitted under strict mode\./,
  );
  const dir = await mkdtemp(join(tmpdir(), 'strata-filesd-'));
  const file = join(dir, 'sd.json');
  await writeFile(file, '[{"targets":["both:2"]}]');
  const d = fakeDialer(new Map());
  const set = new EndpointSet({ endpoints: ['both:1', 'both:2'], strictEndpoints: ['both:1', 'both:2'], sdFiles: [file], dial: d.dial, refreshIntervalMs: 60_000, closeDelayMs: 0 });
  await set.start();
  try {
    // both:1 is strict (--endpoint-strict comes after --endpoint); both:2 is also a file SD target,
    // which comes last and is not strict, so being down it is not a member.
    assert.deepEqual(set.statuses().map((s) => [s.name, s.strict]), [['both:1', true]]);
    assert.deepEqual(d.closed, ['both:2']);
  } finally {
    set.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('Info deadline', async () => {
  const set = new EndpointSet({
    strictEndpoints: ['x:1'],
    infoTimeoutMs: 50,
    dial: (a) => ({ name: a, queryable: new MemoryStorage(), info: () => new Promise<EndpointInfo>(() => {}) }),
  });
  await set.start();
  try {
    assert.match(set.statuses()[0]!.lastError ?? '', /x:1: Info: deadline of 50ms exceeded/);
  } finally {
    set.stop();
  }
});

test('Go time and int64 renderings', () => {
  assert.equal(goTimeJSON(null), '0001-01-01T00:00:00Z');
  assert.equal(goTimeJSON(Date.UTC(2026, 10, 27, 1, 2, 3, 0)), '2026-11-27T01:02:03Z');
  assert.equal(goTimeJSON(Date.UTC(2026, 10, 27, 1, 2, 3, 5)), '2026-11-27T01:02:03.005Z');
  assert.equal(int64JSON(Infinity), '9223372036854775807');
  assert.equal(int64JSON(Number.MIN_SAFE_INTEGER), '-9223372036854775808');
  assert.equal(int64JSON(1234), '1234');
});
