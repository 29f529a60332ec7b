import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Labels } from '../labels/labels.ts';
import { nopLogger } from '../observability/logger.ts';
import { decodeWriteRequest, encodeWriteRequestProto, type DecodedWriteRequest } from '../remotewrite/codec.ts';
import type { WriteResult } from '../remotewrite/handler.ts';
import { WriteRequest } from '../storeapi/gen/store/storepb/rpc.ts';
import type { WriteStatus } from '../storeapi/writeable.ts';
import { HashmodHashring, type Endpoint } from './hashring.ts';
import { QuorumTracker, Router, writeQuorum, type PeerWriter } from './router.ts';

const NODES = ['n1:1', 'n2:1', 'n3:1'];
const ring = (): HashmodHashring => new HashmodHashring(NODES.map((address): Endpoint => ({ address, az: '' })));

function request(n: number): { wr: DecodedWriteRequest; raw: Uint8Array } {
  const series = [];
  for (let i = 0; i < n; i++) series.push({ labels: ['__name__', 'm', 'i', String(i)], timestamps: [1000, 2000], values: [i, i + 0.5] });
  const raw = encodeWriteRequestProto({ series });
  return { wr: decodeWriteRequest(raw), raw };
}

interface Sent {
  endpoint: string;
  req: WriteRequest;
}

/** Fake peers: `behaviour(endpoint)` returns the status each peer answers (null = OK). */
function setup(opts: { rf: number; local: string | null; peerStatus?: (ep: string) => WriteStatus | null | 'hang'; localStatus?: number }) {
  const sent: Sent[] = [];
  const localWrites: { tenant: string; series: string[] }[] = [];
  const router = new Router({
    hashring: ring(),
    replicationFactor: opts.rf,
    localEndpoint: opts.local,
    forwardTimeout: 200,
    logger: nopLogger,
    local: async (tenant: string, wr: DecodedWriteRequest): Promise<WriteResult> => {
      localWrites.push({ tenant, series: wr.series.map((s) => Labels.fromSortedFlat(s.labels).toString()) });
      const st = opts.localStatus ?? 200;
      return { status: st, text: st === 200 ? '' : `local status ${st}` };
    },
    peer: (address: string): PeerWriter => ({
      async remoteWrite(req: Buffer, timeoutMs: number): Promise<WriteStatus | null> {
        sent.push({ endpoint: address, req: WriteRequest.decode(req) });
        const st = opts.peerStatus?.(address) ?? null;
        if (st === 'hang') {
          await new Promise((r) => setTimeout(r, timeoutMs));
          return { code: grpc.status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' };
        }
        return st;
      },
      close() {},
    }),
  });
  return { router, sent, localWrites };
}

test('writeQuorum as Thanos: R/2+1, and 1 for R=2', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(writeQuorum), [1, 1, 2, 3, 3, 4, 4]);
});

test('RF=1: each series goes to exactly the endpoint hashmod picks; one request per endpoint; local series stay local', async () => {
  const { wr, raw } = request(30);
  const { router, sent, localWrites } = setup({ rf: 1, local: 'n1:1' });
  const r = await router.write('tenant-a', wr, raw);
  assert.equal(r.status, 200, r.text);
  const h = ring();
  const expect = new Map<string, string[]>();
  for (const s of wr.series) {
    const l = Labels.fromSortedFlat(s.labels);
    const ep = h.getN('tenant-a', l, 0);
    expect.set(ep, [...(expect.get(ep) ?? []), l.toString()]);
  }
  assert.equal(localWrites.length, 1);
  assert.deepEqual(localWrites[0]!.series, expect.get('n1:1'));
  assert.equal(sent.length, 2, 'one request per remote endpoint');
  for (const s of sent) {
    assert.equal(s.req.tenant, 'tenant-a');
    assert.equal(s.req.replica, 1n, 'replica is 1-based on the wire');
    const names = s.req.timeseries.map((t) => Labels.fromPairs(t.labels.map((l) => [l.name, l.value] as [string, string])).toString());
    assert.deepEqual(names, expect.get(s.endpoint));
    // Samples travel unchanged.
    for (const t of s.req.timeseries) {
      const i = Number(t.labels.find((l) => l.name === 'i')!.value);
      assert.deepEqual(
        t.samples.map((x) => [Number(x.timestamp), x.value]),
        [
          [1000, i],
          [2000, i + 0.5],
        ],
      );
    }
  }
});

test('RF=3: every series is written to all three nodes (replicas 1..3 on the wire), 200 when all succeed', async () => {
  const { wr, raw } = request(12);
  const { router, sent, localWrites } = setup({ rf: 3, local: 'n1:1' });
  const r = await router.write('t', wr, raw);
  assert.equal(r.status, 200, r.text);
  // Per replica, the local node gets its share; the rest go to the peers with replica n+1.
  const perNode = new Map<string, number>();
  for (const lw of localWrites) perNode.set('n1:1', (perNode.get('n1:1') ?? 0) + lw.series.length);
  for (const s of sent) perNode.set(s.endpoint, (perNode.get(s.endpoint) ?? 0) + s.req.timeseries.length);
  assert.deepEqual([...perNode.entries()].sort(), [
    ['n1:1', 12],
    ['n2:1', 12],
    ['n3:1', 12],
  ]);
  assert.deepEqual([...new Set(sent.map((s) => s.req.replica))].sort(), [1n, 2n, 3n]);
});

test('RF=3 with one node down: quorum 2 of 3 still acknowledges (200)', async () => {
  const { wr, raw } = request(20);
  const { router } = setup({ rf: 3, local: 'n1:1', peerStatus: (ep) => (ep === 'n3:1' ? { code: grpc.status.UNAVAILABLE, details: 'connection refused' } : null) });
  const r = await router.write('t', wr, raw);
  assert.equal(r.status, 200, r.text);
});

test('RF=3 with one node hanging: answers 200 once quorum is reached, without waiting for the timeout', async () => {
  const { wr, raw } = request(20);
  const { router } = setup({ rf: 3, local: 'n1:1', peerStatus: (ep) => (ep === 'n3:1' ? 'hang' : null) });
  const t0 = Date.now();
  const r = await router.write('t', wr, raw);
  assert.equal(r.status, 200, r.text);
  assert.ok(Date.now() - t0 < 150, `took ${Date.now() - t0} ms`);
});

test('RF=3 with two nodes down: 503 (retryable), naming the failures', async () => {
  const { wr, raw } = request(20);
  const { router } = setup({ rf: 3, local: 'n1:1', peerStatus: (ep) => (ep !== 'n1:1' ? { code: grpc.status.UNAVAILABLE, details: 'connection refused' } : null) });
  const r = await router.write('t', wr, raw);
  assert.equal(r.status, 503);
  assert.match(r.text, /quorum not reached for 20 of 20 series \(replication factor 3, quorum 2\)/);
  assert.match(r.text, /forwarding request to endpoint n2:1: UNAVAILABLE: connection refused/);
});

test('RF=3 with a timeout on two nodes: 503', async () => {
  const { wr, raw } = request(5);
  const { router } = setup({ rf: 3, local: 'n1:1', peerStatus: (ep) => (ep !== 'n1:1' ? 'hang' : null) });
  const r = await router.write('t', wr, raw);
  assert.equal(r.status, 503);
  assert.match(r.text, /DEADLINE_EXCEEDED/);
});

test('conflicts on a quorum of replicas: 409 (not retryable); on a minority: 200', async () => {
  const { wr, raw } = request(10);
  const conflict = { code: grpc.status.ALREADY_EXISTS, details: 'out of order samples' };
  const a = setup({ rf: 3, local: 'n1:1', peerStatus: () => conflict, localStatus: 200 });
  const r = await a.router.write('t', wr, raw);
  assert.equal(r.status, 409);
  assert.match(r.text, /write rejected for 10 of 10 series: 2 errors: forwarding request to endpoint n2:1: ALREADY_EXISTS: out of order samples; forwarding request to endpoint n3:1: ALREADY_EXISTS/);
  const b = setup({ rf: 3, local: 'n1:1', peerStatus: (ep) => (ep === 'n2:1' ? conflict : null) });
  assert.equal((await b.router.write('t', wr, raw)).status, 200);
});

test('mixed failures that miss quorum are retryable; retryable wins over conflicts across series', async () => {
  const { wr, raw } = request(30);
  // n2 conflicts, n3 is down: every series misses quorum with one conflict + one unavailable.
  const s = setup({
    rf: 3,
    local: 'n1:1',
    peerStatus: (ep) => (ep === 'n2:1' ? { code: grpc.status.ALREADY_EXISTS, details: 'conflict' } : ep === 'n3:1' ? { code: grpc.status.UNAVAILABLE, details: 'down' } : null),
  });
  assert.equal((await s.router.write('t', wr, raw)).status, 503);
});

test('RF=1: local write outcomes map to their HTTP codes (409, 429, 400, 500)', async () => {
  // Route everything locally: a one-node ring that is this node.
  for (const [st, want] of [
    [409, 409],
    [429, 429],
    [400, 400],
    [500, 500],
    [503, 503],
  ] as const) {
    const { wr, raw } = request(3);
    const router = new Router({
      hashring: new HashmodHashring([{ address: 'me:1', az: '' }]),
      replicationFactor: 1,
      localEndpoint: 'me:1',
      forwardTimeout: 100,
      logger: nopLogger,
      local: async () => ({ status: st, text: `status ${st}` }),
      peer: () => assert.fail('no peer expected'),
    });
    const r = await router.write('t', wr, raw);
    assert.equal(r.status, want, r.text);
    assert.match(r.text, new RegExp(`writing to the local TSDB: status ${st}`));
  }
});

test('a request that already carries a replica number is written locally only, never forwarded', async () => {
  const { wr, raw } = request(10);
  const { router, sent, localWrites } = setup({ rf: 3, local: 'n1:1' });
  const r = await router.write('t', wr, raw, 2);
  assert.equal(r.status, 200);
  assert.equal(sent.length, 0);
  assert.equal(localWrites.length, 1);
  assert.equal(localWrites[0]!.series.length, 10);
  // Replica numbers above the replication factor are a bad request (Thanos errBadReplica).
  const bad = await router.write('t', wr, raw, 4);
  assert.equal(bad.status, 400);
  assert.match(bad.text, /exceeds receiver replication factor/);
});

test('router only (no local endpoint): everything is forwarded', async () => {
  const { wr, raw } = request(15);
  const { router, sent, localWrites } = setup({ rf: 1, local: null });
  assert.equal((await router.write('t', wr, raw)).status, 200);
  assert.equal(localWrites.length, 0);
  assert.equal(sent.reduce((n, s) => n + s.req.timeseries.length, 0), 15);
});

test('a tenant no hashring serves: 500 naming the tenant (Thanos answers 500 too)', async () => {
  const { wr, raw } = request(1);
  const { MultiHashring, parseHashringConfig } = await import('./hashring.ts');
  const router = new Router({
    hashring: new MultiHashring(parseHashringConfig('[{"tenants":["a"],"endpoints":["x:1"]}]'), 'hashmod', 1),
    replicationFactor: 1,
    localEndpoint: 'x:1',
    forwardTimeout: 100,
    logger: nopLogger,
    local: async () => ({ status: 200, text: '' }),
  });
  const r = await router.write('b', wr, raw);
  assert.equal(r.status, 500);
  assert.match(r.text, /no matching hashring to handle tenant "b"/);
});

test('QuorumTracker: determined only when every series reached quorum or conflicts made it impossible', () => {
  const q = new QuorumTracker(2, 2, 3);
  q.add([0, 1], { ok: true });
  assert.equal(q.determined(), false);
  q.add([0], { ok: true });
  assert.equal(q.determined(), false);
  q.add([1], { ok: false, kind: 'unavailable', message: 'x' });
  assert.equal(q.determined(), false, 'an unavailable replica may still be outweighed');
  q.add([1], { ok: true });
  assert.equal(q.determined(), true);
  assert.equal(q.result().status, 200);
  const c = new QuorumTracker(1, 2, 3);
  c.add([0], { ok: false, kind: 'conflict', message: 'c' });
  c.add([0], { ok: false, kind: 'conflict', message: 'c' });
  assert.equal(c.determined(), true);
  assert.equal(c.result().status, 409);
});
