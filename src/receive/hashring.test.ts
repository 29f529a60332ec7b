import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Labels } from '../labels/labels.ts';
import {
  configHashMetricValue,
  globToRegExp,
  HashmodHashring,
  HashringConfigError,
  InsufficientNodesError,
  KetamaHashring,
  MultiHashring,
  NoMatchingHashringError,
  parseHashringConfig,
  type Endpoint,
  type HashringConfig,
} from './hashring.ts';

// ---------------------------------------------------------------------------------------------
// An independent xxhash64 (XXH64 specification, BigInt arithmetic) to compute expected placements.
// ---------------------------------------------------------------------------------------------
const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
const u64 = (b: Uint8Array, i: number): bigint => {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]!);
  return v;
};
const u32 = (b: Uint8Array, i: number): bigint => BigInt(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + (BigInt(b[i + 3]!) << 24n);
const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & M, 31n) * P1) & M;
const merge = (acc: bigint, val: bigint): bigint => (((acc ^ round(0n, val)) * P1) + P4) & M;
function refXXH64(b: Uint8Array): bigint {
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & M;
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, u64(b, i));
      v2 = round(v2, u64(b, i + 8));
      v3 = round(v3, u64(b, i + 16));
      v4 = round(v4, u64(b, i + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else h = P5;
  h = (h + BigInt(len)) & M;
  for (; i + 8 <= len; i += 8) h = ((rotl(h ^ round(0n, u64(b, i)), 27n) * P1) + P4) & M;
  if (i + 4 <= len) {
    h = ((rotl(h ^ ((u32(b, i) * P1) & M), 23n) * P2) + P3) & M;
    i += 4;
  }
  for (; i < len; i++) h = (rotl(h ^ ((BigInt(b[i]!) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}
const enc = new TextEncoder();
/** The bytes Thanos' labelpb.HashWithPrefix hashes: tenant 0xFF (name 0xFF value 0xFF)*. */
function hashInput(tenant: string, flat: string[]): Uint8Array {
  const parts: number[] = [...enc.encode(tenant), 0xff];
  for (const s of flat) parts.push(...enc.encode(s), 0xff);
  return Uint8Array.from(parts);
}

test('reference xxhash64 matches the published XXH64 test vectors', () => {
  assert.equal(refXXH64(new Uint8Array(0)), 0xef46db3751d8e999n);
  assert.equal(refXXH64(enc.encode('a')), 0xd24ec4f1a98c6e5bn);
  assert.equal(refXXH64(enc.encode('abc')), 0x44bc2cf5ad770999n);
  assert.equal(refXXH64(enc.encode('xxhash')), 0x32dd38952c4bc720n);
  assert.equal(refXXH64(enc.encode('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n);
});

const eps = (...a: string[]): Endpoint[] => a.map((address) => ({ address, az: '' }));

test('hashmod places replica n of a series on sorted endpoints[(xxhash64(tenant+labels) + n) mod len], as Thanos', () => {
  // Given out of order: Thanos sorts hashmod endpoints by address.
  const endpoints = ['10.0.0.3:10901', '10.0.0.1:10901', 'receive-2.svc:10901', '10.0.0.2:10901', 'receive-10.svc:10901'];
  const sorted = [...endpoints].sort();
  const ring = new HashmodHashring(eps(...endpoints));
  const seen = new Set<string>();
  const series: string[][] = [
    ['__name__', 'up', 'instance', 'localhost:9090', 'job', 'prometheus'],
    ['__name__', 'http_requests_total', 'code', '200', 'method', 'GET'],
    ['foo', 'bar'],
    ['__name__', 'node_cpu_seconds_total', 'cpu', '0', 'mode', 'idle', 'zone', 'π-ünïcødé'],
  ];
  for (let i = 0; i < 40; i++) series.push(['__name__', 'metric', 'idx', String(i)]);
  for (const tenant of ['default-tenant', 'team-a', '']) {
    for (const flat of series) {
      const h = refXXH64(hashInput(tenant, flat));
      for (let n = 0; n < 3; n++) {
        const want = sorted[Number(((h + BigInt(n)) & M) % BigInt(sorted.length))]!;
        const got = ring.getN(tenant, Labels.fromSortedFlat(flat), n);
        assert.equal(got, want, `${tenant} ${flat.join(',')} replica ${n}`);
        seen.add(got);
      }
      // Replicas of one series are on consecutive, hence distinct, endpoints.
      assert.equal(new Set([0, 1, 2].map((n) => ring.getN(tenant, Labels.fromSortedFlat(flat), n))).size, 3);
    }
  }
  assert.equal(seen.size, endpoints.length, 'every endpoint gets series');
  assert.throws(() => ring.getN('t', Labels.fromSortedFlat(['a', 'b']), 5), InsufficientNodesError);
  assert.throws(() => new HashmodHashring([{ address: 'a:1', az: 'z' }]), /does not support AZ/);
});

test('ketama matches the golden placements of Thanos TestKetamaHashringGet', () => {
  const nginx = Labels.fromSortedFlat(['pod', 'nginx']);
  const cases: [string[], number, string, Labels][] = [
    [['node-1', 'node-2', 'node-3'], 0, 'node-2', nginx],
    [['node-1', 'node-2', 'node-3'], 1, 'node-1', nginx],
    [['node-1', 'node-2', 'node-3'], 2, 'node-3', nginx],
    [['node-1', 'node-3', 'node-2'], 2, 'node-3', nginx],
    [['node-0', 'node-1', 'node-2', 'node-3'], 0, 'node-2', nginx],
    [['node-1', 'node-2', 'node-3', 'node-4'], 0, 'node-2', nginx],
    [['node-1', 'node-2', 'node-3'], 0, 'node-3', Labels.fromSortedFlat(['pod', 'thanos'])],
  ];
  for (const [e, n, want, l] of cases) {
    // Thanos' test: newKetamaHashring(endpoints, 10 sections, n+1), GetN("tenant", ts, n).
    assert.equal(new KetamaHashring(eps(...e), n + 1, 10).getN('tenant', l, n), want, `${e.join(',')} n=${n}`);
  }
  assert.throws(() => new KetamaHashring(eps('node-1'), 2, 1), /larger than replication factor/);
});

test('ketama spreads replicas over availability zones and distinct endpoints', () => {
  const nodes = [
    { address: 'a', az: '1' },
    { address: 'b', az: '2' },
    { address: 'c', az: '3' },
    { address: 'd', az: '1' },
    { address: 'e', az: '2' },
    { address: 'f', az: '3' },
  ];
  const ring = new KetamaHashring(nodes, 3);
  for (let i = 0; i < 200; i++) {
    const l = Labels.fromSortedFlat(['foo', `bar${i}`]);
    const got = [0, 1, 2].map((n) => ring.getN('default-tenant', l, n));
    assert.equal(new Set(got).size, 3);
    assert.equal(new Set(got.map((a) => nodes.find((x) => x.address === a)!.az)).size, 3, got.join(','));
  }
});

function cfg(json: unknown): HashringConfig[] {
  return parseHashringConfig(JSON.stringify(json), 'hashrings.json');
}

test('tenant selection follows Thanos TestHashringGet', () => {
  const ts = Labels.fromSortedFlat(['baz', 'qux', 'foo', 'bar']);
  const cases: { name: string; c: unknown; tenant: string; nodes: string[] | null }[] = [
    { name: 'simple', c: [{ endpoints: ['node1'] }], tenant: '', nodes: ['node1'] },
    { name: 'specific', c: [{ endpoints: ['node2'], tenants: ['tenant2'] }, { endpoints: ['node1'] }], tenant: 'tenant2', nodes: ['node2'] },
    {
      name: 'many tenants',
      c: [{ endpoints: ['node1'], tenants: ['tenant1'] }, { endpoints: ['node2'], tenants: ['tenant2'] }, { endpoints: ['node3'], tenants: ['tenant3'] }],
      tenant: 'tenant1',
      nodes: ['node1'],
    },
    {
      name: 'many tenants error',
      c: [{ endpoints: ['node1'], tenants: ['tenant1'] }, { endpoints: ['node2'], tenants: ['tenant2'] }, { endpoints: ['node3'], tenants: ['tenant3'] }],
      tenant: 'tenant4',
      nodes: null,
    },
    { name: 'many nodes', c: [{ endpoints: ['node1', 'node2', 'node3'], tenants: ['tenant1'] }, { endpoints: ['node4', 'node5', 'node6'] }], tenant: 'tenant1', nodes: ['node1', 'node2', 'node3'] },
    { name: 'many nodes default', c: [{ endpoints: ['node1', 'node2', 'node3'], tenants: ['tenant1'] }, { endpoints: ['node4', 'node5', 'node6'] }], tenant: '', nodes: ['node4', 'node5', 'node6'] },
    {
      name: 'glob hashring match',
      c: [{ endpoints: ['node1', 'node2', 'node3'], tenants: ['prefix*'], tenant_matcher_type: 'glob' }, { endpoints: ['node4', 'node5', 'node6'] }],
      tenant: 'prefix-1',
      nodes: ['node1', 'node2', 'node3'],
    },
    {
      name: 'glob hashring not match',
      c: [{ endpoints: ['node1', 'node2', 'node3'], tenants: ['prefix*'], tenant_matcher_type: 'glob' }, { endpoints: ['node4', 'node5', 'node6'] }],
      tenant: 'suffix-1',
      nodes: ['node4', 'node5', 'node6'],
    },
    {
      name: 'glob hashring multiple matches',
      c: [{ endpoints: ['node1', 'node2', 'node3'], tenants: ['t1-*', 't2', 't3-*'], tenant_matcher_type: 'glob' }, { endpoints: ['node4', 'node5', 'node6'] }],
      tenant: 't2',
      nodes: ['node1', 'node2', 'node3'],
    },
    // An exact matcher does not interpret glob characters.
    { name: 'exact is literal', c: [{ endpoints: ['node1'], tenants: ['prefix*'] }, { endpoints: ['node2'] }], tenant: 'prefix-1', nodes: ['node2'] },
  ];
  for (const tc of cases) {
    const h = new MultiHashring(cfg(tc.c), 'hashmod', 3);
    if (tc.nodes === null) {
      assert.throws(() => h.getN(tc.tenant, ts, 0), NoMatchingHashringError, tc.name);
      continue;
    }
    assert.ok(tc.nodes.includes(h.getN(tc.tenant, ts, 0)), tc.name);
  }
});

test('glob patterns follow Go path/filepath.Match', () => {
  const m = (p: string, s: string): boolean => globToRegExp(p).test(s);
  assert.ok(m('abc', 'abc'));
  assert.ok(m('*', 'abc'));
  assert.ok(m('*c', 'abc'));
  assert.ok(!m('a*', 'ab/c'));
  assert.ok(m('a*/b', 'abc/b'));
  assert.ok(m('a?c', 'abc'));
  assert.ok(!m('a?c', 'ac'));
  assert.ok(m('[a-c]x', 'bx'));
  assert.ok(!m('[^a-c]x', 'bx'));
  assert.ok(m('[^a-c]x', 'dx'));
  assert.ok(m('a\\*b', 'a*b'));
  assert.ok(!m('a\\*b', 'axb'));
  assert.ok(m('team.a', 'team.a'));
  assert.ok(!m('team.a', 'teamxa'));
  assert.ok(m('ü*', 'über'));
  for (const bad of ['[', 'a[', '[]a]', '[a-]', 'a\\']) assert.throws(() => globToRegExp(bad), /syntax error/, bad);
});

test('configuration: endpoints as strings or {address, az}; defaults', () => {
  const c = cfg([
    { hashring: 'a', tenants: ['t1'], endpoints: ['h1:10901', { address: 'h2:10901', az: 'z1' }, { address: 'h3:10901' }], algorithm: 'ketama' },
    { endpoints: ['h4:10901'] },
  ]);
  assert.deepEqual(c[0], {
    hashring: 'a',
    tenants: ['t1'],
    tenantMatcherType: 'exact',
    endpoints: [
      { address: 'h1:10901', az: '' },
      { address: 'h2:10901', az: 'z1' },
      { address: 'h3:10901', az: '' },
    ],
    algorithm: 'ketama',
  });
  assert.deepEqual(c[1], { hashring: '', tenants: [], tenantMatcherType: 'exact', endpoints: [{ address: 'h4:10901', az: '' }], algorithm: '' });
});

test('configuration errors name the file and the bad field', () => {
  const bad = (text: string, re: RegExp): void => {
    assert.throws(
      () => parseHashringConfig(text, 'hashrings.json'),
      (e: unknown) => e instanceof HashringConfigError && re.test(e.message) && e.message.startsWith('hashrings.json: '),
      `${text} → ${re}`,
    );
  };
  bad('{', /not valid JSON/);
  bad('[]', /configuration file is empty/);
  bad('{"endpoints": ["a:1"]}', /\(top level\): .*array/i);
  bad('[{"hashring": "x"}]', /\[0\]\.endpoints: /);
  bad('[{"endpoints": []}]', /\[0\]\.endpoints: a hashring needs at least one endpoint/);
  bad('[{"endpoints": ["a:1", 7]}]', /\[0\]\.endpoints\[1\]: an endpoint must be/);
  bad('[{"endpoints": [{"addr": "a:1"}]}]', /\[0\]\.endpoints\[0\]: an endpoint must be/);
  bad('[{"endpoints": [""]}]', /\[0\]\.endpoints\[0\]: endpoint address must be set/);
  bad('[{"endpoints": ["a:1"], "endpiont": 1}]', /\[0\]: unknown field\(s\) "endpiont"/);
  bad('[{"endpoints": ["a:1"], "tenant_matcher_type": "regex"}]', /\[0\]\.tenant_matcher_type: /);
  bad('[{"endpoints": ["a:1"], "algorithm": "rendezvous"}]', /\[0\]\.algorithm: /);
  bad('[{"endpoints": ["a:1"]}, {"endpoints": ["b:1"], "tenants": ["x["], "tenant_matcher_type": "glob"}]', /\[1\]\.tenants\[0\]: syntax error/);
  bad('[{"endpoints": ["a:1", "a:1"]}]', /listed twice/);
  bad('[{"endpoints": ["a:1"], "tenants": [""]}]', /\[0\]\.tenants\[0\]: tenant must not be empty/);
  bad('[{"endpoints": ["a:1"], "external_labels": {"x": "y"}}]', /external_labels: .*not supported/);
  // AZs need ketama (Thanos' error), ketama needs R endpoints.
  assert.throws(() => new MultiHashring(cfg([{ endpoints: [{ address: 'a:1', az: 'z' }] }]), 'hashmod', 1), /hashring \[0\]: Hashmod algorithm does not support AZ/);
  assert.throws(() => new MultiHashring(cfg([{ hashring: 'k', endpoints: ['a:1', 'b:1'], algorithm: 'ketama' }]), 'hashmod', 3), /hashring \[0\] \("k"\): ketama/);
});

test('config hash metric value: first 6 bytes of the MD5, little endian (Thanos hashAsMetricValue)', () => {
  // md5("") = d41d8cd98f00b204e9800998ecf8427e → bytes d4 1d 8c d9 8f 00 → 0x008fd98c1dd4.
  assert.equal(configHashMetricValue(''), 0x008fd98c1dd4);
  const text = '[{"endpoints":["a:1"]}]';
  const d = createHash('md5').update(text).digest();
  assert.equal(configHashMetricValue(text), d.readUIntLE(0, 6));
});
