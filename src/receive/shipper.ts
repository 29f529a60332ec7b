// Shipper: uploads finished TSDB blocks from a local directory to the bucket, as Thanos'
// pkg/shipper/shipper.go does for the receiver and sidecar.
//
// - Candidates are the <ULID> directories of `dir` that hold a meta.json, oldest (minTime) first.
// - Blocks listed in <dir>/thanos.shipper.json are done. Blocks with 0 samples are skipped, and so
//   are compacted blocks (level > 1) unless `uploadCompacted`. A block whose meta.json already exists
//   in the bucket is recorded without uploading (e.g. after losing the state file).
// - Upload (pkg/block/block.go Upload): the block's files are hard-linked into
//   <dir>/thanos/upload/<ULID> so local deletion cannot disturb the upload; chunks/* then index are
//   uploaded, then meta.json LAST, carrying the Thanos section (external labels, source,
//   downsample, segment_files, files). Readers ignore a block without meta.json, so a crash at any
//   point leaves at most a partial block that the next sync uploads again in full. If chunks or
//   index fail, the partial upload is deleted before retrying; a failed meta.json upload is not
//   cleaned up (S3 may still apply it, as Thanos notes).
// - The local meta.json is not modified. Tombstones are never uploaded.
// - thanos.shipper.json is {"version": 1, "uploaded": [ULIDs] | null}, tab-indented like Go's
//   json.Encoder with SetIndent("", "\t"), replaced atomically (tmp + rename + dir fsync).
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { type Bucket, type ObjstoreLogger, nopLogger } from '../objstore/bucket.ts';

export const SHIPPER_META_FILENAME = 'thanos.shipper.json';
export const SHIPPER_META_VERSION = 1;
const BLOCK_META = 'meta.json';
const BLOCK_INDEX = 'index';
const BLOCK_CHUNKS = 'chunks';

export interface ShipperMeta {
  version: number;
  uploaded: string[] | null;
}

/** Crockford base32 ULID, as oklog/ulid.Parse accepts (case-insensitive, first char ≤ 7). */
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
export function isBlockDirName(name: string): boolean {
  return ULID_RE.test(name);
}

/** Encodes like Go's json.Encoder with SetIndent("", "\t") (HTML-safe escaping, trailing newline). */
export function goIndentedJSON(v: unknown): string {
  return (
    JSON.stringify(v, null, '\t').replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '\n'
  );
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Not all platforms allow fsync on directories.
  } finally {
    await fh?.close();
  }
}

/** Writes a file atomically: tmp file, fsync, rename, fsync the directory. */
async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = file + '.tmp';
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Reads <dir>/thanos.shipper.json; throws if missing, malformed or of another version. */
export async function readShipperMeta(dir: string): Promise<ShipperMeta> {
  const file = path.join(dir, SHIPPER_META_FILENAME);
  const text = await fsp.readFile(file, 'utf8');
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new Error(`failed to parse ${file} as JSON: ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (typeof m !== 'object' || m === null) throw new Error(`failed to parse ${file}: not an object`);
  const o = m as { version?: unknown; uploaded?: unknown };
  if (o.version !== SHIPPER_META_VERSION) throw new Error(`unexpected meta file version ${String(o.version)}`);
  if (o.uploaded !== null && o.uploaded !== undefined && !(Array.isArray(o.uploaded) && o.uploaded.every((u) => typeof u === 'string' && isBlockDirName(u)))) {
    throw new Error(`failed to parse ${file}: "uploaded" must be a list of ULIDs or null`);
  }
  return { version: SHIPPER_META_VERSION, uploaded: (o.uploaded as string[] | null | undefined) ?? null };
}

export async function writeShipperMeta(dir: string, meta: ShipperMeta): Promise<void> {
  const uploaded = meta.uploaded && meta.uploaded.length > 0 ? meta.uploaded : null;
  await writeFileAtomic(path.join(dir, SHIPPER_META_FILENAME), goIndentedJSON({ version: meta.version, uploaded }));
}

/** The parts of a block's meta.json the shipper looks at; `raw` is the whole document. */
export interface LocalBlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  numSamples: number;
  level: number;
  raw: Record<string, unknown>;
}

export async function readLocalBlockMeta(blockDir: string): Promise<LocalBlockMeta> {
  const text = await fsp.readFile(path.join(blockDir, BLOCK_META), 'utf8');
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new Error('meta.json is not an object');
  if (raw.version !== 1) throw new Error(`unexpected meta file version ${String(raw.version)}`);
  const ulid = raw.ulid;
  if (typeof ulid !== 'string' || !isBlockDirName(ulid)) throw new Error(`meta.json has no valid ulid`);
  const stats = (raw.stats ?? {}) as { numSamples?: unknown };
  const compaction = (raw.compaction ?? {}) as { level?: unknown };
  return {
    ulid,
    minTime: Number(raw.minTime ?? 0),
    maxTime: Number(raw.maxTime ?? 0),
    numSamples: Number(stats.numSamples ?? 0),
    level: Number(compaction.level ?? 0),
    raw,
  };
}

interface FileEntry {
  rel_path: string;
  size_bytes?: number;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Builds the `thanos` section as Thanos' metadata.Thanos marshals it (field order kept). */
export function thanosSection(
  existing: unknown,
  labels: Record<string, string>,
  source: string,
  segmentFiles: string[],
  files: FileEntry[],
): Record<string, unknown> {
  const ex = (typeof existing === 'object' && existing !== null ? existing : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (typeof ex.version === 'number' && ex.version !== 0) out.version = ex.version;
  // Go marshals map keys sorted.
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort(compareBytes)) sorted[k] = labels[k]!;
  out.labels = sorted;
  out.downsample = ex.downsample ?? { resolution: 0 };
  out.source = source;
  if (segmentFiles.length > 0) out.segment_files = segmentFiles;
  if (files.length > 0) out.files = files;
  for (const [k, v] of Object.entries(ex)) if (!(k in out) && !['version', 'labels', 'downsample', 'source', 'segment_files', 'files'].includes(k)) out[k] = v;
  return out;
}

export interface ShipperMetrics {
  dirSyncs: Counter;
  dirSyncFailures: Counter;
  uploads: Counter;
  uploadFailures: Counter;
}

function counter(registry: Registry | undefined, name: string, help: string): Counter {
  if (registry) {
    const existing = registry.getSingleMetric(name);
    if (existing) return existing as Counter;
  }
  return new Counter({ name, help, registers: registry ? [registry] : [] });
}

export interface ShipperOptions {
  /** TSDB directory holding <ULID> block directories. */
  dir: string;
  bucket: Bucket;
  /** External labels attached to every uploaded block (thanos.labels). */
  labels: () => Record<string, string>;
  /** thanos.source, default "receive". */
  source?: string;
  logger?: ObjstoreLogger;
  /** prom-client registry for thanos_shipper_* metrics (reused if already registered there). */
  registry?: Registry;
  /** Also upload compacted (level > 1) blocks. */
  uploadCompacted?: boolean;
  /** Per-block upload attempts within one sync (default 3) and backoff between them. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

export class Shipper {
  readonly dir: string;
  private readonly bucket: Bucket;
  private readonly labels: () => Record<string, string>;
  private readonly source: string;
  private readonly logger: ObjstoreLogger;
  private readonly uploadCompacted: boolean;
  private readonly attempts: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  readonly metrics: ShipperMetrics;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: ShipperOptions) {
    this.dir = opts.dir;
    this.bucket = opts.bucket;
    this.labels = opts.labels;
    this.source = opts.source ?? 'receive';
    this.logger = opts.logger ?? nopLogger;
    this.uploadCompacted = opts.uploadCompacted ?? false;
    this.attempts = Math.max(1, opts.retry?.attempts ?? 3);
    this.baseDelay = opts.retry?.baseDelayMs ?? 500;
    this.maxDelay = opts.retry?.maxDelayMs ?? 10_000;
    const r = opts.registry;
    this.metrics = {
      dirSyncs: counter(r, 'thanos_shipper_dir_syncs_total', 'Total number of dir syncs'),
      dirSyncFailures: counter(r, 'thanos_shipper_dir_sync_failures_total', 'Total number of failed dir syncs'),
      uploads: counter(r, 'thanos_shipper_uploads_total', 'Total number of uploaded blocks'),
      uploadFailures: counter(r, 'thanos_shipper_upload_failures_total', 'Total number of block upload failures'),
    };
  }

  /** ULIDs recorded in thanos.shipper.json (empty if the file is missing or unreadable). */
  async uploaded(): Promise<Set<string>> {
    try {
      return new Set((await readShipperMeta(this.dir)).uploaded ?? []);
    } catch {
      return new Set();
    }
  }

  /**
   * Uploads every eligible block not yet shipped; returns how many were uploaded. Serialised: a call
   * made while another runs waits for it. Rejects (after recording progress) if a block could not be
   * uploaded after the configured attempts; later blocks are then left for the next sync, so blocks
   * are shipped oldest first.
   */
  sync(): Promise<number> {
    const run = this.lock.then(
      () => this.syncOnce(),
      () => this.syncOnce(),
    );
    this.lock = run.catch(() => {});
    return run;
  }

  /** Minimum minTime of local blocks (0 if none) and the highest maxTime among uploaded ones. */
  async timestamps(): Promise<{ minTime: number; maxSyncTime: number }> {
    const done = await this.uploaded();
    let minTime = Number.MAX_SAFE_INTEGER;
    let maxSyncTime = Number.MIN_SAFE_INTEGER;
    for (const m of await this.blockMetasFromOldest()) {
      if (m.minTime < minTime) minTime = m.minTime;
      if (done.has(m.ulid) && m.maxTime > maxSyncTime) maxSyncTime = m.maxTime;
    }
    return { minTime: minTime === Number.MAX_SAFE_INTEGER ? 0 : minTime, maxSyncTime };
  }

  private async syncOnce(): Promise<number> {
    let has: Set<string>;
    try {
      has = new Set((await readShipperMeta(this.dir)).uploaded ?? []);
    } catch (err) {
      // The state file only saves bucket lookups; start afresh and rewrite it.
      if ((err as { code?: string }).code !== 'ENOENT') this.logger.warn({ err: (err as Error).message }, 'reading meta file failed, will override it');
      has = new Set();
    }
    const recorded: string[] = [];
    let uploadedCount = 0;
    let failure: { id: string; err: unknown } | undefined;
    let metas: LocalBlockMeta[];
    try {
      metas = await this.blockMetasFromOldest();
    } catch (err) {
      this.metrics.dirSyncFailures.inc();
      throw err;
    }
    for (const m of metas) {
      if (has.has(m.ulid)) {
        recorded.push(m.ulid);
        continue;
      }
      if (failure) continue; // keep order: nothing newer ships before the failed block
      if (m.numSamples === 0) {
        this.logger.debug({ block: m.ulid }, 'ignoring empty block');
        continue;
      }
      if (m.level > 1 && !this.uploadCompacted) continue;
      try {
        if (await this.bucket.exists(`${m.ulid}/${BLOCK_META}`)) {
          recorded.push(m.ulid);
          continue;
        }
        await this.uploadWithRetry(m);
        recorded.push(m.ulid);
        uploadedCount++;
        this.metrics.uploads.inc();
      } catch (err) {
        this.metrics.uploadFailures.inc();
        this.logger.error({ block: m.ulid, err: (err as Error)?.message ?? String(err) }, 'shipping failed');
        failure = { id: m.ulid, err };
      }
    }
    try {
      await writeShipperMeta(this.dir, { version: SHIPPER_META_VERSION, uploaded: recorded });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'updating meta file failed');
    }
    this.metrics.dirSyncs.inc();
    if (failure) {
      this.metrics.dirSyncFailures.inc();
      const msg = (failure.err as Error)?.message ?? String(failure.err);
      throw new Error(`upload ${failure.id}: ${msg}`, { cause: failure.err });
    }
    return uploadedCount;
  }

  private async blockMetasFromOldest(): Promise<LocalBlockMeta[]> {
    const metas: LocalBlockMeta[] = [];
    const entries = await fsp.readdir(this.dir, { withFileTypes: true });
    for (const e of entries) {
      if (!e.isDirectory() || !isBlockDirName(e.name)) continue;
      const bdir = path.join(this.dir, e.name);
      try {
        const m = await readLocalBlockMeta(bdir);
        if (m.ulid.toUpperCase() !== e.name.toUpperCase()) {
          this.logger.warn({ block: e.name, ulid: m.ulid }, 'block directory name and meta.json ulid differ; skipping');
          continue;
        }
        metas.push(m);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') continue; // no meta.json: not a finished block
        this.logger.warn({ block: e.name, err: (err as Error).message }, 'unreadable block meta.json; skipping block');
      }
    }
    metas.sort((a, b) => a.minTime - b.minTime);
    return metas;
  }

  private async uploadWithRetry(m: LocalBlockMeta): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.upload(m);
        return;
      } catch (err) {
        if (attempt >= this.attempts) throw err;
        const cap = Math.min(this.maxDelay, this.baseDelay * 2 ** (attempt - 1));
        const delay = cap / 2 + Math.random() * (cap / 2);
        this.logger.warn({ block: m.ulid, attempt, delayMs: Math.round(delay), err: (err as Error)?.message }, 'block upload failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async upload(m: LocalBlockMeta): Promise<void> {
    this.logger.info({ id: m.ulid }, 'upload new block');
    const src = path.join(this.dir, m.ulid);
    const updir = path.join(this.dir, 'thanos', 'upload', m.ulid);
    await fsp.rm(updir, { recursive: true, force: true });
    await fsp.mkdir(path.join(updir, BLOCK_CHUNKS), { recursive: true });
    try {
      // Hard links keep the files alive if retention/compaction deletes the block meanwhile.
      const chunkNames = (await fsp.readdir(path.join(src, BLOCK_CHUNKS))).sort(compareBytes);
      for (const rel of [...chunkNames.map((n) => `${BLOCK_CHUNKS}/${n}`), BLOCK_INDEX]) {
        await linkOrCopy(path.join(src, rel), path.join(updir, rel));
      }
      const files: FileEntry[] = [];
      for (const n of chunkNames) {
        const st = await fsp.stat(path.join(updir, BLOCK_CHUNKS, n));
        files.push({ rel_path: `${BLOCK_CHUNKS}/${n}`, size_bytes: st.size });
      }
      files.push({ rel_path: BLOCK_INDEX, size_bytes: (await fsp.stat(path.join(updir, BLOCK_INDEX))).size });
      files.push({ rel_path: BLOCK_META });
      files.sort((a, b) => compareBytes(a.rel_path, b.rel_path));

      let labels = this.labels();
      if (!labels || Object.keys(labels).length === 0) labels = ((m.raw.thanos as { labels?: Record<string, string> } | undefined)?.labels ?? {});
      if (Object.keys(labels).length === 0) throw new Error('empty external labels are not allowed for Thanos block.');
      const meta = { ...m.raw, thanos: thanosSection(m.raw.thanos, labels, this.source, chunkNames, files) };
      const encoded = new TextEncoder().encode(goIndentedJSON(meta));

      try {
        for (const n of chunkNames) await this.bucket.put(`${m.ulid}/${BLOCK_CHUNKS}/${n}`, { path: path.join(updir, BLOCK_CHUNKS, n) });
        await this.bucket.put(`${m.ulid}/${BLOCK_INDEX}`, { path: path.join(updir, BLOCK_INDEX) });
      } catch (err) {
        await this.cleanUp(m.ulid);
        throw err;
      }
      // meta.json always goes last: a block directory without it is a pending/partial upload.
      await this.bucket.put(`${m.ulid}/${BLOCK_META}`, encoded);
    } finally {
      await fsp.rm(updir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Deletes a partial upload (Thanos block.Delete order: meta.json first, deletion-mark.json last). */
  private async cleanUp(id: string): Promise<void> {
    try {
      if (await this.bucket.exists(`${id}/${BLOCK_META}`)) await this.bucket.delete(`${id}/${BLOCK_META}`);
      const keys: string[] = [];
      await this.bucket.iter(`${id}/`, (k) => void keys.push(k), { recursive: true });
      const mark = `${id}/deletion-mark.json`;
      for (const k of keys) if (k !== mark) await this.bucket.delete(k);
      if (keys.includes(mark)) await this.bucket.delete(mark);
    } catch (err) {
      this.logger.error({ block: id, err: (err as Error)?.message }, 'failed to clean block after upload issue; partial block in bucket');
    }
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP') await fsp.copyFile(from, to);
    else throw err;
  }
}
