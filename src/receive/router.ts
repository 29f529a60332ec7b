// Hashring routing and replication of remote-write requests, as Thanos receive's handler
// (pkg/receive/handler.go fanoutForward): every series goes to the endpoints of replicas
// 0..R-1 that the hashring picks for it; series for the same (endpoint, replica) travel in one
// request, local ones into the local TSDB, remote ones over gRPC thanos.WriteableStore/RemoteWrite
// (replica number n+1 on the wire), all in parallel with a per-forward timeout.
//
// A request succeeds (2xx) only when every series was written by at least `quorum` replicas
// (R/2+1; 1 for R=2 as in Thanos), so each acknowledged sample is in at least that many WALs. A
// series that missed quorum decides the answer by its dominant error: conflicts (out of order,
// duplicates…) 409, limits 429, bad data 400, unavailable / not ready / timed out 503, other 500;
// across series the retryable answer wins (503 > 500 > 429 > 409 > 400) so that nothing is dropped
// by the sender that a retry could still store.
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Labels } from '../labels/labels.ts';
import type { Logger } from '../observability/logger.ts';
import type { DecodedWriteRequest } from '../remotewrite/codec.ts';
import type { WriteResult } from '../remotewrite/handler.ts';
import { encodeWriteRequest, timeseriesRanges, WriteableClient, type WriteStatus } from '../storeapi/writeable.ts';
import type { Hashring } from './hashring.ts';

/** Why a write to one replica failed. */
export type FailureKind = 'conflict' | 'unavailable' | 'limit' | 'bad_data' | 'internal';

export type ReplicaResult = { ok: true } | { ok: false; kind: FailureKind; message: string };

/** Writes a subset of a request's series to the local TSDB. */
export type LocalWrite = (tenant: string, wr: DecodedWriteRequest) => Promise<WriteResult>;

/** Sends an encoded thanos WriteRequest to a peer. */
export interface PeerWriter {
  remoteWrite(req: Buffer, timeoutMs: number): Promise<WriteStatus | null>;
  close(): void;
}

export interface RouterOptions {
  hashring: Hashring;
  replicationFactor: number;
  /** This receiver's address as named in the hashring; null = router only (no local writes). */
  localEndpoint: string | null;
  /** Timeout of each forward request in ms (Thanos --receive-forward-timeout, 5s). */
  forwardTimeout: number;
  /** Local TSDB writes; required unless router only. */
  local: LocalWrite | null;
  logger: Logger;
  registry?: Registry;
  /** Peer client factory (tests); default: gRPC WriteableClient. */
  peer?: (address: string) => PeerWriter;
}

/** Thanos writeQuorum: R/2+1, except 1 for R=2. */
export function writeQuorum(rf: number): number {
  return rf === 2 ? 1 : Math.floor(rf / 2) + 1;
}

/** HTTP status of a failure kind. */
export function kindStatus(k: FailureKind): number {
  switch (k) {
    case 'conflict':
      return 409;
    case 'unavailable':
      return 503;
    case 'limit':
      return 429;
    case 'bad_data':
      return 400;
    default:
      return 500;
  }
}

/** The failure kind of a local write's HTTP status (200 → null). */
export function kindOfStatus(status: number): FailureKind | null {
  if (status >= 200 && status < 300) return null;
  if (status === 409) return 'conflict';
  if (status === 429) return 'limit';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'bad_data';
  return 'internal';
}

/** The failure kind of a peer's gRPC status (Thanos maps conflicts to AlreadyExists, not ready to Unavailable). */
export function kindOfGrpc(code: grpc.status): FailureKind {
  switch (code) {
    case grpc.status.ALREADY_EXISTS:
      return 'conflict';
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.CANCELLED:
      return 'unavailable';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'limit';
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
      return 'bad_data';
    default:
      return 'internal';
  }
}

/** gRPC status for a write answer (what a peer replies to RemoteWrite). */
export function grpcCodeOfStatus(status: number): grpc.status {
  const k = kindOfStatus(status);
  switch (k) {
    case null:
      return grpc.status.OK;
    case 'conflict':
      return grpc.status.ALREADY_EXISTS;
    case 'unavailable':
      return grpc.status.UNAVAILABLE;
    case 'limit':
      return grpc.status.RESOURCE_EXHAUSTED;
    case 'bad_data':
      return grpc.status.INVALID_ARGUMENT;
    default:
      return grpc.status.INTERNAL;
  }
}

/** Preference among failed series: retryable first (a 4xx makes Prometheus drop the whole batch). */
const KIND_RANK: Record<FailureKind, number> = { unavailable: 5, internal: 4, limit: 3, conflict: 2, bad_data: 1 };
const KINDS: readonly FailureKind[] = ['conflict', 'unavailable', 'limit', 'bad_data', 'internal'];

/**
 * Quorum bookkeeping for one request: per series, successes and failures by kind. `threshold` is
 * the number of successes a series needs, `attempts` the number of replicas it was sent to.
 */
export class QuorumTracker {
  readonly successes: Int32Array;
  readonly failures: Int32Array;
  private readonly byKind: Map<FailureKind, Int32Array> = new Map();
  private readonly reasons = new Set<string>();

  constructor(
    readonly numSeries: number,
    readonly threshold: number,
    readonly attempts: number,
  ) {
    this.successes = new Int32Array(numSeries);
    this.failures = new Int32Array(numSeries);
    for (const k of KINDS) this.byKind.set(k, new Int32Array(numSeries));
  }

  /** Records the result of one replica write that carried `series`. */
  add(series: readonly number[], r: ReplicaResult): void {
    if (r.ok) {
      for (const i of series) this.successes[i]!++;
      return;
    }
    const k = this.byKind.get(r.kind)!;
    for (const i of series) {
      this.failures[i]!++;
      k[i]!++;
    }
    this.reasons.add(r.message);
  }

  /**
   * True when the outcome cannot change any more: every series reached quorum or has so many
   * conflicts that it never can (Thanos canReturnEarly; other failures wait for all replies).
   */
  determined(): boolean {
    const failureThreshold = this.attempts - this.threshold + 1;
    const conflicts = this.byKind.get('conflict')!;
    for (let i = 0; i < this.numSeries; i++) {
      if (this.successes[i]! < this.threshold && conflicts[i]! < failureThreshold) return false;
    }
    return true;
  }

  /** Failure kind of series i, or null when it reached quorum (or has not failed enough yet). */
  seriesCause(i: number): FailureKind | null {
    if (this.successes[i]! >= this.threshold) return null;
    if (this.failures[i]! < this.attempts - this.threshold + 1) return null;
    // Thanos replicationErrors.Cause: the kind seen at least `threshold` times, most frequent first;
    // a mix of kinds that together failed quorum is retryable.
    let best: FailureKind | null = null;
    let bestN = 0;
    for (const k of KINDS) {
      const n = this.byKind.get(k)![i]!;
      if (n > bestN) {
        best = k;
        bestN = n;
      }
    }
    if (best !== null && bestN >= this.threshold) return best;
    return 'unavailable';
  }

  /** The request's answer. */
  result(): WriteResult {
    let worst: FailureKind | null = null;
    let failed = 0;
    for (let i = 0; i < this.numSeries; i++) {
      const k = this.seriesCause(i);
      if (k === null) continue;
      failed++;
      if (worst === null || KIND_RANK[k] > KIND_RANK[worst]) worst = k;
    }
    if (worst === null) return { status: 200, text: '' };
    const reasons = [...this.reasons].sort();
    const head =
      worst === 'unavailable' || worst === 'internal'
        ? `quorum not reached for ${failed} of ${this.numSeries} series (${this.attempts === 1 ? 'no replication' : `replication factor ${this.attempts}, quorum ${this.threshold}`}); retry`
        : `write rejected for ${failed} of ${this.numSeries} series`;
    return { status: kindStatus(worst), text: `${head}: ${reasons.length > 1 ? `${reasons.length} errors: ` : ''}${reasons.join('; ')}\n` };
  }
}

/** A batch for one (endpoint, replica). */
interface Batch {
  endpoint: string;
  replica: number;
  series: number[];
}

export class Router {
  private ring: Hashring;
  private readonly peers = new Map<string, PeerWriter>();
  private readonly metrics: { forwards: Counter<'result'>; replications: Counter<'result'> } | null;

  constructor(private readonly opts: RouterOptions) {
    this.ring = opts.hashring;
    const r = opts.registry;
    if (r) {
      this.metrics = {
        forwards: new Counter({ name: 'thanos_receive_forward_requests_total', help: 'The number of forward requests.', labelNames: ['result'], registers: [r] }),
        replications: new Counter({
          name: 'thanos_receive_replications_total',
          help: 'The number of replication operations done by the receiver. The success of replication is fulfilled when a quorum is met.',
          labelNames: ['result'],
          registers: [r],
        }),
      };
      for (const res of ['success', 'error']) {
        this.metrics.forwards.inc({ result: res }, 0);
        this.metrics.replications.inc({ result: res }, 0);
      }
      new Gauge({ name: 'thanos_receive_replication_factor', help: 'The number of times to replicate incoming write requests.', registers: [r] }).set(opts.replicationFactor);
    } else this.metrics = null;
  }

  get replicationFactor(): number {
    return this.opts.replicationFactor;
  }

  /** Swaps the hashring (configuration reload); peers no longer in it are closed. */
  setHashring(ring: Hashring): void {
    this.ring = ring;
    const keep = new Set(ring.nodes().map((e) => e.address));
    for (const [addr, p] of this.peers) {
      if (!keep.has(addr)) {
        p.close();
        this.peers.delete(addr);
      }
    }
  }

  hashring(): Hashring {
    return this.ring;
  }

  private peer(address: string): PeerWriter {
    let p = this.peers.get(address);
    if (!p) {
      p = this.opts.peer ? this.opts.peer(address) : new WriteableClient(address);
      this.peers.set(address, p);
    }
    return p;
  }

  /**
   * Routes a decoded request (from `raw`, an uncompressed prometheus.WriteRequest) of `tenant`
   * to its replicas and waits for quorum. `replica` > 0 (1-based) means a router already chose this
   * node for that replica: then the series are written locally only, never forwarded again.
   */
  async write(tenant: string, wr: DecodedWriteRequest, raw: Uint8Array, replica = 0): Promise<WriteResult> {
    const n = wr.series.length;
    if (n === 0) return { status: 200, text: '' };
    if (replica > 0) {
      if (replica > this.opts.replicationFactor) {
        return { status: 400, text: `request replica ${replica} exceeds receiver replication factor ${this.opts.replicationFactor}\n` };
      }
      return this.writeLocal(tenant, wr);
    }
    const rf = this.opts.replicationFactor;
    const ring = this.ring;
    const batches = new Map<string, Batch>();
    for (let i = 0; i < n; i++) {
      // Thanos hashes the labels in wire order (Prometheus sends them sorted).
      const lset = Labels.fromSortedFlat(wr.series[i]!.labels);
      for (let rn = 0; rn < rf; rn++) {
        let endpoint: string;
        try {
          endpoint = ring.getN(tenant, lset, rn);
        } catch (e) {
          return { status: 500, text: `cannot place series ${lset.toString()} of tenant ${JSON.stringify(tenant)} (replica ${rn}): ${(e as Error).message}\n` };
        }
        const key = `${rn}\u0000${endpoint}`;
        let b = batches.get(key);
        if (!b) {
          b = { endpoint, replica: rn, series: [] };
          batches.set(key, b);
        }
        b.series.push(i);
      }
    }
    const quorum = new QuorumTracker(n, writeQuorum(rf), rf);
    let ranges: Uint32Array | null = null;
    const local = this.opts.localEndpoint;
    return new Promise<WriteResult>((resolve) => {
      let pending = batches.size;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve(quorum.result());
      };
      for (const b of batches.values()) {
        let p: Promise<ReplicaResult>;
        if (local !== null && b.endpoint === local) {
          p = this.writeLocal(tenant, subRequest(wr, b.series)).then(localResult);
        } else {
          ranges ??= timeseriesRanges(raw);
          const req = encodeWriteRequest(raw, ranges, b.series, tenant, b.replica + 1);
          p = this.forward(b.endpoint, req);
        }
        p.then(
          (r) => r,
          (e: unknown): ReplicaResult => ({ ok: false, kind: 'internal', message: `write to ${b.endpoint}: ${(e as Error).message}` }),
        ).then((r) => {
          quorum.add(b.series, r);
          pending--;
          if (pending === 0 || quorum.determined()) finish();
        });
      }
    });
  }

  private async writeLocal(tenant: string, wr: DecodedWriteRequest): Promise<WriteResult> {
    if (!this.opts.local) return { status: 503, text: 'this receiver is a router only (no local endpoint in the hashring): it does not store series\n' };
    return this.opts.local(tenant, wr);
  }

  private async forward(endpoint: string, req: Buffer): Promise<ReplicaResult> {
    const st = await this.peer(endpoint).remoteWrite(req, this.opts.forwardTimeout);
    if (st === null) {
      this.metrics?.forwards.inc({ result: 'success' });
      this.metrics?.replications.inc({ result: 'success' });
      return { ok: true };
    }
    this.metrics?.forwards.inc({ result: 'error' });
    this.metrics?.replications.inc({ result: 'error' });
    const kind = kindOfGrpc(st.code);
    if (kind !== 'conflict') this.opts.logger.warn({ endpoint, code: grpc.status[st.code], err: st.details }, 'forwarding a write request failed');
    return { ok: false, kind, message: `forwarding request to endpoint ${endpoint}: ${grpc.status[st.code]}: ${st.details.trim()}` };
  }

  close(): void {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
  }
}

function localResult(r: WriteResult): ReplicaResult {
  const kind = kindOfStatus(r.status);
  if (kind === null) return { ok: true };
  return { ok: false, kind, message: `writing to the local TSDB: ${r.text.trim().replace(/\n/g, '; ')}` };
}

/** The request restricted to the series at `idx` (samples stay in the shared ts/vs arrays). */
export function subRequest(wr: DecodedWriteRequest, idx: readonly number[]): DecodedWriteRequest {
  if (idx.length === wr.series.length) return wr;
  return { series: idx.map((i) => wr.series[i]!), ts: wr.ts, vs: wr.vs, sampleCount: wr.sampleCount, metadata: [] };
}
