// `strata tools bucket …`: operator tools over a Thanos-layout bucket, after Thanos
// cmd/thanos/tools_bucket.go:
//   ls                 one line per block (table, or one meta.json per line with -o json)
//   inspect            per-block table with stats and sizes
//   verify             reads every block through ranged GETs (BucketReadAt) and checks index
//                      and chunk invariants; exit 1 when an issue is found
//   upload-prometheus  imports the blocks of a Prometheus data dir like the sidecar does (Thanos
//                      meta section with external labels, source "sidecar"; meta.json uploaded last)
// Results go to stdout, progress and summaries to stderr.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compareStrings, Labels } from '../labels/labels.ts';
import { type Bucket, isNotFound } from '../objstore/bucket.ts';
import { bucketFromFlags } from '../objstore/config.ts';
import { BucketReadAt } from '../objstore/readat.ts';
import { goIndentedJSON, isBlockDirName, readLocalBlockMeta, thanosSection } from '../receive/shipper.ts';
import { ChunkEncoding, ValueType } from '../storage/interfaces.ts';
import { decodeMeta, encodeMeta, type BlockMeta } from '../tsdb/block/meta.ts';
import { chunkNumSamples } from '../tsdb/block/writer.ts';
import { XORIterator } from '../tsdb/chunkenc/xor.ts';
import { ChunkReader, chunkRefOffset, chunkRefSegment, segmentFileName } from '../tsdb/chunks/chunks.ts';
import { IndexReader } from '../tsdb/index/reader.ts';
import { parseLabelFlags } from '../util/labelflag.ts';
import { opt } from './common.ts';

type Opts = Record<string, unknown>;

function bucketOf(opts: Opts): Bucket {
  const configFile = opt<string | undefined>(opts, 'objstore.config-file');
  const config = opt<string | undefined>(opts, 'objstore.config');
  return bucketFromFlags({ configFile, config });
}

function progress(msg: string): void {
  process.stderr.write(msg + '\n');
}

// ------------------------------------------------------------------------------------- formatting

/** Go's time.Duration.String() for a millisecond count (e.g. 2h0m0s, 1m5.5s, 250ms). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let v = Math.abs(ms);
  let out: string;
  if (v < 1000) out = `${v}ms`;
  else {
    const h = Math.floor(v / 3_600_000);
    v -= h * 3_600_000;
    const m = Math.floor(v / 60_000);
    v -= m * 60_000;
    const s = Math.floor(v / 1000);
    const frac = v - s * 1000;
    const secs = frac ? `${s}.${String(frac).padStart(3, '0').replace(/0+$/, '')}s` : `${s}s`;
    out = h > 0 ? `${h}h${m}m${secs}` : m > 0 ? `${m}m${secs}` : secs;
  }
  return neg ? '-' + out : out;
}

/** RFC 3339 in UTC; milliseconds only when present. */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, 'Z') : iso;
}

function labelsText(l: Record<string, string> | undefined): string {
  if (!l) return '';
  return Object.keys(l)
    .sort(compareStrings)
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(',');
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

// ----------------------------------------------------------------------------------- bucket metas

export interface BucketBlock {
  meta: BlockMeta;
  /** Objects under <ulid>/ with their sizes. */
  objects?: Map<string, number>;
}

/** Every block with a readable meta.json, sorted by minTime then ULID. Partial blocks are reported on stderr. */
export async function listBlocks(bkt: Bucket): Promise<BlockMeta[]> {
  const dirs: string[] = [];
  await bkt.iter('', (k) => {
    if (k.endsWith('/') && isBlockDirName(k.slice(0, -1))) dirs.push(k.slice(0, -1));
  });
  const out: BlockMeta[] = [];
  for (const d of dirs) {
    let text: string;
    try {
      text = new TextDecoder().decode(await bkt.get(`${d}/meta.json`));
    } catch (e) {
      if (isNotFound(e)) {
        progress(`${d}: no meta.json (partial upload or block being deleted); skipped`);
        continue;
      }
      throw e;
    }
    try {
      out.push(decodeMeta(text));
    } catch (e) {
      progress(`${d}: unreadable meta.json: ${(e as Error).message}; skipped`);
    }
  }
  out.sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid));
  return out;
}

function outputFormat(opts: Opts, allowed: string[]): string {
  const o = String(opt(opts, 'output') ?? 'table');
  if (!allowed.includes(o)) throw new Error(`unknown output format ${JSON.stringify(o)} (use ${allowed.join(' or ')})`);
  return o;
}

export async function runBucketLs(opts: Opts): Promise<void> {
  const format = outputFormat(opts, ['table', 'json']);
  const bkt = bucketOf(opts);
  try {
    const metas = await listBlocks(bkt);
    if (format === 'json') {
      for (const m of metas) process.stdout.write(JSON.stringify(JSON.parse(encodeMeta(m))) + '\n');
    } else {
      const rows = metas.map((m) => [
        m.ulid,
        rfc3339(m.minTime),
        rfc3339(m.maxTime),
        goDuration(m.maxTime - m.minTime),
        String(m.compaction.level),
        goDuration(m.thanos?.downsample.resolution ?? 0),
        String(m.stats.numSeries ?? 0),
        String(m.stats.numSamples ?? 0),
        m.thanos?.source ?? '',
        labelsText(m.thanos?.labels),
      ]);
      process.stdout.write(table(['ULID', 'FROM', 'UNTIL', 'RANGE', 'LEVEL', 'RESOLUTION', '#SERIES', '#SAMPLES', 'SOURCE', 'LABELS'], rows));
    }
    progress(`${metas.length} blocks in ${bkt.name()}`);
  } finally {
    await bkt.close();
  }
}

async function blockObjects(bkt: Bucket, ulid: string): Promise<Map<string, number>> {
  const keys: string[] = [];
  await bkt.iter(`${ulid}/`, (k) => void keys.push(k), { recursive: true });
  const out = new Map<string, number>();
  for (const k of keys) out.set(k.slice(ulid.length + 1), (await bkt.attributes(k)).size);
  return out;
}

/** Thanos inspect: time left until the block is old enough to be downsampled (40h raw, 10d 5m). */
function untilDown(m: BlockMeta): string {
  const res = m.thanos?.downsample.resolution ?? 0;
  const need = res === 0 ? 40 * 3_600_000 : res === 300_000 ? 10 * 24 * 3_600_000 : 0;
  if (need === 0) return '-';
  const left = need - (m.maxTime - m.minTime);
  return left > 0 ? goDuration(left) : '0s';
}

export async function runBucketInspect(opts: Opts): Promise<void> {
  const format = outputFormat(opts, ['table', 'json']);
  const bkt = bucketOf(opts);
  try {
    const metas = await listBlocks(bkt);
    const rows: string[][] = [];
    for (const m of metas) {
      const objs = await blockObjects(bkt, m.ulid);
      let chunkBytes = 0;
      for (const [k, v] of objs) if (k.startsWith('chunks/')) chunkBytes += v;
      const indexBytes = objs.get('index') ?? 0;
      if (format === 'json') {
        process.stdout.write(
          JSON.stringify({ ...(JSON.parse(encodeMeta(m)) as object), size: { index_bytes: indexBytes, chunks_bytes: chunkBytes, objects: objs.size } }) + '\n',
        );
        continue;
      }
      rows.push([
        m.ulid,
        rfc3339(m.minTime),
        rfc3339(m.maxTime),
        goDuration(m.maxTime - m.minTime),
        untilDown(m),
        String(m.stats.numSeries ?? 0),
        String(m.stats.numSamples ?? 0),
        String(m.stats.numChunks ?? 0),
        String(m.compaction.level),
        String(m.compaction.failed === true),
        labelsText(m.thanos?.labels),
        goDuration(m.thanos?.downsample.resolution ?? 0),
        m.thanos?.source ?? '',
        String(indexBytes),
        String(chunkBytes),
      ]);
    }
    if (format === 'table') {
      process.stdout.write(
        table(
          ['ULID', 'FROM', 'UNTIL', 'RANGE', 'UNTIL-DOWN', '#SERIES', '#SAMPLES', '#CHUNKS', 'COMP-LEVEL', 'COMP-FAILED', 'LABELS', 'RESOLUTION', 'SOURCE', 'INDEX-BYTES', 'CHUNK-BYTES'],
          rows,
        ),
      );
    }
    progress(`${metas.length} blocks in ${bkt.name()}`);
  } finally {
    await bkt.close();
  }
}

// ------------------------------------------------------------------------------------------ verify

export interface VerifyResult {
  ulid: string;
  issues: string[];
  series: number;
  chunks: number;
  samples: number;
}

const MAX_ISSUES_PER_BLOCK = 50;

/** Checks one block in the bucket through ranged reads; returns the issues found (empty when healthy). */
export async function verifyBlock(bkt: Bucket, meta: BlockMeta): Promise<VerifyResult> {
  const issues: string[] = [];
  const issue = (s: string): void => {
    if (issues.length < MAX_ISSUES_PER_BLOCK) issues.push(s);
    else if (issues.length === MAX_ISSUES_PER_BLOCK) issues.push('… more issues not shown');
  };
  const res: VerifyResult = { ulid: meta.ulid, issues, series: 0, chunks: 0, samples: 0 };
  const objs = await blockObjects(bkt, meta.ulid);
  if (!objs.has('index')) {
    issue('index object missing');
    return res;
  }
  const segSizes: number[] = [];
  for (let i = 0; objs.has(`chunks/${segmentFileName(i)}`); i++) segSizes.push(objs.get(`chunks/${segmentFileName(i)}`)!);
  for (const k of objs.keys()) {
    if (k.startsWith('chunks/') && !/^chunks\/\d{6}$/.test(k)) issue(`unexpected object ${k}`);
  }
  for (const f of meta.thanos?.files ?? []) {
    if (f.rel_path === 'meta.json') continue;
    const sz = objs.get(f.rel_path);
    if (sz === undefined) issue(`meta.json lists ${f.rel_path}, which is missing`);
    else if (f.size_bytes !== undefined && f.size_bytes !== sz) issue(`${f.rel_path}: size ${sz} differs from meta.json (${f.size_bytes})`);
  }
  if (meta.minTime >= meta.maxTime) issue(`empty or inverted block range [${meta.minTime}, ${meta.maxTime})`);

  let ir: IndexReader;
  try {
    ir = await IndexReader.open(await BucketReadAt.open(bkt, `${meta.ulid}/index`, objs.get('index')));
  } catch (e) {
    issue(`index: ${(e as Error).message}`);
    return res;
  }
  const cr = new ChunkReader((i) => {
    const sz = segSizes[i];
    if (sz === undefined) throw new Error(`chunk segment ${segmentFileName(i)} missing`);
    return BucketReadAt.open(bkt, `${meta.ulid}/chunks/${segmentFileName(i)}`, sz);
  }, true);
  try {
    // Symbols: strictly increasing by UTF-8 bytes.
    const syms = ir.allSymbols();
    for (let i = 1; i < syms.length; i++) {
      if (compareStrings(syms[i - 1]!, syms[i]!) >= 0) issue(`symbols not sorted/unique at ${i}: ${JSON.stringify(syms[i - 1])} ≥ ${JSON.stringify(syms[i])}`);
    }
    // Postings offset table: names and values sorted.
    const names = ir.labelNames();
    for (let i = 1; i < names.length; i++) if (compareStrings(names[i - 1]!, names[i]!) >= 0) issue(`postings table label names not sorted at ${names[i]}`);
    const all = await ir.allPostings();
    for (let i = 1; i < all.length; i++) if (all[i - 1]! >= all[i]!) issue(`all-postings not strictly increasing at position ${i}`);

    // Series: sorted, well-formed labels, chunks in order and in range, chunk refs inside the files.
    const fromSeries = new Map<string, Map<string, number[]>>();
    let prev: Labels | null = null;
    const BATCH = 1024;
    for (let i = 0; i < all.length; i += BATCH) {
      const ids = all.subarray(i, i + BATCH);
      const entries = await ir.series(ids);
      const refs: number[] = [];
      const owners: { labels: Labels; minTime: number; maxTime: number }[] = [];
      for (const e of entries) {
        res.series++;
        const f = e.labels.flat;
        if (f.length === 0) issue(`series ${e.id}: empty label set`);
        for (let k = 2; k < f.length; k += 2) {
          if (compareStrings(f[k - 2]!, f[k]!) >= 0) issue(`series ${e.id} ${e.labels.toString()}: label names not sorted/unique`);
        }
        for (let k = 0; k < f.length; k += 2) {
          if (f[k + 1] === '') issue(`series ${e.id} ${e.labels.toString()}: empty label value for ${f[k]}`);
          let byVal = fromSeries.get(f[k]!);
          if (!byVal) fromSeries.set(f[k]!, (byVal = new Map()));
          let l = byVal.get(f[k + 1]!);
          if (!l) byVal.set(f[k + 1]!, (l = []));
          l.push(e.id);
        }
        if (prev !== null && Labels.compare(prev, e.labels) >= 0) issue(`series not sorted: ${e.labels.toString()} after ${prev.toString()}`);
        prev = e.labels;
        if (e.chunks.length === 0) issue(`series ${e.labels.toString()}: no chunks`);
        let lastMax = -Infinity;
        for (const c of e.chunks) {
          res.chunks++;
          if (c.minTime > c.maxTime) issue(`series ${e.labels.toString()}: chunk [${c.minTime}, ${c.maxTime}] inverted`);
          if (c.minTime <= lastMax) issue(`series ${e.labels.toString()}: chunks out of time order or overlapping at ${c.minTime}`);
          if (c.minTime < meta.minTime || c.maxTime >= meta.maxTime) {
            issue(`series ${e.labels.toString()}: chunk [${c.minTime}, ${c.maxTime}] outside block range [${meta.minTime}, ${meta.maxTime})`);
          }
          lastMax = c.maxTime;
          const seg = chunkRefSegment(c.ref);
          const off = chunkRefOffset(c.ref);
          if (seg >= segSizes.length || off < 8 || off >= segSizes[seg]!) {
            issue(`series ${e.labels.toString()}: chunk ref ${c.ref} (segment ${seg}, offset ${off}) outside the chunk files`);
            continue;
          }
          refs.push(c.ref);
          owners.push({ labels: e.labels, minTime: c.minTime, maxTime: c.maxTime });
        }
      }
      // Read the chunks (the reader checks each CRC32C) and decode every sample.
      let raw: { encoding: number; data: Uint8Array }[];
      try {
        raw = await cr.chunks(refs);
      } catch {
        // Find the bad chunk(s) one by one for a precise report.
        raw = [];
        for (let k = 0; k < refs.length; k++) {
          try {
            raw.push(await cr.chunk(refs[k]!));
          } catch (e) {
            issue(`series ${owners[k]!.labels.toString()}: chunk ${refs[k]}: ${(e as Error).message}`);
            raw.push({ encoding: -1, data: new Uint8Array(0) });
          }
        }
      }
      for (let k = 0; k < raw.length; k++) {
        const rc = raw[k]!;
        const o = owners[k]!;
        if (rc.encoding === -1) continue;
        const n = chunkNumSamples({ minTime: o.minTime, maxTime: o.maxTime, encoding: rc.encoding, data: rc.data });
        res.samples += n;
        if (rc.encoding !== ChunkEncoding.XOR) continue;
        const it = new XORIterator(rc.data);
        let cnt = 0;
        let first = NaN;
        let last = -Infinity;
        while (it.next() === ValueType.Float) {
          if (cnt === 0) first = it.t;
          else if (it.t <= last) issue(`series ${o.labels.toString()}: chunk ${refs[k]}: timestamps not increasing at ${it.t}`);
          last = it.t;
          cnt++;
        }
        if (it.err()) issue(`series ${o.labels.toString()}: chunk ${refs[k]}: ${it.err()!.message}`);
        else if (cnt !== n) issue(`series ${o.labels.toString()}: chunk ${refs[k]}: ${cnt} samples decoded, header says ${n}`);
        else if (cnt > 0 && (first !== o.minTime || last !== o.maxTime)) {
          issue(`series ${o.labels.toString()}: chunk ${refs[k]} holds [${first}, ${last}] but the index says [${o.minTime}, ${o.maxTime}]`);
        }
      }
    }
    // Postings: every list sorted and equal to the series that carry the label pair.
    for (const name of names) {
      const values = ir.labelValues(name);
      for (let i = 1; i < values.length; i++) if (compareStrings(values[i - 1]!, values[i]!) >= 0) issue(`postings table values of ${name} not sorted at ${JSON.stringify(values[i])}`);
      for (const v of values) {
        const p = await ir.postings(name, v);
        for (let i = 1; i < p.length; i++) if (p[i - 1]! >= p[i]!) issue(`postings ${name}=${JSON.stringify(v)} not strictly increasing`);
        const want = fromSeries.get(name)?.get(v) ?? [];
        if (p.length !== want.length || want.some((id, i) => p[i] !== id)) issue(`postings ${name}=${JSON.stringify(v)} do not match the series carrying that label`);
      }
    }
    for (const [name, byVal] of fromSeries) {
      for (const v of byVal.keys()) if (!ir.labelValues(name).includes(v)) issue(`label ${name}=${JSON.stringify(v)} of a series has no postings list`);
    }
    // meta.json stats.
    const st = meta.stats;
    if (st.numSeries !== undefined && st.numSeries !== res.series) issue(`meta.json numSeries ${st.numSeries}, index has ${res.series}`);
    if (st.numChunks !== undefined && st.numChunks !== res.chunks) issue(`meta.json numChunks ${st.numChunks}, index has ${res.chunks}`);
    if (st.numSamples !== undefined && st.numSamples !== res.samples) issue(`meta.json numSamples ${st.numSamples}, chunks hold ${res.samples}`);
  } catch (e) {
    issue(`index: ${(e as Error).message}`);
  } finally {
    await ir.close();
    await cr.close();
  }
  return res;
}

/** Pairs of blocks with the same external labels and resolution whose time ranges overlap. */
export function findOverlaps(metas: readonly BlockMeta[]): [BlockMeta, BlockMeta][] {
  const groups = new Map<string, BlockMeta[]>();
  for (const m of metas) {
    const key = `${labelsText(m.thanos?.labels)}@${m.thanos?.downsample.resolution ?? 0}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(m);
  }
  const out: [BlockMeta, BlockMeta][] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid));
    let prev: BlockMeta | null = null;
    for (const m of g) {
      if (prev !== null && m.minTime < prev.maxTime) out.push([prev, m]);
      if (prev === null || m.maxTime > prev.maxTime) prev = m;
    }
  }
  return out;
}

export async function runBucketVerify(opts: Opts): Promise<void> {
  const bkt = bucketOf(opts);
  let total = 0;
  let blocks = 0;
  try {
    const only = new Set(opt<string[]>(opts, 'id') ?? []);
    const metas = (await listBlocks(bkt)).filter((m) => only.size === 0 || only.has(m.ulid));
    for (const m of metas) {
      const started = Date.now();
      const r = await verifyBlock(bkt, m);
      blocks++;
      total += r.issues.length;
      for (const s of r.issues) process.stdout.write(`${m.ulid}: ${s}\n`);
      progress(`${m.ulid}: ${r.issues.length === 0 ? 'ok' : `${r.issues.length} issues`} (${r.series} series, ${r.chunks} chunks, ${r.samples} samples, ${Date.now() - started} ms)`);
    }
    // Bucket-wide: blocks of one stream (external labels + resolution) must not overlap in time.
    for (const o of findOverlaps(metas)) {
      total++;
      process.stdout.write(`${o[1].ulid}: overlaps ${o[0].ulid} ([${o[1].minTime}, ${o[1].maxTime}) and [${o[0].minTime}, ${o[0].maxTime}))\n`);
    }
    progress(`verified ${blocks} blocks, ${total} issues`);
  } finally {
    await bkt.close();
  }
  if (total > 0) process.exitCode = 1;
}

// ------------------------------------------------------------------------------- upload-prometheus

export interface UploadResult {
  uploaded: string[];
  skipped: string[];
}

/**
 * Uploads every block directory of a Prometheus data dir (<ULID>/ with meta.json) that is not in
 * the bucket yet, with the Thanos meta section (labels, source "sidecar", resolution 0, files);
 * chunks and index first, meta.json last. Empty blocks are skipped, as the sidecar does.
 */
export async function uploadPrometheusBlocks(bkt: Bucket, dataDir: string, labels: Record<string, string>, log: (s: string) => void = progress): Promise<UploadResult> {
  if (Object.keys(labels).length === 0) throw new Error('at least one external label is required (--label k="v"): Thanos rejects blocks without external labels');
  const out: UploadResult = { uploaded: [], skipped: [] };
  const names = (await readdir(dataDir)).filter(isBlockDirName).sort(compareStrings);
  for (const name of names) {
    const dir = join(dataDir, name);
    if (!(await stat(dir)).isDirectory()) continue;
    let m: Awaited<ReturnType<typeof readLocalBlockMeta>>;
    try {
      m = await readLocalBlockMeta(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      log(`${name}: unreadable meta.json (${(e as Error).message}); skipped`);
      out.skipped.push(name);
      continue;
    }
    if (await bkt.exists(`${m.ulid}/meta.json`)) {
      log(`${m.ulid}: already in the bucket; skipped`);
      out.skipped.push(m.ulid);
      continue;
    }
    if (m.numSamples === 0) {
      log(`${m.ulid}: empty block; skipped`);
      out.skipped.push(m.ulid);
      continue;
    }
    const chunkNames = (await readdir(join(dir, 'chunks'))).filter((n) => /^\d{6}$/.test(n)).sort(compareStrings);
    const files: { rel_path: string; size_bytes?: number }[] = [];
    for (const n of chunkNames) files.push({ rel_path: `chunks/${n}`, size_bytes: (await stat(join(dir, 'chunks', n))).size });
    files.push({ rel_path: 'index', size_bytes: (await stat(join(dir, 'index'))).size });
    files.push({ rel_path: 'meta.json' });
    const meta = { ...m.raw, thanos: thanosSection(m.raw.thanos, labels, 'sidecar', chunkNames, files) };
    const started = Date.now();
    for (const n of chunkNames) await bkt.put(`${m.ulid}/chunks/${n}`, { path: join(dir, 'chunks', n) });
    await bkt.put(`${m.ulid}/index`, { path: join(dir, 'index') });
    await bkt.put(`${m.ulid}/meta.json`, new TextEncoder().encode(goIndentedJSON(meta)));
    const bytes = files.reduce((s, f) => s + (f.size_bytes ?? 0), 0);
    log(`${m.ulid}: uploaded [${rfc3339(m.minTime)}, ${rfc3339(m.maxTime)}) ${m.numSamples} samples, ${bytes} bytes in ${Date.now() - started} ms`);
    out.uploaded.push(m.ulid);
  }
  return out;
}

export async function runBucketUploadPrometheus(dataDir: string, opts: Opts): Promise<void> {
  const labels: Record<string, string> = {};
  for (const l of parseLabelFlags(opt<string[]>(opts, 'label') ?? [])) labels[l.name] = l.value;
  const bkt = bucketOf(opts);
  try {
    const r = await uploadPrometheusBlocks(bkt, resolve(dataDir), labels);
    progress(`uploaded ${r.uploaded.length} blocks, skipped ${r.skipped.length}`);
  } finally {
    await bkt.close();
  }
}
