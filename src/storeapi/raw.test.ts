// A plain grpc-js client with hand-written protobuf (de)serializers — no generated code — calls the
// raw method paths a Thanos querier uses (/thanos.info.Info/Info, /thanos.Store/Series,
// /thanos.Store/LabelValues) and checks the answers field by field: frames sorted by labels, XOR
// chunks (type 0) of at most 120 samples whose min/max times bound their samples and whose hash
// is xxhash64 of the bytes, external labels, MaxInt64 time bounds, status codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import xxhashInit from 'xxhash-wasm';
import { Labels } from '../labels/labels.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ExternalLabelsQueryable } from '../storage/extlabels.ts';
import { ValueType } from '../storage/interfaces.ts';
import { XORIterator } from '../tsdb/chunkenc/index.ts';
import { StoreServer } from './server.ts';

const xx = await xxhashInit();

// ---- a minimal protobuf writer/reader, written from the encoding spec ----

function varint(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}
const tag = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const vField = (field: number, v: bigint): number[] => [...tag(field, 0), ...varint(v)];
const lenField = (field: number, b: number[] | Uint8Array): number[] => [...tag(field, 2), ...varint(BigInt(b.length)), ...b];
const strField = (field: number, s: string): number[] => lenField(field, [...Buffer.from(s, 'utf8')]);

type Fields = Map<number, (bigint | Uint8Array)[]>;

function parse(b: Uint8Array): Fields {
  const out: Fields = new Map();
  let i = 0;
  const rv = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++]!;
      r |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return r;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const t = Number(rv());
    const field = t >>> 3;
    const wire = t & 7;
    let val: bigint | Uint8Array;
    if (wire === 0) val = rv();
    else if (wire === 2) {
      const n = Number(rv());
      val = b.subarray(i, i + n);
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
    if (!out.has(field)) out.set(field, []);
    out.get(field)!.push(val);
  }
  return out;
}
const bytesOf = (f: Fields, n: number): Uint8Array[] => (f.get(n) ?? []) as Uint8Array[];
const str = (f: Fields, n: number): string => Buffer.from(bytesOf(f, n)[0] ?? new Uint8Array(0)).toString('utf8');
const int = (f: Fields, n: number, signed = true): bigint => {
  const v = (f.get(n)?.[0] as bigint | undefined) ?? 0n;
  return signed ? BigInt.asIntN(64, v) : v;
};

interface RawChunk {
  minTime: bigint;
  maxTime: bigint;
  type: bigint;
  data: Uint8Array;
  hash: bigint;
}
interface RawSeries {
  labels: [string, string][];
  chunks: RawChunk[];
}
interface RawFrame {
  series?: RawSeries;
  warning?: string;
  batch?: RawSeries[];
}

function parseSeries(b: Uint8Array): RawSeries {
  const f = parse(b);
  return {
    labels: bytesOf(f, 1).map((l) => {
      const lf = parse(l);
      return [str(lf, 1), str(lf, 2)] as [string, string];
    }),
    chunks: bytesOf(f, 2).map((a) => {
      const af = parse(a);
      const raw = parse(bytesOf(af, 3)[0]!);
      return { minTime: int(af, 1), maxTime: int(af, 2), type: int(raw, 1), data: bytesOf(raw, 2)[0] ?? new Uint8Array(0), hash: int(raw, 3, false) };
    }),
  };
}

function parseFrame(b: Buffer): RawFrame {
  const f = parse(b);
  if (f.has(1)) return { series: parseSeries(bytesOf(f, 1)[0]!) };
  if (f.has(2)) return { warning: str(f, 2) };
  if (f.has(4)) return { batch: bytesOf(parse(bytesOf(f, 4)[0]!), 1).map(parseSeries) };
  throw new Error('empty frame');
}

// ---- fixture ----

const STEP = 10_000;
const ext = Labels.fromObject({ replica: 'r0' });
const mem = new MemoryStorage();
for (let s = 0; s < 4; s++) for (let i = 0; i < 300; i++) mem.add(Labels.fromObject({ __name__: 'up', job: `j${s}` }), i * STEP, s * 1000 + i);
mem.add(Labels.fromObject({ __name__: 'other', job: 'j9' }), 0, 1);

let server: StoreServer;
let client: grpc.Client;
let smallFrames: StoreServer;
let smallClient: grpc.Client;
before(async () => {
  const store = { labelSets: () => [ext], timeRange: () => ({ minTime: -5, maxTime: Infinity }), componentType: 'receive' as const, queryable: new ExternalLabelsQueryable(mem, ext), tsdbInfos: () => [{ labels: ext, minTime: -5, maxTime: 300 * STEP }] };
  server = new StoreServer({ store, address: '127.0.0.1:0' });
  client = new grpc.Client(await server.start(), grpc.credentials.createInsecure());
  smallFrames = new StoreServer({ store, address: '127.0.0.1:0', maxBytesPerFrame: 300 });
  smallClient = new grpc.Client(await smallFrames.start(), grpc.credentials.createInsecure());
});
after(async () => {
  client.close();
  smallClient.close();
  await server.stop();
  await smallFrames.stop();
});

const ident = (b: Buffer): Buffer => b;

function unary(c: grpc.Client, path: string, req: number[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(path, ident, ident, Buffer.from(req), (err: grpc.ServiceError | null, r?: Buffer) => (err ? reject(err) : resolve(r!)));
  });
}

function stream(c: grpc.Client, req: number[]): Promise<RawFrame[]> {
  return new Promise((resolve, reject) => {
    const frames: RawFrame[] = [];
    const call = c.makeServerStreamRequest('/thanos.Store/Series', ident, ident, Buffer.from(req));
    call.on('data', (b: Buffer) => frames.push(parseFrame(b)));
    call.on('error', reject);
    call.on('end', () => resolve(frames));
  });
}

const matcher = (type: number, name: string, value: string): number[] =>
  lenField(3, [...(type ? vField(1, BigInt(type)) : []), ...strField(2, name), ...strField(3, value)]);

function samplesOf(c: RawChunk): [number, number][] {
  const it = new XORIterator(c.data);
  const out: [number, number][] = [];
  while (it.next() === ValueType.Float) out.push([it.t, it.v]);
  assert.equal(it.err(), null);
  return out;
}

test('raw /thanos.info.Info/Info', async () => {
  const f = parse(await unary(client, '/thanos.info.Info/Info', []));
  const sets = bytesOf(f, 1).map((s) => bytesOf(parse(s), 1).map((l) => [str(parse(l), 1), str(parse(l), 2)]));
  assert.deepEqual(sets, [[['replica', 'r0']]]);
  assert.equal(str(f, 2), 'receive');
  const store = parse(bytesOf(f, 3)[0]!);
  assert.equal(int(store, 1), -5n);
  assert.equal(int(store, 2), 9223372036854775807n); // +∞ is math.MaxInt64
  assert.equal(store.has(3), false); // supports_sharding = false (omitted)
  assert.equal(int(store, 5), 1n); // supports_without_replica_labels
  // 6 tsdb_infos: TSDBInfo{labels=1 (ZLabelSet), min_time=2, max_time=3}
  const infos = bytesOf(store, 6).map(parse);
  assert.equal(infos.length, 1);
  const l = parse(bytesOf(parse(bytesOf(infos[0]!, 1)[0]!), 1)[0]!);
  assert.deepEqual([str(l, 1), str(l, 2)], ['replica', 'r0']);
  assert.equal(int(infos[0]!, 2), -5n);
  assert.equal(int(infos[0]!, 3), BigInt(300 * STEP));
});

test('raw /thanos.Store/Series: sorted frames with XOR chunks of ≤120 samples, bounds and hashes', async () => {
  const req = [...vField(1, 0n), ...vField(2, 9223372036854775807n), ...matcher(0, '__name__', 'up'), ...matcher(2, 'job', 'j[0-2]')];
  const frames = await stream(client, req);
  assert.equal(frames.length, 3); // one frame per series without response_batch_size
  assert.deepEqual(
    frames.map((f) => f.series!.labels),
    [0, 1, 2].map((s) => [['__name__', 'up'], ['job', `j${s}`], ['replica', 'r0']]),
  );
  frames.forEach((f, s) => {
    const chunks = f.series!.chunks;
    assert.deepEqual(chunks.map((c) => samplesOf(c).length), [120, 120, 60]);
    const all: [number, number][] = [];
    for (const c of chunks) {
      assert.equal(c.type, 0n); // Chunk.Encoding XOR = 0 (chunkenc 1)
      assert.equal(c.data[0]! * 256 + c.data[1]!, samplesOf(c).length); // 2-byte big-endian sample count
      const smp = samplesOf(c);
      assert.equal(c.minTime, BigInt(smp[0]![0]));
      assert.equal(c.maxTime, BigInt(smp[smp.length - 1]![0]));
      assert.equal(c.hash, xx.h64Raw(c.data, 0n));
      all.push(...smp);
    }
    assert.deepEqual(all, [...Array(300).keys()].map((i) => [i * STEP, s * 1000 + i]));
  });
});

test('raw Series: time range, negative (=~ inverse) matchers, skip_chunks, limit, batches', async () => {
  // min_time as a negative int64 (ten-byte varint), !~ on job.
  const frames = await stream(client, [...vField(1, -1000n), ...vField(2, BigInt(5 * STEP)), ...matcher(3, 'job', 'j[0-2]')]);
  assert.deepEqual(frames.map((f) => f.series!.labels.map((l) => l[1])), [['up', 'j3', 'r0'], ['other', 'j9', 'r0']].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
  const j3 = frames.find((f) => f.series!.labels[1]![1] === 'j3')!.series!;
  assert.deepEqual(j3.chunks.flatMap(samplesOf), [0, 1, 2, 3, 4, 5].map((i) => [i * STEP, 3000 + i]));
  // skip_chunks = 8 → no chunk field at all; limit = 15.
  const skip = await stream(client, [...vField(2, 1000000n), ...matcher(1, 'job', 'none'), ...vField(8, 1n), ...vField(15, 2n)]);
  assert.equal(skip.length, 2);
  for (const f of skip) assert.deepEqual(f.series!.chunks, []);
  // response_batch_size = 16 → batch frames (field 4).
  const batched = await stream(client, [...vField(2, 1000000n), ...matcher(1, 'job', 'none'), ...vField(16, 3n)]);
  assert.deepEqual(batched.map((f) => f.batch?.length), [3, 2]);
});

test('raw Series: a series longer than the frame budget is split into consecutive frames with the same labels', async () => {
  const frames = await stream(smallClient, [...vField(2, 10000000n), ...matcher(0, 'job', 'j1')]);
  assert.ok(frames.length >= 3, `got ${frames.length} frames`);
  for (const f of frames) assert.deepEqual(f.series!.labels, [['__name__', 'up'], ['job', 'j1'], ['replica', 'r0']]);
  assert.deepEqual(frames.flatMap((f) => f.series!.chunks.flatMap(samplesOf)), [...Array(300).keys()].map((i) => [i * STEP, 1000 + i]));
});

test('raw LabelNames / LabelValues', async () => {
  const names = parse(await unary(client, '/thanos.Store/LabelNames', [...vField(4, 1000000n), ...lenField(6, [...strField(2, 'job'), ...strField(3, 'j9')])]));
  assert.deepEqual(bytesOf(names, 1).map((b) => Buffer.from(b).toString()), ['__name__', 'job', 'replica']);
  const values = parse(await unary(client, '/thanos.Store/LabelValues', [...strField(1, 'job'), ...vField(5, 1000000n), ...vField(9, 3n)]));
  assert.deepEqual(bytesOf(values, 1).map((b) => Buffer.from(b).toString()), ['j0', 'j1', 'j2']);
});

test('raw errors: INVALID_ARGUMENT for bad matchers, UNIMPLEMENTED for the removed Store/Info', async () => {
  await assert.rejects(stream(client, [...vField(2, 1n), ...matcher(2, 'job', 'a(')]), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  await assert.rejects(stream(client, [...vField(2, 1n), ...matcher(7, 'job', 'a')]), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /unrecognized label matcher type 7/);
    return true;
  });
  await assert.rejects(unary(client, '/thanos.Store/LabelValues', []), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  await assert.rejects(unary(client, '/thanos.Store/Info', []), (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED);
});
