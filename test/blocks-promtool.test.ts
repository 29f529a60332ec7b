// Interoperability with real Prometheus 2.42 peers (Debian /usr/bin/promtool and /usr/bin/prometheus):
//  - promtool analyzes and dumps a block we wrote, sample for sample;
//  - a Prometheus server loads our block and answers query_range with exactly our samples;
//  - we read blocks promtool creates from an OpenMetrics file, sample for sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels } from '../src/labels/labels.ts';
import { Matcher } from '../src/labels/matcher.ts';
import { BlockReader, writeBlock } from '../src/tsdb/block/block.ts';
import type { BlockMeta } from '../src/tsdb/block/block.ts';
import { chunksFromSamples, collect, valueBits } from '../src/tsdb/block/testutil.ts';
import type { Sample } from '../src/tsdb/block/testutil.ts';
import { STALE_NAN, isStaleNaN } from '../src/tsdb/stale.ts';
import { mulberry32 as prng } from '../src/util/random.ts';
import { freePort } from './helpers/procs.ts';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const H2 = 2 * 3600 * 1000;
const STEP = 15000;


interface InputSeries {
  labels: Labels;
  samples: Sample[];
}

/** 300 series × 240 samples (15 s apart), mixed counters/gauges, one stale marker, NaNs. */
function makeInput(mint: number): InputSeries[] {
  const rnd = prng(42);
  const out: InputSeries[] = [];
  const base = mint + 60_000;
  for (let m = 0; m < 10; m++) {
    for (let i = 0; i < 30; i++) {
      const labels = Labels.fromObject({
        __name__: `strata_test_metric_${m}`,
        instance: `host-${i}:9100`,
        job: m % 2 ? 'node' : 'app',
        ...(i % 7 === 0 ? { zone: 'eu-wést-ü' } : {}),
      });
      const samples: Sample[] = [];
      let c = Math.floor(rnd() * 1000);
      for (let k = 0; k < 240; k++) {
        const t = base + k * STEP;
        let v: number;
        if (m % 3 === 0) v = c += Math.floor(rnd() * 10);
        else if (m % 3 === 1) v = Math.round((rnd() - 0.5) * 1e6) / 1e3;
        else v = rnd() * 1e-3 * (rnd() < 0.5 ? -1 : 1);
        samples.push({ t, v });
      }
      out.push({ labels, samples });
    }
  }
  // Special values: a staleness marker and NaN values.
  out[1]!.samples[100]!.v = STALE_NAN;
  out[2]!.samples[50]!.v = NaN;
  out[2]!.samples[51]!.v = Infinity;
  out[3]!.samples[0]!.v = -0;
  out.sort((a, b) => Labels.compare(a.labels, b.labels));
  return out;
}

/** Go's labels.String() / strconv.Quote for the printable values used here. */
function goLabels(l: Labels): string {
  return '{' + [...l].map((x) => `${x.name}=${JSON.stringify(x.value)}`).join(', ') + '}';
}

async function writeInputBlock(dir: string, input: InputSeries[], mint: number, segmentSize?: number): Promise<BlockMeta> {
  return writeBlock(
    input.map((s) => ({ labels: s.labels, chunks: chunksFromSamples(s.samples) })),
    { dir, mint, maxt: mint + H2, thanos: { labels: { replica: 'a' }, source: 'test' }, ...(segmentSize ? { segmentSize } : {}) },
  );
}

function alignedMint(): number {
  return Math.floor((Date.now() - 3 * H2) / H2) * H2;
}

async function promtoolRoundTrip(segmentSize?: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-blocks-promtool-'));
  try {
    const mint = alignedMint();
    const input = makeInput(mint);
    const meta = await writeInputBlock(dir, input, mint, segmentSize);
    const segs = (await readdir(join(dir, meta.ulid, 'chunks'))).sort();
    if (segmentSize) assert.ok(segs.length >= 3, `expected several segments, got ${segs.join(',')}`);
    else assert.deepEqual(segs, ['000001']);
    assert.equal(meta.stats.numSeries, 300);
    assert.equal(meta.stats.numSamples, 300 * 240);
    assert.equal(meta.stats.numChunks, 300 * 2);
    await mkdir(join(dir, 'wal')); // promtool opens the directory as a read-only DB

    const an = await run(PROMTOOL, ['tsdb', 'analyze', dir, meta.ulid], { maxBuffer: 1 << 26 });
    assert.match(an.stdout, new RegExp(`Block ID: ${meta.ulid}`));
    assert.match(an.stdout, /Series: 300\b/);
    assert.match(an.stdout, /Label names: 4\b/);

    const { stdout } = await run(
      PROMTOOL,
      ['tsdb', 'dump', `--min-time=${mint}`, `--max-time=${mint + H2 - 1}`, dir],
      { maxBuffer: 1 << 28 },
    );
    const got = new Map<string, Sample[]>();
    for (const line of stdout.split('\n')) {
      if (!line) continue;
      const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
      assert.ok(m, `unparsable dump line: ${line}`);
      const v = m[2] === 'NaN' ? NaN : m[2] === '+Inf' ? Infinity : m[2] === '-Inf' ? -Infinity : Number(m[2]);
      let arr = got.get(m[1]!);
      if (!arr) got.set(m[1]!, (arr = []));
      arr.push({ t: Number(m[3]), v });
    }
    assert.equal(got.size, input.length);
    for (const s of input) {
      const g = got.get(goLabels(s.labels));
      assert.ok(g, `series ${goLabels(s.labels)} missing from dump`);
      assert.equal(g.length, s.samples.length);
      for (let i = 0; i < g.length; i++) {
        assert.equal(g[i]!.t, s.samples[i]!.t);
        // %g prints the shortest round-tripping decimal; stale markers print as NaN.
        const want = s.samples[i]!.v;
        if (Number.isNaN(want)) assert.ok(Number.isNaN(g[i]!.v));
        else assert.equal(g[i]!.v, want, `${goLabels(s.labels)} @${g[i]!.t}`); // Object.is: -0 stays -0
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('promtool analyzes and dumps our block, sample for sample', () => promtoolRoundTrip());

test('promtool dumps our block whose chunks span several segment files (refs = segment<<32 | offset)', () =>
  promtoolRoundTrip(64 * 1024));


interface PromMatrix {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

test('Prometheus 2.42 loads our block and query_range returns our samples', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-blocks-prom-'));
  let child: ReturnType<typeof spawn> | null = null;
  let exited: Promise<void> | null = null;
  try {
    const mint = alignedMint();
    const input = makeInput(mint);
    const staging = join(dir, 'staging');
    await mkdir(staging);
    const meta = await writeInputBlock(staging, input, mint);
    const data = join(dir, 'data');
    await mkdir(data);
    await cp(join(staging, meta.ulid), join(data, meta.ulid), { recursive: true });
    const cfg = join(dir, 'prometheus.yml');
    await writeFile(cfg, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    const port = await freePort();
    let log = '';
    child = spawn(
      PROMETHEUS,
      [
        `--config.file=${cfg}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=3650d',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    exited = new Promise((resolve) => child!.once('exit', () => resolve()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        const r = await fetch(`${base}/-/ready`);
        if (r.status === 200) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`prometheus did not become ready:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = input[0]!.samples[0]!.t;
    const last = input[0]!.samples[239]!.t;
    const q = new URLSearchParams({
      query: '{__name__=~"strata_test_metric_.*"}',
      start: String(first / 1000),
      end: String(last / 1000),
      step: '15',
    });
    const res = (await (await fetch(`${base}/api/v1/query_range?${q}`)).json()) as PromMatrix;
    assert.equal(res.status, 'success', JSON.stringify(res).slice(0, 500));
    assert.equal(res.data.resultType, 'matrix');
    const byKey = new Map<string, [number, string][]>(res.data.result.map((r) => [Labels.fromObject(r.metric).key, r.values]));
    assert.equal(byKey.size, input.length, log.slice(-2000));
    for (const s of input) {
      const vals = byKey.get(s.labels.key);
      assert.ok(vals, `missing ${s.labels.toString()}`);
      // Steps coincide with sample timestamps, so each step sees exactly that sample; a staleness
      // marker makes the series absent at its step.
      const want = s.samples.filter((x) => !isStaleNaN(x.v));
      assert.equal(vals.length, want.length, s.labels.toString());
      for (let i = 0; i < want.length; i++) {
        assert.equal(Math.round(vals[i]![0] * 1000), want[i]!.t);
        const v: string = vals[i]![1];
        const w = want[i]!.v;
        if (Number.isNaN(w)) assert.equal(v, 'NaN');
        else if (w === Infinity) assert.equal(v, '+Inf');
        else assert.equal(Number(v), w, `${s.labels.toString()} @${want[i]!.t}`);
      }
    }
    // Label values API also sees our block.
    const lv = (await (await fetch(`${base}/api/v1/label/job/values?start=${mint / 1000}&end=${(mint + H2) / 1000}`)).json()) as {
      data: string[];
    };
    assert.deepEqual(lv.data, ['app', 'node']);
  } finally {
    if (child && child.pid !== undefined && child.exitCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => child!.pid !== undefined && child!.exitCode === null && process.kill(child!.pid, 'SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test('we read blocks promtool creates from OpenMetrics, sample for sample', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-blocks-om-'));
  try {
    const rnd = prng(7);
    const start = alignedMint() + 30 * 60_000; // spans a 2 h boundary → at least two blocks
    const want = new Map<string, { labels: Labels; samples: Sample[] }>();
    let om = '';
    for (let m = 0; m < 4; m++) {
      const name = `om_metric_${m}`;
      om += `# HELP ${name} test metric ${m}\n# TYPE ${name} gauge\n`;
      for (let i = 0; i < 25; i++) {
        const labels = Labels.fromObject({ __name__: name, pod: `pod-${i}`, ns: i % 2 ? 'a' : 'b' });
        const samples: Sample[] = [];
        for (let k = 0; k < 200; k++) {
          const t = start + k * 60_000 + (i % 3) * 1000;
          const v = k === 10 && i === 3 ? NaN : Math.round(rnd() * 1e6) / 100;
          samples.push({ t, v });
          om += `${name}{ns="${labels.get('ns')}",pod="${labels.get('pod')}"} ${Number.isNaN(v) ? 'NaN' : String(v)} ${(t / 1000).toFixed(3)}\n`;
        }
        want.set(labels.key, { labels, samples });
      }
    }
    om += '# EOF\n';
    const file = join(dir, 'in.om');
    await writeFile(file, om);
    const out = join(dir, 'blocks');
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', file, out], { maxBuffer: 1 << 24 });
    const ulids = (await readdir(out)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
    assert.ok(ulids.length >= 2, `expected several blocks, got ${ulids.join(',')}`);
    const got = new Map<string, Sample[]>();
    const keyToLabels = new Map<string, Labels>();
    let names = new Set<string>();
    for (const u of ulids) {
      const br = await BlockReader.open(join(out, u));
      try {
        assert.equal(br.meta.ulid, u);
        const q = br.querier(br.meta.minTime, br.meta.maxTime - 1);
        for await (const s of q.select({ start: br.meta.minTime, end: br.meta.maxTime - 1 }, [new Matcher('=~', '__name__', 'om_.*')])) {
          const it = s.iterator();
          const arr = got.get(s.labels.key) ?? [];
          while (it.next()) arr.push({ t: it.t, v: it.v });
          assert.equal(it.err(), null);
          got.set(s.labels.key, arr);
          keyToLabels.set(s.labels.key, s.labels);
        }
        names = new Set([...names, ...(await q.labelNames([])).values]);
        q.close();
      } finally {
        await br.close();
      }
    }
    assert.deepEqual([...names].sort(), ['__name__', 'ns', 'pod']);
    assert.equal(got.size, want.size);
    for (const [k, w] of want) {
      const g = got.get(k);
      assert.ok(g, `missing ${w.labels.toString()}`);
      g.sort((a, b) => a.t - b.t);
      // Go parses "NaN" to math.NaN() (bits 0x7ff8000000000001), so NaN is compared as "some
      // non-stale NaN"; every other value must match bit for bit.
      const norm = (x: Sample): [number, string] => [x.t, Number.isNaN(x.v) && !isStaleNaN(x.v) ? 'NaN' : valueBits(x.v)];
      assert.deepEqual(g.map(norm), w.samples.map(norm), w.labels.toString());
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('our reader returns exact value bits (stale marker, NaN, -0) for our own block', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-blocks-bits-'));
  try {
    const mint = alignedMint();
    const input = makeInput(mint);
    const meta = await writeInputBlock(dir, input, mint);
    const br = await BlockReader.open(join(dir, meta.ulid));
    try {
      const got = await collect(br.querier(mint, mint + H2 - 1).select({ start: mint, end: mint + H2 - 1 }, []));
      assert.equal(got.size, input.length);
      for (const s of input) {
        const g = got.get(s.labels.toString())!;
        assert.deepEqual(
          g.map((x) => `${x.t}:${valueBits(x.v)}`),
          s.samples.map((x) => `${x.t}:${valueBits(x.v)}`),
        );
      }
      const stale = got.get(input.find((s) => s.samples.some((x) => isStaleNaN(x.v)))!.labels.toString())!;
      assert.equal(stale.filter((x) => isStaleNaN(x.v)).length, 1);
    } finally {
      await br.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
