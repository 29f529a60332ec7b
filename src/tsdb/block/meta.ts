// Block meta.json (Prometheus `tsdb/block.go` BlockMeta) with the Thanos section
// (`pkg/block/metadata/meta.go`). The Prometheus part is camelCase, the Thanos part snake_case.
// `version` is the meta format version and is always 1. The block interval is [minTime, maxTime).
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { isValid as isValidULID } from 'ulid';

export const META_FILENAME = 'meta.json';
export const META_VERSION_1 = 1;

export interface BlockStats {
  numSamples?: number;
  numFloatSamples?: number;
  numHistogramSamples?: number;
  numSeries?: number;
  numChunks?: number;
  numTombstones?: number;
}

export interface BlockDesc {
  ulid: string;
  minTime: number;
  maxTime: number;
}

export interface BlockMetaCompaction {
  level: number;
  sources?: string[];
  deletable?: boolean;
  parents?: BlockDesc[];
  failed?: boolean;
  hints?: string[];
}

export interface ThanosFile {
  rel_path: string;
  /** Omitted for meta.json. */
  size_bytes?: number;
  hash?: { hashFunc: string; value: string };
}

export interface ThanosMeta {
  version?: number;
  labels: Record<string, string>;
  downsample: { resolution: number };
  source: string;
  segment_files?: string[];
  files?: ThanosFile[];
  index_stats?: { series_max_size?: number; chunk_max_size?: number };
  rewrites?: unknown[];
  upload_time?: string;
  extensions?: unknown;
}

export interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: BlockStats;
  compaction: BlockMetaCompaction;
  version: 1;
  thanos?: ThanosMeta;
}

export class MetaError extends Error {
  override name = 'MetaError';
}

const STAT_KEYS = ['numSamples', 'numFloatSamples', 'numHistogramSamples', 'numSeries', 'numChunks', 'numTombstones'] as const;

/** Serialises like Go's json.MarshalIndent(meta, "", "\t"): field order as the Go structs, zero stats omitted. */
export function encodeMeta(m: BlockMeta): string {
  const stats: Record<string, number> = {};
  for (const k of STAT_KEYS) {
    const v = m.stats[k];
    if (v) stats[k] = v;
  }
  const c = m.compaction;
  const compaction: Record<string, unknown> = { level: c.level };
  if (c.sources && c.sources.length) compaction.sources = c.sources;
  if (c.deletable) compaction.deletable = true;
  if (c.parents && c.parents.length) compaction.parents = c.parents.map((p) => ({ ulid: p.ulid, minTime: p.minTime, maxTime: p.maxTime }));
  if (c.failed) compaction.failed = true;
  if (c.hints && c.hints.length) compaction.hints = c.hints;
  const out: Record<string, unknown> = {
    ulid: m.ulid,
    minTime: m.minTime,
    maxTime: m.maxTime,
    stats,
    compaction,
    version: META_VERSION_1,
  };
  if (m.thanos) {
    const t = m.thanos;
    const th: Record<string, unknown> = {};
    if (t.version) th.version = t.version;
    th.labels = t.labels ?? {};
    th.downsample = { resolution: t.downsample?.resolution ?? 0 };
    th.source = t.source ?? '';
    if (t.segment_files && t.segment_files.length) th.segment_files = t.segment_files;
    if (t.files && t.files.length) {
      th.files = t.files.map((f) => {
        const o: Record<string, unknown> = { rel_path: f.rel_path };
        if (f.size_bytes) o.size_bytes = f.size_bytes;
        if (f.hash) o.hash = f.hash;
        return o;
      });
    }
    if (t.rewrites && t.rewrites.length) th.rewrites = t.rewrites;
    if (t.index_stats) th.index_stats = t.index_stats;
    if (t.upload_time) th.upload_time = t.upload_time;
    if (t.extensions !== undefined && t.extensions !== null) th.extensions = t.extensions;
    out.thanos = th;
  }
  return JSON.stringify(out, null, '\t');
}

function num(o: Record<string, unknown>, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new MetaError(`${where}: ${k} must be an integer`);
  return v;
}

/** Parses and validates meta.json text (version must be 1; Thanos section version 0/1). */
export function decodeMeta(text: string): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MetaError(`meta.json: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MetaError('meta.json: not an object');
  const o = raw as Record<string, unknown>;
  if (o.version !== META_VERSION_1) throw new MetaError(`unexpected meta file version ${String(o.version)}`);
  if (typeof o.ulid !== 'string' || !isValidULID(o.ulid)) throw new MetaError(`meta.json: invalid ulid ${String(o.ulid)}`);
  const minTime = num(o, 'minTime', 'meta.json');
  const maxTime = num(o, 'maxTime', 'meta.json');
  const stats: BlockStats = {};
  if (o.stats !== undefined && o.stats !== null) {
    if (typeof o.stats !== 'object') throw new MetaError('meta.json: stats must be an object');
    const s = o.stats as Record<string, unknown>;
    for (const k of STAT_KEYS) if (s[k] !== undefined) stats[k] = num(s, k, 'stats');
  }
  const c = (o.compaction ?? {}) as Record<string, unknown>;
  const compaction: BlockMetaCompaction = { level: typeof c.level === 'number' ? c.level : 0 };
  if (Array.isArray(c.sources)) compaction.sources = c.sources.map(String);
  if (c.deletable === true) compaction.deletable = true;
  if (Array.isArray(c.parents)) {
    compaction.parents = c.parents.map((p: unknown) => {
      const q = p as Record<string, unknown>;
      return { ulid: String(q.ulid), minTime: num(q, 'minTime', 'parent'), maxTime: num(q, 'maxTime', 'parent') };
    });
  }
  if (c.failed === true) compaction.failed = true;
  if (Array.isArray(c.hints)) compaction.hints = c.hints.map(String);
  const meta: BlockMeta = { ulid: o.ulid, minTime, maxTime, stats, compaction, version: 1 };
  if (o.thanos !== undefined && o.thanos !== null) {
    const t = o.thanos as Record<string, unknown>;
    const tv = typeof t.version === 'number' ? t.version : 0;
    if (tv !== 0 && tv !== 1) throw new MetaError(`unexpected meta file Thanos section version ${tv}`);
    const labels: Record<string, string> = {};
    if (t.labels && typeof t.labels === 'object') {
      for (const [k, v] of Object.entries(t.labels as Record<string, unknown>)) labels[k] = String(v);
    }
    const ds = (t.downsample ?? {}) as Record<string, unknown>;
    const th: ThanosMeta = {
      labels,
      downsample: { resolution: typeof ds.resolution === 'number' ? ds.resolution : 0 },
      source: typeof t.source === 'string' ? t.source : '',
    };
    if (tv) th.version = tv;
    if (Array.isArray(t.segment_files)) th.segment_files = t.segment_files.map(String);
    if (Array.isArray(t.files)) {
      th.files = t.files.map((f: unknown) => {
        const q = f as Record<string, unknown>;
        const r: ThanosFile = { rel_path: String(q.rel_path) };
        if (typeof q.size_bytes === 'number') r.size_bytes = q.size_bytes;
        if (q.hash && typeof q.hash === 'object') r.hash = q.hash as { hashFunc: string; value: string };
        return r;
      });
    }
    if (Array.isArray(t.rewrites)) th.rewrites = t.rewrites;
    if (t.index_stats && typeof t.index_stats === 'object') th.index_stats = t.index_stats as ThanosMeta['index_stats'];
    if (typeof t.upload_time === 'string') th.upload_time = t.upload_time;
    if (t.extensions !== undefined) th.extensions = t.extensions;
    meta.thanos = th;
  }
  return meta;
}

export async function readMeta(blockDir: string): Promise<BlockMeta> {
  return decodeMeta(await readFile(join(blockDir, META_FILENAME), 'utf8'));
}

/** Writes <dir>/meta.json atomically (tmp file, fsync, rename). Returns its size in bytes. */
export async function writeMeta(blockDir: string, meta: BlockMeta): Promise<number> {
  const path = join(blockDir, META_FILENAME);
  const tmp = path + '.tmp';
  const data = Buffer.from(encodeMeta(meta), 'utf8');
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return data.length;
}
