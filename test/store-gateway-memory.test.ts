// Bounded memory: `strata store` serves a bucket of ≥ 2 GiB of blocks (written with writeBlock straight
// into a filesystem bucket: 2,000 series per 2 h block, one 7,200-sample chunk of random floats per
// series ≈ 50 KiB, about 106 MB per block, blocks added until the bucket holds 2 GiB — 21 blocks,
// 2.08 GiB) while its resident set size is sampled; queries touch every block: a dashboard query whose
// samples are checked exactly (our StoreClient), then a full scan streaming every chunk of the bucket
// over the StoreAPI (raw gRPC stream with a 16 MiB flow-control window; chunk bytes counted, not
// decoded) with a second dashboard query alongside. Peak RSS (VmHWM) must stay under 300 MiB. The data is not scaled down;
// the test takes 1.5–2.5 minutes on 2 cores (20–40 s writing the bucket, 50–85 s for the full scan).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Labels } from '../src/labels/labels.ts';
import { Matcher } from '../src/labels/matcher.ts';
import { ValueType } from '../src/storage/interfaces.ts';
import * as grpc from '@grpc/grpc-js';
import { StoreClient } from '../src/storeapi/client.ts';
import { StoreClient as PbStoreClient, type SeriesRequest, type SeriesResponse } from '../src/storeapi/gen/store/storepb/rpc.ts';
import { LabelMatcher_Type, PartialResponseStrategy } from '../src/storeapi/gen/store/storepb/types.ts';
import { syntheticLabels, syntheticTimestamp, syntheticValue, writeSyntheticBucket, type SyntheticBucketOptions } from '../src/store/testutil.ts';
import { freePort, httpOk, startProcess, STRATA_BIN, tempDir, waitFor, type Proc } from './helpers/procs.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const RSS_LIMIT = 300 * MiB;

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

test('store gateway memory stays under 300 MiB RSS while serving a ≥ 2 GiB bucket', { timeout: 420_000 }, async () => {
  const tmp = await tempDir('store-mem');
  let proc: Proc | null = null;
  let client: StoreClient | null = null;
  let rawClient: PbStoreClient | null = null;
  let sampler: NodeJS.Timeout | null = null;
  try {
    const o: SyntheticBucketOptions = {
      dir: join(tmp.path, 'bucket'),
      blocks: 40,
      minBytes: 2 * GiB,
      seriesPerBlock: 2000,
      metrics: 10,
      samplesPerChunk: 7200,
      chunksPerSeries: 1,
      intervalMs: 1000,
      start: 1_700_006_400_000,
      pool: 16,
      randomValues: true,
      ext: { cluster: 'mem', replica: '0' },
    };
    const t0 = Date.now();
    const { metas, bytes } = await writeSyntheticBucket(o);
    const genSecs = (Date.now() - t0) / 1000;
    assert.ok(bytes >= 2 * GiB, `bucket holds ${bytes} bytes`);
    const nblocks = metas.length;

    const httpPort = await freePort();
    const grpcPort = await freePort();
    proc = startProcess(process.execPath, [
      STRATA_BIN,
      'store',
      `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${o.dir}\n`,
      `--data-dir=${join(tmp.path, 'store')}`,
      `--http-address=127.0.0.1:${httpPort}`,
      `--grpc-address=127.0.0.1:${grpcPort}`,
      '--index-cache-size=64MiB',
      '--log.level=warn',
    ]);
    const p = proc;
    await waitFor('strata store ready', async () => {
      if (p.child.exitCode !== null) throw new Error(`strata store exited: ${p.output()}`);
      return httpOk(`http://127.0.0.1:${httpPort}/-/ready`);
    }, 120_000);
    let maxRss = procStatus(p.pid, 'VmRSS');
    sampler = setInterval(() => {
      try {
        maxRss = Math.max(maxRss, procStatus(p.pid, 'VmRSS'));
      } catch {
        /* exited */
      }
    }, 50);

    client = new StoreClient(`127.0.0.1:${grpcPort}`, { timeoutMs: 300_000 });
    const info = await client.info();
    const mint = metas[0]!.minTime;
    const maxt = metas[nblocks - 1]!.maxTime;
    assert.equal(info.minTime, mint);
    assert.equal(info.maxTime, maxt);

    // Dashboard-style: a few series of one metric over the whole range (all blocks); exact samples.
    const dash = async (): Promise<void> => {
      const q = client!.querier(mint, maxt);
      const ms = [Matcher.eq('__name__', 'synthetic_metric_003'), new Matcher('=~', 'instance', 'host-00000[0-4]')];
      let n = 0;
      for await (const s of q.select({ start: mint, end: maxt }, ms)) {
        const i = Number(/host-(\d+)/.exec(s.labels.get('instance'))![1]) * o.metrics + 3;
        assert.equal(s.labels.toString(), Labels.fromObject({ ...syntheticLabels(i, o.metrics).toObject(), ...o.ext }).toString());
        const it = s.iterator();
        let b = 0;
        let k = 0;
        while (it.next() !== ValueType.None) {
          assert.equal(it.t, syntheticTimestamp(o, b, 0, k));
          assert.equal(it.v, syntheticValue(o, b, i % o.pool, 0, k));
          if (++k === o.samplesPerChunk) {
            k = 0;
            b++;
          }
        }
        assert.equal(it.err(), null);
        assert.equal(b, nblocks, 'samples from every block');
        n++;
      }
      assert.equal(n, 5);
    };
    // Full scan: every series of every block, raw chunk bytes counted (not decoded).
    const raw = new PbStoreClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 256 * MiB,
      'grpc-node.flow_control_window': 16 * MiB,
    });
    rawClient = raw;
    const scan = async (): Promise<{ series: number; chunks: number; bytes: number }> => {
      const req: SeriesRequest = {
        minTime: BigInt(mint), maxTime: BigInt(maxt),
        matchers: [{ type: LabelMatcher_Type.EQ, name: 'job', value: 'synthetic' }],
        maxResolutionWindow: 0n, aggregates: [], partialResponseDisabled: true, partialResponseStrategy: PartialResponseStrategy.ABORT,
        skipChunks: false, hints: undefined, step: 0n, range: 0n, queryHints: undefined, shardInfo: undefined,
        withoutReplicaLabels: [], limit: 0n, responseBatchSize: 1n,
      };
      const r = { series: 0, chunks: 0, bytes: 0 };
      let prev = '';
      for await (const resp of raw.series(req) as AsyncIterable<SeriesResponse>) {
        for (const s of resp.series ? [resp.series] : (resp.batch?.series ?? [])) {
          // A long series may span several frames: count distinct label sets.
          const key = s.labels.map((l) => `${l.name}=${l.value}`).join(',');
          if (key !== prev) r.series++;
          prev = key;
          for (const c of s.chunks) {
            r.chunks++;
            r.bytes += c.raw?.data.length ?? 0;
          }
        }
      }
      return r;
    };

    const t1 = Date.now();
    await dash();
    const dashSecs = (Date.now() - t1) / 1000;
    const t2 = Date.now();
    // The scan, with a dashboard query running alongside it.
    const [full] = await Promise.all([scan(), dash()]);
    const scanSecs = (Date.now() - t2) / 1000;
    assert.equal(full.series, o.seriesPerBlock);
    assert.equal(full.chunks, o.seriesPerBlock * nblocks);
    assert.ok(full.bytes >= 0.97 * bytes, `streamed ${full.bytes} chunk bytes of ${bytes}`);

    clearInterval(sampler);
    sampler = null;
    const hwm = procStatus(p.pid, 'VmHWM');
    const peak = Math.max(maxRss, hwm);
    const msg =
      `bucket ${(bytes / GiB).toFixed(2)} GiB in ${nblocks} blocks (generated in ${genSecs.toFixed(0)} s); ` +
      `dashboard query ${dashSecs.toFixed(2)} s, full scan ${scanSecs.toFixed(1)} s (${(full.bytes / MiB / scanSecs).toFixed(0)} MiB/s); ` +
      `store peak RSS ${(peak / MiB).toFixed(0)} MiB`;
    console.log(`# ${msg}`);
    assert.ok(peak < RSS_LIMIT, msg);
    assert.equal(await p.stop(), 0);
  } finally {
    if (sampler) clearInterval(sampler);
    client?.close();
    rawClient?.close();
    await proc?.stop();
    await tmp.cleanup();
  }
});
