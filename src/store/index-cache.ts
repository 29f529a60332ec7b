// In-memory LRU cache for index data fetched from the bucket (Thanos pkg/store/cache InMemoryIndexCache):
// postings lists, per-matcher expanded postings and series entries, keyed by block ULID + item, bounded
// by bytes (`--index-cache-size`). Items bigger than half the cache are not stored (they would evict
// everything else). Metrics carry Thanos' names so existing dashboards work.
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SeriesEntry } from '../tsdb/index/reader.ts';

export type CacheItemType = 'Postings' | 'ExpandedPostings' | 'Series';
const TYPES: readonly CacheItemType[] = ['Postings', 'ExpandedPostings', 'Series'];

type Value = Uint32Array | SeriesEntry;

/** Fixed per-entry overhead we charge (key string, LRU node, object headers). */
const ENTRY_OVERHEAD = 96;

export interface IndexCacheOptions {
  /** Upper bound of the bytes held (approximate, from the items' sizes); 0 disables caching. */
  maxSizeBytes: number;
  /** Largest single item; default half of maxSizeBytes. */
  maxItemSizeBytes?: number;
  registry?: Registry;
}

interface CacheMetrics {
  requests: Counter<'item_type'>;
  hits: Counter<'item_type'>;
  added: Counter<'item_type'>;
  evicted: Counter<'item_type'>;
  overflow: Counter<'item_type'>;
  items: Gauge<'item_type'>;
  itemsSize: Gauge<'item_type'>;
  totalSize: Gauge;
  maxSize: Gauge;
}

function typeOfKey(k: string): CacheItemType {
  // Keys are "<ulid>\0<P|E|S>\0…"; the ULID is 26 characters.
  const c = k.charCodeAt(27);
  return c === 80 /* P */ ? 'Postings' : c === 69 /* E */ ? 'ExpandedPostings' : 'Series';
}

/** Approximate bytes a series entry holds on the heap. */
export function seriesEntrySize(e: SeriesEntry): number {
  let n = 64 + e.chunks.length * 48;
  const flat = e.labels.flat;
  for (let i = 0; i < flat.length; i++) n += 16 + flat[i]!.length * 2;
  return n;
}

export class IndexCache {
  private readonly lru: LRUCache<string, Value> | null;
  private readonly m: CacheMetrics | null;
  private readonly sizeByType = new Map<CacheItemType, number>();
  private readonly countByType = new Map<CacheItemType, number>();
  readonly maxSizeBytes: number;

  constructor(opts: IndexCacheOptions) {
    this.maxSizeBytes = Math.max(0, Math.floor(opts.maxSizeBytes));
    const maxItem = Math.max(1, Math.floor(opts.maxItemSizeBytes ?? this.maxSizeBytes / 2));
    this.lru =
      this.maxSizeBytes > 0
        ? new LRUCache<string, Value>({
            maxSize: this.maxSizeBytes,
            maxEntrySize: Math.min(maxItem, this.maxSizeBytes),
            sizeCalculation: (v, k) => sizeOf(k, v),
            dispose: (v, k, reason) => this.onRemove(k, v, reason),
          })
        : null;
    const r = opts.registry;
    this.m = r
      ? {
          requests: new Counter({ name: 'thanos_store_index_cache_requests_total', help: 'Total number of items requests to the cache.', labelNames: ['item_type'], registers: [r] }),
          hits: new Counter({ name: 'thanos_store_index_cache_hits_total', help: 'Total number of items requests to the cache that were a hit.', labelNames: ['item_type'], registers: [r] }),
          added: new Counter({ name: 'thanos_store_index_cache_items_added_total', help: 'Total number of items that were added to the index cache.', labelNames: ['item_type'], registers: [r] }),
          evicted: new Counter({ name: 'thanos_store_index_cache_items_evicted_total', help: 'Total number of items that were evicted from the index cache.', labelNames: ['item_type'], registers: [r] }),
          overflow: new Counter({ name: 'thanos_store_index_cache_items_overflowed_total', help: 'Total number of items that could not be added to the cache due to being too big.', labelNames: ['item_type'], registers: [r] }),
          items: new Gauge({ name: 'thanos_store_index_cache_items', help: 'Current number of items in the index cache.', labelNames: ['item_type'], registers: [r] }),
          itemsSize: new Gauge({ name: 'thanos_store_index_cache_items_size_bytes', help: 'Current byte size of items in the index cache.', labelNames: ['item_type'], registers: [r] }),
          totalSize: new Gauge({ name: 'thanos_store_index_cache_total_size_bytes', help: 'Current byte size of items (and their keys) in the index cache.', registers: [r] }),
          maxSize: new Gauge({ name: 'thanos_store_index_cache_max_size_bytes', help: 'Maximum number of bytes to be held in the index cache.', registers: [r] }),
        }
      : null;
    if (this.m) {
      this.m.maxSize.set(this.maxSizeBytes);
      for (const t of TYPES) {
        // Expose zero series for every type, as Thanos does.
        this.m.requests.inc({ item_type: t }, 0);
        this.m.hits.inc({ item_type: t }, 0);
        this.m.items.set({ item_type: t }, 0);
        this.m.itemsSize.set({ item_type: t }, 0);
      }
    }
  }

  /** Bytes currently held (as charged). */
  get size(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get itemCount(): number {
    return this.lru?.size ?? 0;
  }

  private onRemove(k: string, v: Value, reason: string): void {
    const t = typeOfKey(k);
    const sz = sizeOf(k, v);
    this.sizeByType.set(t, (this.sizeByType.get(t) ?? 0) - sz);
    this.countByType.set(t, (this.countByType.get(t) ?? 0) - 1);
    if (this.m) {
      if (reason === 'evict') this.m.evicted.inc({ item_type: t });
      this.updateGauges(t);
    }
  }

  private updateGauges(t: CacheItemType): void {
    if (!this.m) return;
    this.m.items.set({ item_type: t }, this.countByType.get(t) ?? 0);
    this.m.itemsSize.set({ item_type: t }, this.sizeByType.get(t) ?? 0);
    this.m.totalSize.set(this.size);
  }

  private get<T extends Value>(t: CacheItemType, key: string): T | undefined {
    this.m?.requests.inc({ item_type: t });
    const v = this.lru?.get(key) as T | undefined;
    if (v !== undefined) this.m?.hits.inc({ item_type: t });
    return v;
  }

  private set(t: CacheItemType, key: string, v: Value): void {
    if (!this.lru) return;
    if (this.lru.has(key)) return;
    const sz = sizeOf(key, v);
    if (sz > this.lru.maxEntrySize) {
      this.m?.overflow.inc({ item_type: t });
      return;
    }
    this.lru.set(key, v);
    this.sizeByType.set(t, (this.sizeByType.get(t) ?? 0) + sz);
    this.countByType.set(t, (this.countByType.get(t) ?? 0) + 1);
    this.m?.added.inc({ item_type: t });
    this.updateGauges(t);
  }

  /** The postings list of name=value in a block. */
  getPostings(block: string, name: string, value: string): Uint32Array | undefined {
    return this.get('Postings', postingsKey(block, name, value));
  }

  setPostings(block: string, name: string, value: string, p: Uint32Array): void {
    this.set('Postings', postingsKey(block, name, value), p);
  }

  /** The series ids selected by one matcher (union over its values) in a block. */
  getExpandedPostings(block: string, matcher: string): Uint32Array | undefined {
    return this.get('ExpandedPostings', `${block}\0E\0${matcher}`);
  }

  setExpandedPostings(block: string, matcher: string, p: Uint32Array): void {
    this.set('ExpandedPostings', `${block}\0E\0${matcher}`, p);
  }

  getSeries(block: string, id: number): SeriesEntry | undefined {
    return this.get('Series', `${block}\0S\0${id}`);
  }

  setSeries(block: string, e: SeriesEntry): void {
    this.set('Series', `${block}\0S\0${e.id}`, e);
  }

  clear(): void {
    this.lru?.clear();
  }
}

function postingsKey(block: string, name: string, value: string): string {
  return `${block}\0P\0${name}\0${value}`;
}

function sizeOf(k: string, v: Value): number {
  const base = ENTRY_OVERHEAD + k.length * 2;
  if (v instanceof Uint32Array) return base + v.byteLength;
  return base + seriesEntrySize(v);
}
