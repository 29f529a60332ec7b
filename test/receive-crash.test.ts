// kill -9 the receiver while remote writes are in flight; after a restart every acknowledged
// sample must be there (the 2xx is only sent once the samples are in the WAL file).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteWriteClient } from '../src/remotewrite/client.ts';
import { getJSON, startReceive, stopAll, tempDir, type StrataReceive } from './helpers/procs.ts';

interface MatrixResp {
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

const SERIES = 200;
const cleanups: (() => Promise<void>)[] = [];
let running: StrataReceive | undefined;
after(async () => {
  await stopAll(running?.proc);
  for (const c of cleanups) await c();
});

function labelsFor(i: number): string[] {
  return ['__name__', 'crash_test_value', 'job', 'crash', 'series', String(i).padStart(4, '0')];
}

for (const fsync of [false, true]) {
  test(`kill -9 mid-stream loses no acknowledged sample (wal-fsync=${fsync})`, { timeout: 180_000 }, async () => {
    const dir = await tempDir('crash');
    cleanups.push(dir.cleanup);
    const args = fsync ? ['--tsdb.wal-fsync'] : [];
    running = await startReceive(dir.path, args);
    const client = new RemoteWriteClient({ url: running.rwURL, maxSockets: 8, timeoutMs: 10_000 });
    const t0 = Date.now() - 3_600_000;
    const acked: number[] = []; // batch numbers acknowledged with 2xx
    let batch = 0;
    let stop = false;
    // 8 writers; batch b writes one sample per series at t0 + b*1000 with value b. Batches of one
    // writer are sequential; writers interleave, so out-of-order 409s happen — only 2xx count.
    const writers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const b = batch++;
        const series = [];
        for (let i = 0; i < SERIES; i++) series.push({ labels: labelsFor(i), timestamps: [t0 + b * 1000], values: [b + i / 1000] });
        try {
          const r = await client.write({ series });
          if (r.status >= 200 && r.status < 300) acked.push(b);
        } catch {
          // connection reset by the kill: not acknowledged
        }
      }
    });
    await new Promise((r) => setTimeout(r, 2500));
    await running.proc.kill9();
    stop = true;
    await Promise.all(writers);
    client.close();
    assert.ok(acked.length > 20, `only ${acked.length} batches acknowledged before the kill`);

    // Restart on the same directory: the WAL replay must bring back every acknowledged sample.
    running = await startReceive(dir.path, args);
    const end = Math.ceil((t0 + batch * 1000) / 1000) + 1;
    const q = encodeURIComponent('crash_test_value[2h]');
    const r = await getJSON<MatrixResp>(`${running.httpURL}/api/v1/query?query=${q}&time=${end}`);
    assert.equal(r.data.result.length, SERIES);
    for (const s of r.data.result) {
      const i = Number(s.metric['series']);
      const have = new Map(s.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]));
      for (const b of acked) {
        const v = have.get(t0 + b * 1000);
        assert.equal(v, b + i / 1000, `series ${i}: acknowledged batch ${b} missing or wrong after restart`);
      }
    }
    await running.proc.stop();
    running = undefined;
  });
}
