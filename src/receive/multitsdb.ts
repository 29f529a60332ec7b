// One head (with its WAL) per tenant under <tsdb.path>/<tenant>/, as Thanos receive's MultiTSDB.
// Each tenant's series are exposed to queries with the external labels {<tenant label>=<tenant>}
// plus the receiver's --label flags.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import { AppendError, type Appender, type Exemplar, type MetricMetadata, type Queryable } from '../storage/interfaces.ts';
import { ExternalLabelsQueryable } from '../storage/extlabels.ts';
import { MergeQueryable } from '../storage/merge.ts';
import { Head } from '../tsdb/head/index.ts';
import type { Logger } from '../observability/logger.ts';

export interface MultiTSDBOptions {
  dir: string;
  tenantLabelName: string;
  externalLabels: Labels;
  walFsync: boolean;
  blockDuration: number;
  logger: Logger;
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
  private tenants = new Map<string, Tenant>();
  private opening = new Map<string, Promise<Tenant>>();
  private closed = false;

  constructor(private readonly opts: MultiTSDBOptions) {}

  /** Opens (replays) every tenant found on disk. */
  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    for (const name of await readdir(this.opts.dir)) {
      const p = join(this.opts.dir, name);
      if (!(await stat(p)).isDirectory() || !TENANT_RE.test(name)) continue;
      await this.tenant(name);
    }
  }

  externalLabelsFor(tenant: string): Labels {
    return new LabelsBuilder(this.opts.externalLabels).set(this.opts.tenantLabelName, tenant).labels();
  }

  /** The tenant's head, opening (and replaying) it on first use. */
  tenant(id: string): Promise<Tenant> {
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

  private async openTenant(id: string): Promise<Tenant> {
    if (this.closed) throw new Error('receiver is shutting down');
    const dir = join(this.opts.dir, id);
    await mkdir(dir, { recursive: true });
    const started = Date.now();
    const head = await Head.open({
      walDir: join(dir, 'wal'),
      walFsync: this.opts.walFsync,
      chunkRange: this.opts.blockDuration,
      logger: this.opts.logger.child({ tenant: id }),
    });
    const ext = this.externalLabelsFor(id);
    const t: Tenant = { id, dir, head, externalLabels: ext, queryable: new ExternalLabelsQueryable(head, ext) };
    this.tenants.set(id, t);
    this.opts.logger.info({ tenant: id, series: head.numSeries(), duration_ms: Date.now() - started }, 'opened tenant TSDB');
    return t;
  }

  getLoaded(id: string): Tenant | undefined {
    return this.tenants.get(id);
  }

  all(): Tenant[] {
    return [...this.tenants.values()];
  }

  /** An appender for the tenant; for a tenant not yet open, samples are buffered until commit. */
  appender(id: string): Appender {
    const t = this.tenants.get(id);
    if (t) return t.head.appender();
    validateTenant(id);
    return new DeferredAppender(this.tenant(id));
  }

  /** Every tenant's series with their external labels. */
  queryable(): Queryable {
    return new MergeQueryable(() => this.all().map((t) => t.queryable));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all(this.all().map((t) => t.head.close()));
    this.tenants.clear();
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
