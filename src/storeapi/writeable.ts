// thanos.WriteableStore/RemoteWrite: how receivers forward remote-write series to each other
// (Thanos pkg/store/storepb/rpc.proto). WriteRequest{timeseries=1 (prometheus_copy.TimeSeries),
// tenant=2, replica=3 (1-based; 0 = not replicated yet), timeseriesTenantData=4 {timeseries=1,
// tenant=2}}. prometheus_copy.TimeSeries has the wire format of Prometheus' prompb.TimeSeries, so
// series are copied byte for byte between the HTTP request and the gRPC request (stale-NaN payloads,
// exemplars and histograms survive untouched); the messages are (de)serialized here by hand, the
// generated ts-proto types (gen/store/storepb/rpc.ts) are only the reference for tests.
import * as grpc from '@grpc/grpc-js';
import { DecodeError } from '../remotewrite/codec.ts';

export const REMOTE_WRITE_PATH = '/thanos.WriteableStore/RemoteWrite';

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeError(`truncated varint at offset ${pos}`);
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, pos];
    mul *= 128;
  }
  throw new DecodeError(`varint too long at offset ${pos}`);
}

function skipField(buf: Uint8Array, wt: number, pos: number, end: number): number {
  switch (wt) {
    case WT_VARINT:
      return readVarint(buf, pos, end)[1];
    case WT_I64:
      pos += 8;
      break;
    case WT_LEN: {
      const [n, p] = readVarint(buf, pos, end);
      pos = p + n;
      break;
    }
    case WT_I32:
      pos += 4;
      break;
    default:
      throw new DecodeError(`unsupported wire type ${wt} at offset ${pos}`);
  }
  if (pos > end) throw new DecodeError('field runs past the end of the message');
  return pos;
}

/**
 * Byte ranges [start, end) of every `timeseries` (field 1) entry of a prometheus.WriteRequest,
 * tag included, in order: ranges[2i], ranges[2i+1] is series i of decodeWriteRequest's output.
 */
export function timeseriesRanges(buf: Uint8Array, start = 0, end = buf.length): Uint32Array {
  const out: number[] = [];
  let pos = start;
  while (pos < end) {
    const at = pos;
    const [tag, p] = readVarint(buf, pos, end);
    const wt = tag % 8;
    const field = Math.floor(tag / 8);
    pos = skipField(buf, wt, p, end);
    if (field === 1 && wt === WT_LEN) out.push(at, pos);
  }
  return Uint32Array.from(out);
}

function varintLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v >= 128) {
    out[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

const utf8 = new TextEncoder();

/**
 * Encodes a thanos WriteRequest from the raw prometheus.WriteRequest `raw`: the series at `indexes`
 * (their ranges from timeseriesRanges), the tenant and the 1-based replica number.
 */
export function encodeWriteRequest(raw: Uint8Array, ranges: Uint32Array, indexes: readonly number[], tenant: string, replica: number): Buffer {
  let size = 0;
  for (const i of indexes) size += ranges[2 * i + 1]! - ranges[2 * i]!;
  const t = utf8.encode(tenant);
  if (t.length > 0) size += 1 + varintLen(t.length) + t.length;
  if (replica > 0) size += 1 + varintLen(replica);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const i of indexes) {
    const s = ranges[2 * i]!;
    const e = ranges[2 * i + 1]!;
    out.set(raw.subarray(s, e), pos);
    pos += e - s;
  }
  if (t.length > 0) {
    out[pos++] = 0x12;
    pos = writeVarint(out, pos, t.length);
    out.set(t, pos);
    pos += t.length;
  }
  if (replica > 0) {
    out[pos++] = 0x18;
    pos = writeVarint(out, pos, replica);
  }
  return out;
}

export interface DecodedThanosWriteRequest {
  replica: number;
  /** Per tenant, the series as an uncompressed prometheus.WriteRequest (for decodeWriteRequest). */
  tenants: { tenant: string; request: Uint8Array }[];
}

const utf8Dec = new TextDecoder('utf-8', { fatal: true });

/** Splits a thanos WriteRequest into per-tenant prometheus.WriteRequest bodies. Throws DecodeError. */
export function decodeThanosWriteRequest(buf: Uint8Array): DecodedThanosWriteRequest {
  const end = buf.length;
  const top: number[] = [];
  let tenant = '';
  let replica = 0;
  const tuples: { tenant: string; ranges: number[] }[] = [];
  let pos = 0;
  while (pos < end) {
    const at = pos;
    const [tag, p] = readVarint(buf, pos, end);
    const wt = tag % 8;
    const field = Math.floor(tag / 8);
    if (field === 1 && wt === WT_LEN) {
      pos = skipField(buf, wt, p, end);
      top.push(at, pos);
    } else if (field === 2 && wt === WT_LEN) {
      const [n, q] = readVarint(buf, p, end);
      if (q + n > end) throw new DecodeError('WriteRequest.tenant runs past the end of the message');
      tenant = utf8Dec.decode(buf.subarray(q, q + n));
      pos = q + n;
    } else if (field === 3 && wt === WT_VARINT) {
      [replica, pos] = readVarint(buf, p, end);
      if (replica >= 2 ** 63) throw new DecodeError('WriteRequest.replica is negative');
    } else if (field === 4 && wt === WT_LEN) {
      const [n, q] = readVarint(buf, p, end);
      const e = q + n;
      if (e > end) throw new DecodeError('WriteRequest.timeseriesTenantData runs past the end of the message');
      const tup = { tenant: '', ranges: [] as number[] };
      let ip = q;
      while (ip < e) {
        const iat = ip;
        const [itag, ipp] = readVarint(buf, ip, e);
        const iwt = itag % 8;
        const ifield = Math.floor(itag / 8);
        if (ifield === 2 && iwt === WT_LEN) {
          const [tn, tq] = readVarint(buf, ipp, e);
          if (tq + tn > e) throw new DecodeError('TimeSeriesTenantTuple.tenant runs past the end of the message');
          tup.tenant = utf8Dec.decode(buf.subarray(tq, tq + tn));
          ip = tq + tn;
        } else {
          ip = skipField(buf, iwt, ipp, e);
          if (ifield === 1 && iwt === WT_LEN) tup.ranges.push(iat, ip);
        }
      }
      tuples.push(tup);
      pos = e;
    } else {
      pos = skipField(buf, wt, p, end);
    }
  }
  const concat = (ranges: number[]): Uint8Array => {
    if (ranges.length === 2) return buf.subarray(ranges[0]!, ranges[1]!);
    let size = 0;
    for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]!;
    const out = new Uint8Array(size);
    let o = 0;
    for (let i = 0; i < ranges.length; i += 2) {
      out.set(buf.subarray(ranges[i]!, ranges[i + 1]!), o);
      o += ranges[i + 1]! - ranges[i]!;
    }
    return out;
  };
  // As Thanos: the tenant tuples when present, else the top-level series and tenant.
  const tenants = tuples.length > 0 ? tuples.map((t) => ({ tenant: t.tenant, request: concat(t.ranges) })) : [{ tenant, request: concat(top) }];
  return { replica, tenants };
}

const identity = (b: Buffer): Buffer => b;

/** The WriteableStore service with raw-bytes (de)serializers. */
export const writeableServiceDefinition: grpc.ServiceDefinition = {
  RemoteWrite: {
    path: REMOTE_WRITE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** A RemoteWrite failure as a gRPC status. */
export interface WriteStatus {
  code: grpc.status;
  details: string;
}

/** Serves RemoteWrite: `handle` gets the raw WriteRequest and returns null (OK) or an error status. */
export function addWriteableService(server: grpc.Server, handle: (req: Uint8Array) => Promise<WriteStatus | null>): void {
  server.addService(writeableServiceDefinition, {
    RemoteWrite(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
      handle(call.request).then(
        (st) => {
          if (st === null) cb(null, Buffer.alloc(0));
          else cb({ code: st.code, details: st.details }, null);
        },
        (e: unknown) => cb({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) }, null),
      );
    },
  });
}

/** A client of one peer's WriteableStore. */
export class WriteableClient {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  /** Sends an encoded WriteRequest; resolves null on success, else the gRPC error status. */
  remoteWrite(req: Buffer, timeoutMs: number): Promise<WriteStatus | null> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(REMOTE_WRITE_PATH, identity, identity, req, { deadline: Date.now() + timeoutMs }, (err) => {
        if (!err) resolve(null);
        else resolve({ code: err.code, details: err.details || err.message });
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
