// Crash safety of `strata compact` as a real process: STRATA_COMPACT_CRASH_AT makes it SIGKILL
// itself at one stage (kill -9: no cleanup runs). After the crash the bucket must serve every raw
// sample exactly once (the reader view: complete blocks, not marked for deletion, without blocks
// whose sources another block covers), and a second run must exit 0 and finish the work: the same
// final layout as an uninterrupted run, no deletion marks left, no lost or duplicated samples.
// The stream c1 has five 2h blocks (four are compacted to 8h); the stream c2 has one raw block
// spanning 48h, which is downsampled to 5m.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBucket } from '../src/objstore/filesystem.ts';
import { fetchBucketState } from '../src/compact/syncer.ts';
import { RES_LEVEL1 } from '../src/compact/downsample/aggr.ts';
import { counterSeries, D, decodeXOR, gaugeSeries, H, MIN, putSyntheticBlock, servedSeries, seriesKey, synthSamples } from '../src/compact/testutil.ts';
import { freePort, startProcess, STRATA_BIN, waitFor } from './helpers/procs.ts';

const T0 = 1400 * 14 * D;
const series = [counterSeries({ __name__: 'jobs_total', job: 'x' }, 3, 5 * H), gaugeSeries({ __name__: 'load', job: 'x' }, 3 * H)];
const C1 = { cluster: 'c1' };
const C2 = { cluster: 'c2' };

function truth(): Map<string, { t: number; v: number }[]> {
  const m = new Map<string, { t: number; v: number }[]>();
  for (const s of series) {
    m.set(seriesKey(C1, s.labels), synthSamples(s, { mint: T0, maxt: T0 + 10 * H, step: MIN }));
    m.set(seriesKey(C2, s.labels), synthSamples(s, { mint: T0 + 10 * H, maxt: T0 + 58 * H, step: MIN }));
  }
  return m;
}

async function assertConsistent(bkt: FilesystemBucket, when: string): Promise<void> {
  const served = await servedSeries(bkt, 0);
  const want = truth();
  assert.deepEqual([...served.series.keys()].sort(), [...want.keys()].sort(), `${when}: series`);
  for (const [k, samples] of want) {
    const got = decodeXOR(served.series.get(k)!.chunks);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.t > got[i - 1]!.t, `${when}: ${k} duplicated or unordered sample at ${got[i]!.t}`);
    assert.equal(got.length, samples.length, `${when}: ${k} sample count`);
    for (let i = 0; i < got.length; i++) if (got[i]!.t !== samples[i]!.t || got[i]!.v !== samples[i]!.v) assert.fail(`${when}: ${k} sample ${i} differs`);
  }
}

async function runCompact(bucketDir: string, dataDir: string, crashAt?: string): Promise<{ code: number | string; out: string }> {
  const cfg = `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`;
  const p = startProcess(process.execPath, [STRATA_BIN, 'compact', '--objstore.config', cfg, '--data-dir', dataDir, '--consistency-delay', '0s', '--delete-delay', '0s', '--http-address', '127.0.0.1:0'], {
    env: { STRATA_COMPACT_CRASH_AT: crashAt ?? '' },
  });
  const t = setTimeout(() => void p.kill9(), 90_000);
  const code = await p.exited;
  clearTimeout(t);
  return { code, out: p.output() };
}

test('kill -9 at each compactor stage leaves a consistent bucket that the next run repairs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-compact-crash-'));
  try {
    const template = join(root, 'template');
    const tb = new FilesystemBucket(template);
    for (let t = T0; t < T0 + 10 * H; t += 2 * H) await putSyntheticBlock(tb, { mint: t, maxt: t + 2 * H, ext: C1, series, step: MIN });
    await putSyntheticBlock(tb, { mint: T0 + 10 * H, maxt: T0 + 58 * H, ext: C2, series, step: MIN });
    await assertConsistent(tb, 'template');

    // Reference: an uninterrupted run.
    const refDir = join(root, 'ref');
    await cp(template, refDir, { recursive: true });
    const ref = await runCompact(refDir, join(root, 'data-ref'));
    assert.equal(ref.code, 0, ref.out);
    const layout = async (dir: string): Promise<string[]> => {
      const st = await fetchBucketState(new FilesystemBucket(dir));
      return [...st.metas.values()]
        .map((m) => `${m.thanos!.labels.cluster} ${(m.minTime - T0) / H}-${(m.maxTime - T0) / H}h L${m.compaction.level} res=${m.thanos!.downsample.resolution}`)
        .sort();
    };
    const want = await layout(refDir);
    assert.deepEqual(want, ['c1 0-8h L2 res=0', 'c1 8-10h L1 res=0', 'c2 10-58h L1 res=0', `c2 10-58h L1 res=${RES_LEVEL1}`]);
    // The compacted and the downsampled block pass `strata tools bucket verify` (exit 0, no issues).
    const verify = startProcess(process.execPath, [STRATA_BIN, 'tools', 'bucket', 'verify', '--objstore.config', `type: FILESYSTEM\nconfig:\n  directory: ${refDir}\n`]);
    assert.equal(await verify.exited, 0, verify.output());
    assert.match(verify.output(), /verified 4 blocks, 0 issues/);

    for (const stage of ['mid-upload', 'after-upload', 'mid-mark', 'after-mark', 'mid-delete', 'after-downsample-upload']) {
      const dir = join(root, stage);
      await cp(template, dir, { recursive: true });
      const bkt = new FilesystemBucket(dir);
      const crashed = await runCompact(dir, join(root, `data-${stage}`), stage);
      assert.equal(crashed.code, 'SIGKILL', `${stage}: expected a kill -9, got ${crashed.code}\n${crashed.out}`);
      await assertConsistent(bkt, `after crash at ${stage}`);
      const again = await runCompact(dir, join(root, `data-${stage}`));
      assert.equal(again.code, 0, `${stage}: second run\n${again.out}`);
      await assertConsistent(bkt, `after the run following ${stage}`);
      assert.deepEqual(await layout(dir), want, `${stage}: final layout`);
      const st = await fetchBucketState(bkt);
      assert.equal(st.deletionMarks.size, 0, `${stage}: marked blocks deleted`);
      // An interrupted upload stays as a partial block (no meta.json) that readers ignore, until
      // Thanos' 2-day threshold for aborted uploads; nothing else may be partial.
      assert.equal(st.partial.size, stage === 'mid-upload' ? 1 : 0, `${stage}: partial blocks ${[...st.partial.keys()].join(',')}`);
      const ds = await servedSeries(bkt, RES_LEVEL1);
      assert.equal(ds.blocks.length, 1, `${stage}: one 5m block`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('--wait mode: passes repeat, /metrics shows progress and halting state, SIGTERM exits 0', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-compact-wait-'));
  try {
    const dir = join(root, 'bucket');
    const bkt = new FilesystemBucket(dir);
    for (let t = T0; t < T0 + 10 * H; t += 2 * H) await putSyntheticBlock(bkt, { mint: t, maxt: t + 2 * H, ext: C1, series, step: MIN });
    const port = await freePort();
    const cfg = `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`;
    const p = startProcess(process.execPath, [STRATA_BIN, 'compact', '--wait', '--wait-interval', '1s', '--objstore.config', cfg, '--data-dir', join(root, 'data'), '--consistency-delay', '0s', '--delete-delay', '0s', '--http-address', `127.0.0.1:${port}`]);
    try {
      const metrics = await waitFor('two compactor passes', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
        if (!r?.ok) return null;
        const body = await r.text();
        const m = /^thanos_compact_iterations_total (\d+)/m.exec(body);
        return m && Number(m[1]) >= 2 ? body : null;
      }, 60_000);
      assert.match(metrics, /^thanos_compact_halted 0$/m);
      assert.match(metrics, /^thanos_compact_group_compactions_total\{group="0@\d+"\} 1$/m);
      assert.match(metrics, /^thanos_compact_blocks_marked_total\{marker="deletion-mark.json",reason=""\} 4$/m);
      const st = await fetchBucketState(bkt);
      assert.equal(st.metas.size, 2);
      assert.equal(await p.stop(), 0, p.output());
    } finally {
      await p.kill9();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
