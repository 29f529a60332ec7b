// Test helpers for the compactor: synthetic blocks generated through writeBlock and uploaded to a
// bucket, and readers that collect what a bucket serves (per resolution, deduplicated view).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { ValueType } from '../storage/interfaces.ts';
import type { ChunkMeta } from '../storage/interfaces.ts';
import { XORChunk, XORIterator } from '../tsdb/chunkenc/xor.ts';
import { BlockReader } from '../tsdb/block/reader.ts';
import type { BlockMeta } from '../tsdb/block/meta.ts';
import { writeBlock, type BlockSeries } from '../tsdb/block/writer.ts';
import { downloadBlock, uploadBlock } from './blockio.ts';
import { blockSeries } from './merge.ts';
import { readableBlocks, resolutionOf } from './syncer.ts';

export const MIN = 60_000;
export const H = 60 * MIN;
export const D = 24 * H;

/** A synthetic series: its labels and a deterministic value for any timestamp (null = no sample). */
export interface SynthSeries {
  labels: Labels;
  value(t: number): number | null;
}

/** Counter with a reset every `resetEvery` ms (0 = never) and a slowly varying rate; value is a pure function of t. */
export function counterSeries(labels: Record<string, string>, ratePerSec: number, resetEvery = 0): SynthSeries {
  return {
    labels: Labels.fromObject(labels),
    value(t: number): number {
      const since = resetEvery > 0 ? t - Math.floor(t / resetEvery) * resetEvery : t;
      // Integral of rate·(1 + 0.5·sin(2πs/6h)) over [0, since], in whole units per ms step.
      const w = (2 * Math.PI) / (6 * H);
      const s = since;
      return Math.round(ratePerSec * (s / 1000 + (0.5 / w / 1000) * (1 - Math.cos(w * s))) * 1000) / 1000;
    },
  };
}

/** Gauge 100 + 50·sin(2πt/period). */
export function gaugeSeries(labels: Record<string, string>, period: number): SynthSeries {
  return {
    labels: Labels.fromObject(labels),
    value: (t: number) => Math.round((100 + 50 * Math.sin((2 * Math.PI * t) / period)) * 1e6) / 1e6,
  };
}

export interface SynthBlock {
  mint: number;
  maxt: number;
  ext: Record<string, string>;
  series: readonly SynthSeries[];
  /** Scrape interval (ms). */
  step: number;
  /** Scrape offset inside each step (ms). */
  offset?: number;
  source?: string;
  /** Leave out samples in these [from, to) ranges (a replica being down). */
  gaps?: readonly [number, number][];
}

/** The samples a synthetic block holds for one series. */
export function synthSamples(s: SynthSeries, b: Pick<SynthBlock, 'mint' | 'maxt' | 'step' | 'offset' | 'gaps'>): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  for (let t = b.mint + (b.offset ?? 0); t < b.maxt; t += b.step) {
    if (b.gaps?.some(([f, e]) => t >= f && t < e)) continue;
    const v = s.value(t);
    if (v !== null) out.push({ t, v });
  }
  return out;
}

export function xorChunks(samples: readonly { t: number; v: number }[], per = 120): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  for (let i = 0; i < samples.length; i += per) {
    const part = samples.slice(i, i + per);
    const c = new XORChunk();
    const a = c.appender();
    for (const s of part) a.append(s.t, s.v);
    out.push({ minTime: part[0]!.t, maxTime: part[part.length - 1]!.t, encoding: 1, data: c.bytes().slice() });
  }
  return out;
}

/** Writes a synthetic level-1 block with writeBlock and uploads it (meta.json last). */
export async function putSyntheticBlock(bkt: Bucket, b: SynthBlock): Promise<BlockMeta> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-synth-'));
  try {
    const sorted = [...b.series].sort((x, y) => Labels.compare(x.labels, y.labels));
    const series: BlockSeries[] = [];
    for (const s of sorted) {
      const samples = synthSamples(s, b);
      if (samples.length) series.push({ labels: s.labels, chunks: xorChunks(samples) });
    }
    const meta = await writeBlock(series, { dir, mint: b.mint, maxt: b.maxt, thanos: { labels: b.ext, source: b.source ?? 'receive' } });
    await uploadBlock(bkt, join(dir, meta.ulid), meta.ulid);
    return meta;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Key of a series as a reader sees it: external labels merged into the series labels. */
export function seriesKey(ext: Record<string, string>, l: Labels): string {
  const m = new Map<string, string>(Object.entries(ext));
  for (const { name, value } of l) m.set(name, value);
  return Labels.fromMap(m).toString();
}

export interface ServedSeries {
  labels: Labels;
  chunks: ChunkMeta[];
}

/**
 * Everything a reader is served at one resolution (readableBlocks view): series keyed by external
 * + series labels, with the chunks of all blocks in time order. Blocks are downloaded to a temp dir.
 */
export async function servedSeries(bkt: Bucket, resolution: number): Promise<{ blocks: BlockMeta[]; series: Map<string, ServedSeries> }> {
  const blocks = (await readableBlocks(bkt)).filter((m) => resolutionOf(m) === resolution);
  const dir = await mkdtemp(join(tmpdir(), 'strata-served-'));
  const series = new Map<string, ServedSeries>();
  try {
    for (const m of blocks) {
      const local = await downloadBlock(bkt, m.ulid, dir);
      const r = await BlockReader.open(local);
      try {
        for await (const s of blockSeries(r)) {
          const key = seriesKey(m.thanos?.labels ?? {}, s.labels);
          let e = series.get(key);
          if (!e) series.set(key, (e = { labels: Labels.fromMap(new Map([...Object.entries(m.thanos?.labels ?? {}), ...[...s.labels].map((x) => [x.name, x.value] as [string, string])])), chunks: [] }));
          e.chunks.push(...s.chunks);
        }
      } finally {
        await r.close();
      }
      await rm(local, { recursive: true, force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const e of series.values()) e.chunks.sort((a, b) => a.minTime - b.minTime);
  return { blocks, series };
}

/** Decodes XOR chunks into samples (in chunk order; duplicates and disorder kept so tests can see them). */
export function decodeXOR(chunks: readonly ChunkMeta[]): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  for (const c of chunks) {
    if (c.encoding !== 1) throw new Error(`not an XOR chunk: ${c.encoding}`);
    const it = new XORIterator(c.data);
    while (it.next() !== ValueType.None) out.push({ t: it.t, v: it.v });
    const e = it.err();
    if (e) throw e;
  }
  return out;
}
