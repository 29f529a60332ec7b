// The querier's fan-out (Thanos pkg/store/proxy.go + pkg/query/querier.go): a Queryable over many
// StoreAPI endpoints. For each select it keeps the endpoints whose advertised time range overlaps
// the request and whose external label sets can match the matchers, queries them in parallel with
// a per-endpoint timeout, and merges their sorted series (k-way; identical label sets from several
// endpoints are merged sample by sample). A failing endpoint becomes the warning
// "<endpoint>: <error>" with partial response, or fails the whole request without it. With
// deduplication on, replica labels are stripped and replicas merged (see dedup.ts).
import { Labels, compareStrings } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import { ChainedSeries } from '../storage/merge.ts';
import { PromQLError } from '../promql/value.ts';
import type { LabelHints, LabelResult, Querier, Queryable, SelectHints, Series, SeriesSet } from '../storage/interfaces.ts';
import { dedupSeriesSet, type DedupAlgorithm } from './dedup.ts';

/** An endpoint as the proxy sees it: where to query, and what it advertised through Info. */
export interface ProxyEndpoint {
  /** Address or name used in warnings and errors. */
  readonly name: string;
  readonly queryable: Queryable;
  /** External label sets (empty = unknown, matches everything). */
  readonly labelSets: readonly Labels[];
  /** Advertised time range, inclusive. */
  readonly minTime: number;
  readonly maxTime: number;
}

export interface ProxyOptions {
  /** The endpoints to consider, read at every querier() call. */
  endpoints: () => readonly ProxyEndpoint[];
  /** Per-endpoint deadline of one call (a whole select included); 0/undefined = none. */
  timeoutMs?: number;
  /** Answer with what is available plus warnings when endpoints fail (default true). */
  partialResponse?: boolean;
  /** Labels whose values distinguish replicas of the same series. */
  replicaLabels?: readonly string[];
  /** Deduplicate on the replica labels (default true; no-op without replica labels). */
  dedup?: boolean;
  algorithm?: DedupAlgorithm;
  /** Downsampling: the coarsest resolution (ms) the request accepts (max_source_resolution); 0 = raw. */
  maxResolutionMs?: number;
}

/** Thanos ErrorNoStoresAvailable text. */
export const NO_STORES_AVAILABLE = 'No StoreAPIs available';

/** Thanos LabelSetsMatch: true when some label set has no label contradicting a matcher (or there are none). */
export function labelSetsMatch(matchers: readonly Matcher[], sets: readonly Labels[]): boolean {
  if (sets.length === 0) return true;
  for (const ls of sets) {
    let ok = true;
    for (const m of matchers) {
      if (ls.has(m.name) && !m.matches(ls.get(m.name))) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** Endpoints that may have data for [mint, maxt] and the matchers (Thanos storeMatches). */
export function matchingEndpoints(eps: readonly ProxyEndpoint[], mint: number, maxt: number, matchers: readonly Matcher[]): ProxyEndpoint[] {
  return eps.filter((e) => !(mint > e.maxTime || maxt < e.minTime) && labelSetsMatch(matchers, e.labelSets));
}

/** "<endpoint>: <error>", without repeating the endpoint when the error already names it first. */
export function endpointError(name: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.startsWith(name + ':') ? msg : `${name}: ${msg}`;
}

class EndpointTimeout extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms}ms (endpoint timeout)`);
  }
}

/** Runs `f` with a deadline; on timeout `onTimeout` is called and the promise rejects. */
function withTimeout<T>(p: Promise<T>, ms: number | undefined, onTimeout?: () => void): Promise<T> {
  if (!ms || ms <= 0) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new EndpointTimeout(ms));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class ProxyQueryable implements Queryable {
  constructor(readonly opts: ProxyOptions) {}

  /** The same endpoints with other per-request options (dedup, replica labels, partial response). */
  with(o: Partial<Omit<ProxyOptions, 'endpoints'>>): ProxyQueryable {
    return new ProxyQueryable({ ...this.opts, ...o });
  }

  querier(mint: number, maxt: number): Querier {
    return new ProxyQuerier(this.opts, this.opts.endpoints(), mint, maxt);
  }
}

/** One endpoint's Series stream as the merge reads it: the current head, advanced on demand. */
class EndpointCursor {
  head: Series | undefined = undefined;
  private it: AsyncIterator<Series> | null = null;
  private set: SeriesSet | null = null;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private timeout: Promise<never> | null = null;

  constructor(
    private readonly e: ProxyEndpoint,
    private readonly q: ProxyQuerier,
    private readonly hints: SelectHints,
    private readonly matchers: readonly Matcher[],
    private readonly warnings: string[],
  ) {}

  /**
   * Moves to the next series (head undefined at the end or after a failure turned into a warning).
   * Synchronous (undefined) when the endpoint's iterator has the series buffered (pullBuffered).
   */
  advance(): Promise<void> | undefined {
    if (this.finished) {
      this.head = undefined;
      return undefined;
    }
    const it = this.it as (AsyncIterator<Series> & { pullBuffered?: () => Series | undefined }) | null;
    if (it !== null && it.pullBuffered !== undefined) {
      const s = it.pullBuffered();
      if (s !== undefined) {
        this.head = s;
        return undefined;
      }
    }
    return this.advanceAsync();
  }

  private async advanceAsync(): Promise<void> {
    try {
      if (this.it === null) {
        this.set = this.q.querierOf(this.e).select(this.hints, this.matchers);
        this.it = this.set[Symbol.asyncIterator]();
        const ms = this.q.timeoutMs;
        if (ms && ms > 0) {
          const it = this.it;
          this.timeout = new Promise<never>((_, reject) => {
            this.timer = setTimeout(() => {
              void it.return?.()?.catch(() => {});
              reject(new EndpointTimeout(ms));
            }, ms);
          });
          this.timeout.catch(() => {});
        }
      }
      const p = this.it.next();
      const r = this.timeout ? await Promise.race([p, this.timeout]) : await p;
      if (!r.done) {
        this.head = r.value;
        return;
      }
      this.end();
      // Thanos proxy: without partial response, a warning from a store aborts the request.
      const ws = this.set!.warnings();
      if (!this.q.partial && ws.length > 0) throw new Error(ws[0]);
      for (const w of ws) this.warnings.push(w);
    } catch (err) {
      this.end();
      this.q.fail(this.e, err, this.warnings);
    }
  }

  private end(): void {
    this.head = undefined;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops reading (cancels the stream when it did not end). */
  close(): void {
    const unfinished = !this.finished && this.it !== null;
    this.end();
    if (unfinished) void this.it!.return?.()?.catch(() => {});
  }
}

class ProxyQuerier implements Querier {
  /** @internal */ readonly partial: boolean;
  /** @internal */ readonly timeoutMs: number | undefined;
  private readonly replicaLabels: readonly string[];
  private readonly dedup: boolean;
  private readonly queriers = new Map<ProxyEndpoint, Querier>();

  constructor(
    private readonly opts: ProxyOptions,
    private readonly eps: readonly ProxyEndpoint[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {
    this.partial = opts.partialResponse ?? true;
    this.timeoutMs = opts.timeoutMs;
    this.replicaLabels = opts.replicaLabels ?? [];
    this.dedup = (opts.dedup ?? true) && this.replicaLabels.length > 0;
  }

  /** @internal */
  querierOf(e: ProxyEndpoint): Querier {
    let q = this.queriers.get(e);
    if (!q) {
      q = e.queryable.querier(this.mint, this.maxt);
      this.queriers.set(e, q);
    }
    return q;
  }

  /** Endpoints to ask; throws when there are none at all and partial response is off. */
  private targets(mint: number, maxt: number, matchers: readonly Matcher[]): ProxyEndpoint[] {
    if (this.eps.length === 0 && !this.partial) throw new PromQLError('execution', NO_STORES_AVAILABLE);
    return matchingEndpoints(this.eps, mint, maxt, matchers);
  }

  /** A failure of one endpoint: a warning with partial response, else an error naming it. */
  /** @internal */
  fail(e: ProxyEndpoint, err: unknown, warnings: string[]): void {
    const msg = endpointError(e.name, err);
    if (!this.partial) throw new PromQLError('execution', msg);
    warnings.push(msg);
  }

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    if (this.opts.maxResolutionMs && hints.maxResolution === undefined) hints = { ...hints, maxResolution: this.opts.maxResolutionMs };
    const warnings: string[] = [];
    const start = hints.start ?? this.mint;
    const end = hints.end ?? this.maxt;
    const limit = hints.limit && hints.limit > 0 ? hints.limit : 0;
    const self = this;
    const merged: SeriesSet = {
      warnings: () => warnings,
      async *[Symbol.asyncIterator]() {
        const targets = self.targets(start, end, matchers);
        // Every endpoint's stream is opened at once and read lazily: series are merged (k-way, by
        // labels) and handed on while the endpoints are still sending, so the engine works in
        // parallel with them (each stream buffers up to its gRPC flow-control window). Each
        // endpoint has its own deadline for its whole stream.
        const cursors = targets.map((e) => new EndpointCursor(e, self, hints, matchers, warnings));
        try {
          await Promise.all(cursors.map((c) => c.advance()));
          let n = 0;
          for (;;) {
            let min: Series | undefined;
            let live = 0;
            for (const c of cursors) {
              const h = c.head;
              if (h === undefined) continue;
              live++;
              if (min === undefined || Labels.compare(h.labels, min.labels) < 0) min = h;
            }
            if (min === undefined) break;
            let out: Series = min;
            if (live === 1) {
              for (const c of cursors) {
                if (c.head === undefined) continue;
                const w = c.advance();
                if (w) await w;
              }
            } else {
              const same: EndpointCursor[] = [];
              for (const c of cursors) if (c.head !== undefined && (c.head === min || c.head.labels.equals(min.labels))) same.push(c);
              if (same.length > 1) out = new ChainedSeries(same.map((c) => c.head!));
              const waits: Promise<void>[] = [];
              for (const c of same) {
                const w = c.advance();
                if (w) waits.push(w);
              }
              if (waits.length > 0) await Promise.all(waits);
            }
            yield out;
            if (limit && !self.dedup && ++n >= limit) return;
          }
        } finally {
          for (const c of cursors) c.close();
        }
      },
    };
    if (!this.dedup) return merged;
    const deduped = dedupSeriesSet(merged, { replicaLabels: this.replicaLabels, algorithm: this.opts.algorithm ?? 'penalty', func: hints.func });
    if (!limit) return deduped;
    return {
      warnings: () => deduped.warnings(),
      async *[Symbol.asyncIterator]() {
        let n = 0;
        for await (const s of deduped) {
          yield s;
          if (++n >= limit) return;
        }
      },
    };
  }

  private async labelCall(
    matchers: readonly Matcher[],
    call: (q: Querier) => Promise<LabelResult>,
    limit: number | undefined,
  ): Promise<LabelResult> {
    const warnings: string[] = [];
    const targets = this.targets(this.mint, this.maxt, matchers);
    const rs = await Promise.all(
      targets.map(async (e) => {
        try {
          const r = await withTimeout(call(this.querierOf(e)), this.opts.timeoutMs);
          if (!this.partial && r.warnings.length > 0) throw new Error(r.warnings[0]);
          return r;
        } catch (err) {
          this.fail(e, err, warnings);
          return null;
        }
      }),
    );
    const set = new Set<string>();
    for (const r of rs) {
      if (!r) continue;
      for (const v of r.values) set.add(v);
      warnings.push(...r.warnings);
    }
    let values = [...set].sort(compareStrings);
    if (limit && limit > 0 && values.length > limit) values = values.slice(0, limit);
    return { values, warnings };
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const r = await this.labelCall(matchers, (q) => q.labelNames(matchers, hints), hints?.limit);
    // With deduplication the replica labels are not part of any series (Thanos asks stores to drop them).
    if (this.dedup) r.values = r.values.filter((n) => !this.replicaLabels.includes(n));
    return r;
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    if (this.dedup && this.replicaLabels.includes(name)) return { values: [], warnings: [] };
    return this.labelCall(matchers, (q) => q.labelValues(name, matchers, hints), hints?.limit);
  }

  close(): void {
    for (const q of this.queriers.values()) q.close();
    this.queriers.clear();
  }
}

/** k-way merge of label-sorted series lists; equal label sets are chained into one series. */
export function* mergeSortedSeries(lists: readonly Series[][]): Generator<Series> {
  const live = lists.filter((l) => l.length > 0);
  if (live.length === 0) return;
  if (live.length === 1) {
    yield* live[0]!;
    return;
  }
  // Binary min-heap of list indexes keyed by the label set at each list's cursor.
  const pos = new Array<number>(live.length).fill(0);
  const heap: number[] = live.map((_, i) => i);
  const less = (i: number, j: number): boolean => {
    const c = Labels.compare(live[i]![pos[i]!]!.labels, live[j]![pos[j]!]!.labels);
    return c < 0 || (c === 0 && i < j);
  };
  const down = (k: number): void => {
    for (;;) {
      const l = 2 * k + 1;
      if (l >= heap.length) return;
      let m = l;
      if (l + 1 < heap.length && less(heap[l + 1]!, heap[l]!)) m = l + 1;
      if (!less(heap[m]!, heap[k]!)) return;
      [heap[k], heap[m]] = [heap[m]!, heap[k]!];
      k = m;
    }
  };
  for (let k = (heap.length >> 1) - 1; k >= 0; k--) down(k);
  const pop = (): Series => {
    const i = heap[0]!;
    const s = live[i]![pos[i]!]!;
    pos[i]!++;
    if (pos[i]! >= live[i]!.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
    return s;
  };
  while (heap.length > 0) {
    const first = pop();
    let same: Series[] | null = null;
    while (heap.length > 0) {
      const i = heap[0]!;
      const s = live[i]![pos[i]!]!;
      if (!s.labels.equals(first.labels)) break;
      (same ??= [first]).push(pop());
    }
    yield same ? new ChainedSeries(same) : first;
  }
}
