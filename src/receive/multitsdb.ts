// One TSDB per tenant under <tsdb.path>/<tenant>/ (head + WAL in wal/, level-1 blocks beside it),
// as Thanos receive's MultiTSDB. Each tenant's series are exposed to queries with the external
// labels {<tenant label>=<tenant>} plus the receiver's --label flags. A periodic check cuts blocks
// from the heads, ships them when a bucket is configured and applies local retention; close()
// flushes every head into a block and ships it (see tenant.ts).
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import type { Bucket } from '../objstore/bucket.ts';
import { AppendError, type Appender, type Exemplar, type MetricMetadata, type Queryable } from '../storage/interfaces.ts';
import { MergeQueryable } from '../storage/merge.ts';
import type { Head } from '../tsdb/head/index.ts';
import type { Logger } from '../observability/logger.ts';
import { TenantTSDB, type TenantHooks } from './tenant.ts';

export interface MultiTSDBOptions {
  dir: string;
  tenantLabelName: string;
  externalLabels: Labels;
  walFsync: boolean;
  blockDuration: number;
  logger: Logger;
  /** Bucket the tenants' blocks are shipped to; null/undefined keeps them local. */
  bucket?: Bucket | null;
  /** Local block retention in ms (0: with a bucket, delete right after upload; without, keep). */
  retention?: number;
  /** Without a bucket, apply `retention` only when this is true (the flag was given explicitly). */
  retentionWithoutBucket?: boolean;
  /** How often heads are checked for cuts, shipping and retention (default min(blockDuration/4, 1m)). */
  checkInterval?: number;
  registry?: Registry;
  hooks?: TenantHooks;
}

export interface Tenant {
  readonly id: string;
  readonly dir: string;
  readonly head: Head;
  readonly externalLabels: Labels;
  readonly queryable: Queryable;
}

const TENANT_RE = /^[A-Za-z0-9_.\-:@]{1,255}$/;

export class InvalidTenantError extends Error {}

export function validateTenant(id: string): void {
  if (!TENANT_RE.test(id) || id === '.' || id === '..') {
    throw new InvalidTenantError(`invalid tenant ID ${JSON.stringify(id)}: use 1–255 characters of A–Z, a–z, 0–9, '_', '-', '.', ':', '@'`);
  }
}

export class MultiTSDB {
  private tenants = new Map<string, TenantTSDB>();
  private opening = new Map<string, Promise<TenantTSDB>>();
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly metrics: { cuts: Counter; flushes: Counter; deleted: Counter } | null;

  constructor(private readonly opts: MultiTSDBOptions) {
    const r = opts.registry;
    if (r) {
      const tenants = this.tenants;
      this.metrics = {
        cuts: new Counter({ name: 'prometheus_tsdb_compactions_total', help: 'Total number of head compactions (blocks cut from the heads of all tenants).', registers: [r] }),
        flushes: new Counter({ name: 'thanos_receive_flushes_total', help: 'Total number of heads flushed into a block at shutdown.', registers: [r] }),
        deleted: new Counter({ name: 'prometheus_tsdb_time_retentions_total', help: 'Number of local blocks deleted because of retention.', registers: [r] }),
      };
      new Gauge({
        name: 'prometheus_tsdb_blocks_loaded',
        help: 'Number of local blocks of all tenants.',
        registers: [r],
        collect() {
          let n = 0;
          for (const t of tenants.values()) n += t.blockMetas().length;
          this.set(n);
        },
      });
    } else this.metrics = null;
  }

  private hooks(): TenantHooks {
    const user = this.opts.hooks;
    const m = this.metrics;
    return {
      onBlockCut: (tenant, meta, kind) => {
        if (kind === 'flush') m?.flushes.inc();
        else m?.cuts.inc();
        user?.onBlockCut?.(tenant, meta, kind);
      },
      onBlockDeleted: (tenant, ulid) => {
        m?.deleted.inc();
        user?.onBlockDeleted?.(tenant, ulid);
      },
    };
  }

  /** Opens (replays) every tenant found on disk, ships their pending blocks and starts the periodic check. */
  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    for (const name of await readdir(this.opts.dir)) {
      const p = join(this.opts.dir, name);
      if (!(await stat(p)).isDirectory() || !TENANT_RE.test(name)) continue;
      await this.tenant(name);
    }
    const every = this.opts.checkInterval ?? Math.max(1000, Math.min(Math.floor(this.opts.blockDuration / 4), 60_000));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
    void this.check();
  }

  /** One round: cut blocks from compactable heads, ship, apply retention. Rounds never overlap. */
  check(): Promise<void> {
    if (this.checking) return this.checking;
    const run = (async () => {
      for (const t of this.tenants.values()) {
        if (this.closed) return;
        try {
          await t.compact();
          await t.ship();
          await t.applyRetention();
        } catch (e) {
          this.opts.logger.error({ tenant: t.id, err: (e as Error).message }, 'head compaction failed');
        }
      }
    })().finally(() => {
      this.checking = null;
    });
    this.checking = run;
    return run;
  }

  externalLabelsFor(tenant: string): Labels {
    return new LabelsBuilder(this.opts.externalLabels).set(this.opts.tenantLabelName, tenant).labels();
  }

  /** The tenant's TSDB, opening (and replaying) it on first use. */
  tenant(id: string): Promise<TenantTSDB> {
    const t = this.tenants.get(id);
    if (t) return Promise.resolve(t);
    let p = this.opening.get(id);
    if (!p) {
      validateTenant(id);
      p = this.openTenant(id).finally(() => this.opening.delete(id));
      this.opening.set(id, p);
    }
    return p;
  }

  private async openTenant(id: string): Promise<TenantTSDB> {
    if (this.closed) throw new Error('receiver is shutting down');
    const dir = join(this.opts.dir, id);
    await mkdir(dir, { recursive: true });
    const started = Date.now();
    const t = await TenantTSDB.open({
      id,
      dir,
      externalLabels: this.externalLabelsFor(id),
      blockDuration: this.opts.blockDuration,
      walFsync: this.opts.walFsync,
      logger: this.opts.logger.child({ tenant: id }),
      bucket: this.opts.bucket ?? null,
      retention: this.opts.retention ?? 0,
      retentionWithoutBucket: this.opts.retentionWithoutBucket ?? false,
      ...(this.opts.registry ? { registry: this.opts.registry } : {}),
      hooks: this.hooks(),
    });
    if (this.closed) {
      await t.close();
      throw new Error('receiver is shutting down');
    }
    this.tenants.set(id, t);
    this.opts.logger.info(
      { tenant: id, series: t.head.numSeries(), blocks: t.blockMetas().length, duration_ms: Date.now() - started },
      'opened tenant TSDB',
    );
    void t.ship();
    return t;
  }

  getLoaded(id: string): TenantTSDB | undefined {
    return this.tenants.get(id);
  }

  all(): TenantTSDB[] {
    return [...this.tenants.values()];
  }

  /** An appender for the tenant; for a tenant not yet open, samples are buffered until commit. */
  appender(id: string): Appender {
    const t = this.tenants.get(id);
    if (t) return t.head.appender();
    validateTenant(id);
    return new DeferredAppender(this.tenant(id));
  }

  /** Every tenant's series (head and local blocks) with their external labels. */
  queryable(): Queryable {
    return new MergeQueryable(() => this.all().map((t) => t.queryable));
  }

  /**
   * Shutdown: stops the periodic check, cuts what is due, flushes every head into a block, ships
   * (when a bucket is configured) and closes. Call after ingest has stopped.
   */
  async close(opts: { flush?: boolean } = {}): Promise<void> {
    const flush = opts.flush ?? true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await this.checking?.catch(() => undefined);
    const errors: unknown[] = [];
    await Promise.all(
      this.all().map(async (t) => {
        try {
          if (flush) {
            await t.compact();
            await t.flush();
            await t.finalShip();
          }
        } catch (e) {
          errors.push(e);
          this.opts.logger.error({ tenant: t.id, err: (e as Error).message }, 'flushing the head at shutdown failed; the WAL keeps its data');
        }
        try {
          await t.close();
        } catch (e) {
          errors.push(e);
        }
      }),
    );
    this.tenants.clear();
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * Buffers appends for a tenant whose head is still opening; checks ordering within the request
 * (the only conflicts possible for a tenant with no data yet) and replays into the real appender
 * on commit.
 */
class DeferredAppender implements Appender {
  private labels: Labels[] = [];
  private ts: number[] = [];
  private vs: number[] = [];
  private exemplars: { idx: number; labels: Labels; ex: Exemplar }[] = [];
  private last = new Map<string, { idx: number; t: number; v: number }>();

  constructor(private readonly tenant: Promise<Tenant>) {
    // Avoid unhandled rejection warnings: the error surfaces on commit.
    tenant.catch(() => {});
  }

  append(_ref: number, labels: Labels, t: number, v: number): number {
    const key = labels.key;
    const prev = this.last.get(key);
    if (prev) {
      if (t < prev.t) throw new AppendError('out_of_order', `out of order sample for series ${labels.toString()}: timestamp ${t} is before ${prev.t}`);
      if (t === prev.t) {
        if (Object.is(v, prev.v) || (v !== v && prev.v !== prev.v)) return prev.idx + 1;
        throw new AppendError('duplicate', `duplicate sample for timestamp ${t} with a different value for series ${labels.toString()}`);
      }
    }
    const idx = this.labels.length;
    this.labels.push(labels);
    this.ts.push(t);
    this.vs.push(v);
    this.last.set(key, { idx, t, v });
    return idx + 1;
  }

  appendExemplar(ref: number, labels: Labels, ex: Exemplar): void {
    this.exemplars.push({ idx: ref - 1, labels, ex });
  }

  async commit(): Promise<void> {
    const t = await this.tenant;
    const app = t.head.appender();
    const refs = new Map<string, number>();
    let conflicts = 0;
    for (let i = 0; i < this.labels.length; i++) {
      const l = this.labels[i]!;
      try {
        refs.set(l.key, app.append(refs.get(l.key) ?? 0, l, this.ts[i]!, this.vs[i]!));
      } catch (e) {
        if (!(e instanceof AppendError)) throw e;
        conflicts++; // another request for this new tenant stored newer samples first
      }
    }
    for (const e of this.exemplars) {
      const ref = refs.get(e.labels.key);
      if (ref !== undefined && app.appendExemplar) app.appendExemplar(ref, e.labels, e.ex);
    }
    await app.commit();
    if (conflicts > 0) {
      // Not acknowledged: the sender retries, and the retry gets the head's exact verdict
      // (exact duplicates of what was just committed are accepted).
      throw new Error(`${conflicts} samples raced with another request while the tenant was being opened; retry`);
    }
  }

  rollback(): void {
    this.labels = [];
  }
}

export type { MetricMetadata };
