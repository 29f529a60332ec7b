// Each kind of bad remote-write input gets the Thanos status code and a message naming the problem,
// from a real `strata receive` process, and never corrupts what was stored before.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import snappy from 'snappy';
import { RemoteWriteClient, REMOTE_WRITE_HEADERS } from '../src/remotewrite/client.ts';
import { encodeWriteRequestProto } from '../src/remotewrite/codec.ts';
import { getJSON, startReceive, stopAll, tempDir, type StrataReceive } from './helpers/procs.ts';

let rcv: StrataReceive | undefined;
let cleanup: (() => Promise<void>) | undefined;
after(async () => {
  await stopAll(rcv?.proc);
  await cleanup?.();
});

async function post(url: string, body: Uint8Array, headers: Record<string, string> = REMOTE_WRITE_HEADERS): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { method: 'POST', body, headers });
  return { status: r.status, body: await r.text() };
}

test('bad input is answered with the right code and a message; good data survives', { timeout: 120_000 }, async () => {
  const dir = await tempDir('badinput');
  cleanup = dir.cleanup;
  rcv = await startReceive(dir.path, ['--receive.max-request-bytes=64KiB']);
  const c = new RemoteWriteClient({ url: rcv.rwURL });
  const L = ['__name__', 'bad_input_test', 'job', 'x'];
  const t = Date.now() - 60_000;

  let r = await c.write({ series: [{ labels: L, timestamps: [t, t + 1000], values: [1, 2] }] });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, '');

  // Exact resend (an idempotent retry) succeeds.
  r = await c.write({ series: [{ labels: L, timestamps: [t, t + 1000], values: [1, 2] }] });
  assert.equal(r.status, 200, r.body);

  // Out of order.
  r = await c.write({ series: [{ labels: L, timestamps: [t + 500], values: [5] }] });
  assert.equal(r.status, 409, r.body);
  assert.match(r.body, /out of order/i);
  assert.match(r.body, /bad_input_test/);

  // Same timestamp, different value.
  r = await c.write({ series: [{ labels: L, timestamps: [t + 1000], values: [3] }] });
  assert.equal(r.status, 409, r.body);
  assert.match(r.body, /duplicate/i);

  // Labels breaking the rules.
  for (const [labels, why] of [
    [['job', 'x', '__name__', 'm'], /sort|order/i],
    [['__name__', 'm', '__name__', 'n'], /duplicate/i],
    [['__name__', 'm', '', 'v'], /empty/i],
    [['__name__', 'm', 'job', ''], /empty/i],
    [[], /empty/i],
  ] as const) {
    r = await c.write({ series: [{ labels: [...labels], timestamps: [t + 5000], values: [1] }] });
    assert.equal(r.status, 409, `${JSON.stringify(labels)}: ${r.status} ${r.body}`);
    assert.match(r.body, why, r.body);
  }

  // Malformed bodies.
  r = await post(rcv.rwURL, new Uint8Array([1, 2, 3, 4, 5]));
  assert.equal(r.status, 400, r.body);
  assert.ok(r.body.length > 0);
  r = await post(rcv.rwURL, await snappy.compress(Buffer.from([0x0a, 0xff, 0x01])));
  assert.equal(r.status, 400, r.body);
  r = await post(rcv.rwURL, encodeWriteRequestProto({ series: [{ labels: L, timestamps: [t + 9000], values: [1] }] }));
  assert.equal(r.status, 400, 'uncompressed protobuf must be rejected: ' + r.body);

  // Too large after decompression.
  const big = { series: Array.from({ length: 2000 }, (_, i) => ({ labels: ['__name__', 'big', 'i', String(i)], timestamps: [t], values: [i] })) };
  r = await c.write(big);
  assert.equal(r.status, 413, r.body);

  // Remote write 2.0 is not supported yet.
  r = await post(rcv.rwURL, await snappy.compress(Buffer.from([0x22, 0x00])), {
    ...REMOTE_WRITE_HEADERS,
    'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    'X-Prometheus-Remote-Write-Version': '2.0.0',
  });
  assert.equal(r.status, 415, r.body);

  // Native histograms are refused with a reason.
  r = await c.write({
    series: [{ labels: ['__name__', 'nh', 'job', 'x'], histograms: [{ countInt: 1, sum: 1, schema: 0, zeroThreshold: 0, zeroCountInt: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [1], positiveCounts: [], negativeSpans: [], negativeDeltas: [], negativeCounts: [], resetHint: 0, timestamp: t, customValues: [] }] }],
  });
  assert.equal(r.status, 400, r.body);
  assert.match(r.body, /histogram/i);

  // GET is not a write.
  const g = await fetch(rcv.rwURL);
  assert.equal(g.status, 405);

  // Nothing above corrupted the good series.
  const q = await getJSON<{ data: { result: { values: [number, string][] }[] } }>(
    `${rcv.httpURL}/api/v1/query?query=${encodeURIComponent('bad_input_test[10m]')}&time=${(t + 2000) / 1000}`,
  );
  assert.deepEqual(q.data.result[0]!.values, [
    [t / 1000, '1'],
    [(t + 1000) / 1000, '2'],
  ]);
  c.close();
});
