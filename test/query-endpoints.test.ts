// `strata query` endpoint health with real processes, as Thanos' endpoint set: an `--endpoint`
// that does not answer Info is not queried (no partial-response warning once the first check has
// run), the same address as `--endpoint-strict` is always queried (so it yields a warning); a
// store that starts later on that address joins at the next check, and when it dies it leaves the
// fan-out of the non-strict querier at the next check while it stays in the strict one's.
// --endpoint.info-timeout=1s makes the checks run every second (Thanos' interval is that timeout).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import { freePort, getJSON, startQuery as startStrataQuery, startReceive, stopAll, sumMetric, tempDir, waitFor, type Proc } from './helpers/procs.ts';

interface VectorResp {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  warnings?: string[];
}
interface StoresResp {
  status: string;
  data: Record<string, { name: string; lastCheck: string; lastError: string | null; labelSets: Record<string, string>[] }[]>;
}

const procs: Proc[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  await stopAll(...procs);
  for (const c of cleanups) await c();
});

async function startQuery(flags: string[]): Promise<{ proc: Proc; url: string }> {
  const q = await startStrataQuery(['--endpoint.info-timeout=1s', '--query.replica-label=replica', ...flags]);
  procs.push(q.proc);
  return { proc: q.proc, url: q.httpURL };
}

/** Writes one sample of qe_metric{src=<src>} one second ago. */
async function writeSample(rwURL: string, src: string): Promise<void> {
  const c = new RemoteWriteClient({ url: rwURL });
  try {
    const r = await c.write({ series: [{ labels: ['__name__', 'qe_metric', 'src', src], timestamps: [Date.now() - 1000], values: [1] }] });
    assert.equal(r.status, 200, r.body);
  } finally {
    c.close();
  }
}

const instant = (url: string) => getJSON<VectorResp>(`${url}/api/v1/query?query=${encodeURIComponent('qe_metric')}`);
const srcs = (r: VectorResp) => r.data.result.map((s) => s.metric.src).sort();
const members = async (url: string) => Object.values((await getJSON<StoresResp>(`${url}/api/v1/stores`)).data).flat();

test('--endpoint is queried only while healthy, --endpoint-strict always; a late store joins and a dead one leaves', { timeout: 60_000 }, async () => {
  const tmp = await tempDir('query-endpoints');
  cleanups.push(tmp.cleanup);
  const liveGrpc = `127.0.0.1:${await freePort()}`;
  const lateGrpc = `127.0.0.1:${await freePort()}`; // nothing listens here yet
  const live = await startReceive(join(tmp.path, 'live'), [`--grpc-address=${liveGrpc}`, '--label=replica="live"']);
  procs.push(live.proc);
  await writeSample(live.rwURL, 'live');

  const [loose, strict] = await Promise.all([
    startQuery([`--endpoint=${liveGrpc}`, `--endpoint=${lateGrpc}`]),
    startQuery([`--endpoint=${liveGrpc}`, `--endpoint-strict=${lateGrpc}`]),
  ]);

  // Ready means the first check has run. (On a loaded machine the live receiver may miss its
  // 1 s Info deadline once, so wait until it is a healthy member.)
  for (const q of [loose, strict]) await waitFor('the live receiver is a healthy member', async () => (await members(q.url)).find((e) => e.name === liveGrpc && e.lastError === null), 15_000, 100);
  // The dead non-strict endpoint is not queried at all.
  const r1 = await instant(loose.url);
  assert.equal(r1.status, 'success');
  assert.deepEqual(srcs(r1), ['live']);
  assert.equal(r1.warnings, undefined, `no warnings: ${JSON.stringify(r1.warnings)}`);
  assert.deepEqual((await members(loose.url)).map((m) => m.name), [liveGrpc], 'a never-healthy --endpoint is not listed');
  const m1 = await (await fetch(`${loose.url}/metrics`)).text();
  assert.equal(sumMetric(m1, 'strata_query_endpoints', (l) => l.includes('healthy="true"')), 1);
  assert.equal(sumMetric(m1, 'strata_query_endpoints', (l) => l.includes('healthy="false"')), 0);

  // The same address as --endpoint-strict is queried: partial response with a warning naming it.
  const r2 = await instant(strict.url);
  assert.equal(r2.status, 'success');
  assert.deepEqual(srcs(r2), ['live']);
  assert.ok(r2.warnings?.some((w) => w.startsWith(`${lateGrpc}: `)), `warning names ${lateGrpc}: ${JSON.stringify(r2.warnings)}`);
  const strictMember = (await members(strict.url)).find((m) => m.name === lateGrpc);
  assert.ok(strictMember?.lastError, 'the strict endpoint is listed as down');
  const m2 = await (await fetch(`${strict.url}/metrics`)).text();
  assert.equal(sumMetric(m2, 'strata_query_endpoints', (l) => l.includes('healthy="false"')), 1);

  // A store starts later on that address: both queriers pick it up at a next check.
  const late = await startReceive(join(tmp.path, 'late'), [`--grpc-address=${lateGrpc}`, '--label=replica="late"']);
  procs.push(late.proc);
  await writeSample(late.rwURL, 'late');
  for (const q of [loose, strict]) {
    // (The strict querier reads it as soon as it listens; /api/v1/stores follows at the next check.
    // Its first Info may predate the sample, whose time range the proxy then prunes until the next.)
    // (A receiver advertises a tenant's label set only once that tenant has written.)
    const m = await waitFor('the late store is a healthy member', async () => (await members(q.url)).find((e) => e.name === lateGrpc && e.lastError === null && e.labelSets.length > 0), 15_000, 100);
    assert.deepEqual(m.labelSets, [{ replica: 'late', tenant_id: 'default-tenant' }]);
    const r = await waitFor('the late store answers', async () => {
      const r = await instant(q.url);
      return srcs(r).join() === 'late,live' ? r : null;
    }, 15_000, 100);
    assert.equal(r.status, 'success');
    assert.equal(r.warnings, undefined, `no warnings: ${JSON.stringify(r.warnings)}`);
  }

  // It dies: the non-strict querier drops it at the next check (still listed, with the error,
  // until --store.unhealthy-timeout) and answers without warnings; the strict one keeps warning.
  await late.proc.kill9();
  await waitFor('the dead store leaves the fan-out', async () => {
    const m = (await members(loose.url)).find((e) => e.name === lateGrpc);
    if (!m?.lastError) return null;
    const r = await instant(loose.url);
    return r.warnings === undefined && srcs(r).join() === 'live';
  }, 15_000, 100);
  const r3 = await waitFor('the strict querier answers with live data', async () => {
    const r = await instant(strict.url);
    return srcs(r).join() === 'live' ? r : null;
  }, 15_000, 100);
  assert.ok(r3.warnings?.some((w) => w.startsWith(`${lateGrpc}: `)), `warning names ${lateGrpc}: ${JSON.stringify(r3.warnings)}`);

  assert.equal(await loose.proc.stop(), 0);
  assert.equal(await strict.proc.stop(), 0);
});
