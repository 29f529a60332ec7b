// Replay and checkpoints, as Prometheus `tsdb/wlog/checkpoint.go` and the head's WAL loading do.
//
// A checkpoint.NNNNNNNN directory is itself a WAL (segments 00000000, …) holding the records of the
// previous checkpoint and segments ..NNNNNNNN that are still needed. It is written to
// checkpoint.NNNNNNNN.tmp and renamed into place; replay reads the newest checkpoint, then the
// segments after NNNNNNNN.
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RecordType,
  decodeExemplars,
  decodeMetadata,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeExemplars,
  encodeMetadata,
  encodeSeries,
  encodeSamples,
  encodeTombstones,
  filterHistogramRecord,
  recordType,
  type RefMetadata,
} from '../record/record.ts';
import { CHECKPOINT_TMP_SUFFIX, ScanBuffers, checkpointName, listCheckpoints, readSegmentsDir, removeTempCheckpoints, type CorruptionInfo } from './segments.ts';
import { WAL, syncDir, type WALOptions } from './wal.ts';

/** Replays checkpoint (dir/checkpoint.NNNNNNNN, newest) then segments in order, calling onRecord for
 *  each complete, checksum-valid record. A torn or corrupt tail is truncated at the last good record
 *  (file truncated, later segments removed), reported via onCorruption and in the result — never thrown. */
export async function replayWAL(
  dir: string,
  onRecord: (rec: Uint8Array) => void,
  opts?: { onCorruption?: WALOptions['onCorruption'] },
): Promise<{ records: number; segments: number; corrupted: boolean }> {
  const onCorruption = opts?.onCorruption;
  await removeTempCheckpoints(dir);
  const bufs = new ScanBuffers();
  let records = 0;
  let segments = 0;
  let corrupted = false;
  let from = 0;
  const cps = await listCheckpoints(dir);
  if (cps.length > 0) {
    const cp = cps[cps.length - 1]!;
    from = cp.index + 1;
    const r = await readSegmentsDir(join(dir, cp.name), 0, Infinity, onRecord, {
      repair: true,
      bufs,
      onCorruption: onCorruption
        ? (info: CorruptionInfo) => onCorruption({ ...info, reason: `checkpoint ${cp.name}: ${info.reason}` })
        : undefined,
    });
    records += r.records;
    segments += r.segments;
    corrupted ||= r.corrupted;
  }
  const r = await readSegmentsDir(dir, from, Infinity, onRecord, { repair: true, bufs, onCorruption });
  records += r.records;
  segments += r.segments;
  corrupted ||= r.corrupted;
  return { records, segments, corrupted };
}

/** Writes a checkpoint of segments [first..last]: keeps series records whose ref passes keepSeries,
 *  samples with t >= mint, exemplars/metadata of kept series; into dir/checkpoint.<last>; then the caller truncates.
 *
 *  As in Prometheus, the newest existing checkpoint is folded in (segments below it are ignored),
 *  tombstones are kept when their interval ends at or after mint, only the latest metadata per series
 *  is kept (written last), native histogram records (types 7–10) are kept by mint, and other record
 *  types are dropped. Older checkpoints are removed afterwards. Throws (leaving the WAL untouched) when the
 *  input is corrupt: a checkpoint must never silently lose series. */
export async function checkpoint(dir: string, first: number, last: number, keepSeries: (ref: number) => boolean, mint: number): Promise<void> {
  await removeTempCheckpoints(dir);
  const cps = await listCheckpoints(dir);
  const prev = cps.length > 0 ? cps[cps.length - 1]! : null;
  let from = first;
  if (prev) {
    if (prev.index >= last) throw new Error(`checkpoint ${prev.name} already covers segment ${last}`);
    if (from > prev.index + 1) throw new Error(`unexpected gap to last checkpoint: expected segment ${prev.index + 1}, requested ${from}`);
    from = prev.index + 1;
  }

  const finalDir = join(dir, checkpointName(last));
  const tmpDir = finalDir + CHECKPOINT_TMP_SUFFIX;
  await rm(tmpDir, { recursive: true, force: true });
  const cp = await WAL.open({ dir: tmpDir, fsync: false });
  try {
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const latestMeta = new Map<number, RefMetadata>();
    // Reused scratch arrays for sample filtering.
    let refs = new Float64Array(1024);
    let ts = new Float64Array(1024);
    let vs = new Float64Array(1024);
    let n = 0;
    let total = 0;

    // cp.log() writes synchronously (fsync off), so batches can be flushed from inside the
    // synchronous record callback; the returned promises are awaited at the end for errors.
    const writes: Promise<void>[] = [];
    const push = (rec: Uint8Array): void => {
      pending.push(rec);
      pendingBytes += rec.length;
      if (pendingBytes > 1024 * 1024) {
        writes.push(cp.log(pending.splice(0)));
        pendingBytes = 0;
      }
    };
    const onRec = (rec: Uint8Array): void => {
      switch (recordType(rec)) {
        case RecordType.Series: {
          const kept = decodeSeries(rec).filter((s) => keepSeries(s.ref));
          if (kept.length > 0) push(encodeSeries(kept));
          break;
        }
        case RecordType.Samples: {
          n = 0;
          total = 0;
          decodeSamples(rec, (ref, t, v) => {
            total++;
            if (t < mint) return;
            if (n === refs.length) {
              const grow = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
                const b = new Float64Array(a.length * 2);
                b.set(a);
                return b;
              };
              refs = grow(refs);
              ts = grow(ts);
              vs = grow(vs);
            }
            refs[n] = ref;
            ts[n] = t;
            vs[n] = v;
            n++;
          });
          if (n === total) push(rec); // nothing dropped: keep the original bytes (NaN payloads intact)
          else if (n > 0) push(encodeSamples(refs, ts, vs, n));
          break;
        }
        case RecordType.Tombstones: {
          const kept = decodeTombstones(rec).filter((s) => s.maxt >= mint);
          if (kept.length > 0) push(encodeTombstones(kept));
          break;
        }
        case RecordType.Exemplars: {
          const kept = decodeExemplars(rec).filter((e) => e.t >= mint && keepSeries(e.ref));
          if (kept.length > 0) push(encodeExemplars(kept));
          break;
        }
        case RecordType.Metadata: {
          for (const m of decodeMetadata(rec)) if (keepSeries(m.ref)) latestMeta.set(m.ref, m);
          break;
        }
        case 7: // native histogram records (int, float, custom-bucket variants): kept by mint
        case 8:
        case 9:
        case 10: {
          const kept = filterHistogramRecord(rec, mint);
          if (kept) push(kept);
          break;
        }
        default:
          // Unknown record types (e.g. from a newer Prometheus) are dropped, as Prometheus does.
          break;
      }
    };

    // Read the previous checkpoint, then the segments, strictly (no repair: corruption aborts).
    const readStrict = async (d: string, a: number, b: number): Promise<void> => {
      const r = await readSegmentsDir(d, a, b, onRec, { repair: false });
      if (r.corrupted) throw new Error(`checkpoint: cannot read ${d}: corruption in segment ${r.corruption?.segment} at ${r.corruption?.offset}: ${r.corruption?.reason}`);
    };
    if (prev) await readStrict(join(dir, prev.name), 0, Infinity);
    await readStrict(dir, from, last);
    if (pending.length > 0) writes.push(cp.log(pending.splice(0)));
    await Promise.all(writes);
    if (latestMeta.size > 0) await cp.log([encodeMetadata([...latestMeta.values()])]);
    await cp.close();
  } catch (e) {
    await cp.close().catch(() => undefined);
    await rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  await syncDir(tmpDir);
  await rm(finalDir, { recursive: true, force: true });
  await rename(tmpDir, finalDir);
  await syncDir(dir);
  // Remove older checkpoints.
  for (const c of await listCheckpoints(dir)) {
    if (c.index < last) await rm(join(dir, c.name), { recursive: true, force: true });
  }
}
