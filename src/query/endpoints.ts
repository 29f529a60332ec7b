// The querier's endpoint set (Thanos pkg/query/endpointset.go, pkg/discovery/dns, file SD):
// endpoints come from static `--endpoint` specs, from Prometheus file_sd files (watched and
// re-read) and from DNS (`dns+host:port`: A/AAAA lookup; `dnssrv+_svc._proto.name`: SRV records,
// target:port; `dnssrvnoa+`: SRV targets used as host names without a lookup), re-resolved
// periodically. Every endpoint is probed with Info every check interval; `--endpoint` and
// discovered endpoints are queried only while healthy, `--endpoint-strict` ones always (see
// EndpointSet). Label sets and time ranges drive the proxy's pruning; /api/v1/stores shows health.
import { readFile, watch as fsWatch } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, basename } from 'node:path';
import { promises as dnsPromises } from 'node:dns';
import { parse as parseYaml } from 'yaml';
import { Labels } from '../labels/labels.ts';
import type { Queryable } from '../storage/interfaces.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProxyEndpoint } from './proxy.ts';
import { jsonString, labelsJSON } from './http.ts';

const readFileP = promisify(readFile);

/** What an endpoint advertises through thanos.info.Info/Info (same shape as storeapi's StoreInfo). */
export interface EndpointInfo {
  labelSets: Labels[];
  minTime: number;
  maxTime: number;
  componentType: string;
  supportsWithoutReplicaLabels?: boolean;
}

/** A connection to one StoreAPI endpoint. */
export interface Endpoint {
  readonly name: string;
  info(): Promise<EndpointInfo>;
  readonly queryable: Queryable;
  close?(): void;
}

/** Resolves DNS names (node:dns by default; replaceable in tests). */
export interface Resolver {
  resolveSrv(name: string): Promise<{ name: string; port: number }[]>;
  /** All A/AAAA addresses of a host. */
  lookup(host: string): Promise<string[]>;
}

export const systemResolver: Resolver = {
  resolveSrv: (name) => dnsPromises.resolveSrv(name),
  lookup: async (host) => (await dnsPromises.lookup(host, { all: true })).map((a) => a.address),
};

export type EndpointSpec =
  | { kind: 'static'; addr: string }
  | { kind: 'dns'; host: string; port: string }
  | { kind: 'dnssrv'; name: string; noA: boolean };

/** Parses an endpoint flag/target: host:port, dns+host:port, dnssrv+name, dnssrvnoa+name. */
export function parseEndpointSpec(s: string): EndpointSpec {
  const m = /^(dns|dnssrv|dnssrvnoa)\+(.+)$/.exec(s);
  if (!m) {
    if (!/^(\[[^\]]*\]|[^:/\s]+):\d{1,5}$/.test(s)) throw new Error(`invalid endpoint ${JSON.stringify(s)}: expected host:port, dns+host:port or dnssrv+name`);
    return { kind: 'static', addr: s };
  }
  const rest = m[2]!;
  if (m[1] === 'dns') {
    const i = rest.lastIndexOf(':');
    if (i <= 0 || !/^\d{1,5}$/.test(rest.slice(i + 1))) throw new Error(`invalid endpoint ${JSON.stringify(s)}: dns+ needs host:port`);
    return { kind: 'dns', host: rest.slice(0, i), port: rest.slice(i + 1) };
  }
  // Thanos ignores a port given with an SRV name; the records carry the ports.
  const i = rest.lastIndexOf(':');
  const name = i > 0 && /^\d+$/.test(rest.slice(i + 1)) ? rest.slice(0, i) : rest;
  return { kind: 'dnssrv', name, noA: m[1] === 'dnssrvnoa' };
}

function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resolves one spec into addresses. */
export async function resolveSpec(spec: EndpointSpec, r: Resolver): Promise<string[]> {
  switch (spec.kind) {
    case 'static':
      return [spec.addr];
    case 'dns': {
      const ips = await r.lookup(spec.host);
      return ips.map((ip) => joinHostPort(ip, spec.port));
    }
    case 'dnssrv': {
      const recs = await r.resolveSrv(spec.name);
      const out: string[] = [];
      for (const rec of recs) {
        if (spec.noA) out.push(joinHostPort(rec.name, rec.port));
        else for (const ip of await r.lookup(rec.name)) out.push(joinHostPort(ip, rec.port));
      }
      return out;
    }
  }
}

/** Parses a Prometheus file_sd file (JSON or YAML): a list of `{targets: [...], labels: {...}}`. */
export function parseFileSD(text: string, file: string): string[] {
  const doc: unknown = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${file}: file SD content must be a list of target groups`);
  const out: string[] = [];
  for (const g of doc as unknown[]) {
    if (typeof g !== 'object' || g === null) throw new Error(`${file}: target group must be an object`);
    const targets = (g as { targets?: unknown }).targets;
    if (targets === undefined || targets === null) continue;
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) throw new Error(`${file}: targets must be a list of strings`);
    out.push(...(targets as string[]));
  }
  return out;
}

interface Status {
  /** Time of the last successful Info call (null: never). */
  lastCheck: number | null;
  lastError: string | null;
  info: EndpointInfo | null;
}

class EndpointRef {
  status: Status = { lastCheck: null, lastError: null, info: null };
  constructor(
    readonly endpoint: Endpoint,
    /** Fixed when the endpoint is added, as Thanos' endpointRef.isStrict. */
    readonly strict: boolean,
    /** When the endpoint was added (Thanos endpointRef.created). */
    readonly created: number,
  ) {}

  /** Thanos isQueryable: strict endpoints always, others while their last Info call succeeded. */
  queryable(): boolean {
    return this.strict || (this.status.lastCheck !== null && this.status.lastError === null);
  }

  proxyEndpoint(): ProxyEndpoint {
    const i = this.status.info;
    // Without any successful Info yet: assume a store covering everything (Thanos maxRangeStoreMetadata).
    return {
      name: this.endpoint.name,
      queryable: this.endpoint.queryable,
      labelSets: i ? i.labelSets : [],
      minTime: i ? i.minTime : -Infinity,
      maxTime: i ? i.maxTime : Infinity,
    };
  }
}

export interface EndpointSetOptions {
  /** `--endpoint` values: used only while healthy; `dns+`/`dnssrv+` names are resolved. */
  endpoints?: readonly string[];
  /** `--endpoint-strict` values: static host:port only, always queried whatever their health. */
  strictEndpoints?: readonly string[];
  /** `--endpoint.sd-files` paths (their targets are non-strict, like DNS-discovered ones). */
  sdFiles?: readonly string[];
  /** Opens a connection to an address. */
  dial: (address: string) => Endpoint;
  resolver?: Resolver;
  /** Deadline of one Info call (Thanos --endpoint.info-timeout: 5s). */
  infoTimeoutMs?: number;
  /** Health-check (Info) interval; Thanos re-checks every --endpoint.info-timeout, the default here too. */
  refreshIntervalMs?: number;
  /**
   * Thanos --store.unhealthy-timeout (5m): a non-strict endpoint whose last successful check is
   * this old is removed from the set (and so from /api/v1/stores) until it answers again.
   */
  unhealthyTimeoutMs?: number;
  /**
   * Delay before closing the connection of an endpoint that left the set, so queries already
   * using it can finish (Thanos: max(query timeout, info timeout, unhealthy timeout)). 0: at once.
   */
  closeDelayMs?: number;
  /** DNS re-resolution interval (Thanos --store.sd-dns-interval: 30s). */
  dnsIntervalMs?: number;
  /** Fallback re-read of file SD files besides the watcher (Prometheus file_sd refresh_interval: 5m). */
  fileSDIntervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: deadline of ${ms}ms exceeded`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Thanos dns.IsDynamicNode: an address with a `<qtype>+` prefix is resolved through service discovery. */
function isDynamic(addr: string): boolean {
  return addr.includes('+');
}

/**
 * Endpoints of the querier, kept up to date in the background after start(), with Thanos'
 * semantics (pkg/query/endpointset.go): every check interval each wanted address is probed with
 * Info. A new non-strict endpoint joins only when its check succeeds (else it is dropped and
 * retried as new at the next check); a member is queried while its last check succeeded and
 * leaves the fan-out at the first failed check; it is removed from the set once its last good
 * check is --store.unhealthy-timeout old. Strict endpoints (--endpoint-strict) join at once,
 * are always queried and never time out.
 */
export class EndpointSet {
  private readonly refs = new Map<string, EndpointRef>();
  private readonly staticSpecs: EndpointSpec[];
  private readonly strictAddrs: string[];
  private fileTargets = new Map<string, EndpointSpec[]>();
  private dnsCache = new Map<string, { addrs: string[]; at: number }>();
  private timers: NodeJS.Timeout[] = [];
  private watchers: { close(): void }[] = [];
  private pendingCloses = new Map<NodeJS.Timeout, EndpointRef>();
  private updating: Promise<void> | null = null;
  private pendingUpdate = false;
  private stopped = false;
  /** Addresses whose last check failed (log a warning on the transition only). */
  private failing = new Set<string>();
  private warnedDuplicates = new Set<string>();
  private readonly now: () => number;
  private readonly resolver: Resolver;
  private readonly infoTimeoutMs: number;
  private readonly unhealthyTimeoutMs: number;

  constructor(private readonly opts: EndpointSetOptions) {
    this.staticSpecs = (opts.endpoints ?? []).map(parseEndpointSpec);
    for (const a of opts.strictEndpoints ?? []) {
      // Thanos validateEndpointConfig.
      if (isDynamic(a)) throw new Error(`${a} is a dynamically specified endpoint i.e. it uses SD and that is not permitted under strict mode.`);
      parseEndpointSpec(a);
    }
    this.strictAddrs = [...(opts.strictEndpoints ?? [])];
    this.now = opts.now ?? Date.now;
    this.resolver = opts.resolver ?? systemResolver;
    this.infoTimeoutMs = opts.infoTimeoutMs ?? 5000;
    this.unhealthyTimeoutMs = opts.unhealthyTimeoutMs ?? 300_000;
  }

  /** Reads SD files, resolves, probes every endpoint once, then keeps refreshing in the background. */
  async start(): Promise<void> {
    for (const f of this.opts.sdFiles ?? []) await this.loadFile(f);
    this.watchFiles();
    await this.update();
    const every = (ms: number, f: () => void): void => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.refreshIntervalMs ?? this.infoTimeoutMs, () => void this.update());
    if ((this.opts.sdFiles ?? []).length > 0) {
      every(this.opts.fileSDIntervalMs ?? 300_000, () => void this.reloadFiles());
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const w of this.watchers) w.close();
    this.watchers = [];
    for (const [t, r] of this.pendingCloses) {
      clearTimeout(t);
      r.endpoint.close?.();
    }
    this.pendingCloses.clear();
    for (const r of this.refs.values()) r.endpoint.close?.();
    this.refs.clear();
  }

  /** Closes the connection of a ref that left the set, after the grace delay. */
  private closeLater(ref: EndpointRef): void {
    const delay = this.opts.closeDelayMs ?? Math.max(this.infoTimeoutMs, this.unhealthyTimeoutMs);
    if (delay <= 0) {
      ref.endpoint.close?.();
      return;
    }
    const t = setTimeout(() => {
      this.pendingCloses.delete(t);
      ref.endpoint.close?.();
    }, delay);
    t.unref();
    this.pendingCloses.set(t, ref);
  }

  private async loadFile(file: string): Promise<boolean> {
    try {
      const text = await readFileP(file, 'utf8');
      const specs = parseFileSD(text, file).map(parseEndpointSpec);
      const prev = this.fileTargets.get(file);
      const changed = !prev || JSON.stringify(prev) !== JSON.stringify(specs);
      this.fileTargets.set(file, specs);
      return changed;
    } catch (e) {
      // Like Prometheus file SD: keep the last good targets of a file that cannot be read.
      this.opts.logger?.warn({ file, err: (e as Error).message }, 'file SD: cannot read targets, keeping the previous ones');
      return false;
    }
  }

  private async reloadFiles(): Promise<void> {
    let changed = false;
    for (const f of this.opts.sdFiles ?? []) if (await this.loadFile(f)) changed = true;
    if (changed && !this.stopped) await this.update();
  }

  /** Watches each file's directory (editors and configuration tools replace files by rename). */
  private watchFiles(): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of this.opts.sdFiles ?? []) {
      const d = dirname(f);
      if (!byDir.has(d)) byDir.set(d, new Set());
      byDir.get(d)!.add(basename(f));
    }
    let debounce: NodeJS.Timeout | null = null;
    for (const [dir, names] of byDir) {
      try {
        const w = fsWatch(dir, { persistent: false }, (_ev, name) => {
          if (name !== null && !names.has(String(name))) return;
          if (debounce) clearTimeout(debounce);
          debounce = setTimeout(() => void this.reloadFiles(), 50);
        });
        w.on('error', () => {});
        this.watchers.push(w);
      } catch (e) {
        this.opts.logger?.warn({ dir, err: (e as Error).message }, 'file SD: cannot watch directory; relying on periodic re-reads');
      }
    }
  }

  private async resolveCached(spec: EndpointSpec): Promise<string[]> {
    if (spec.kind === 'static') return [spec.addr];
    const key = JSON.stringify(spec);
    const c = this.dnsCache.get(key);
    const ttl = this.opts.dnsIntervalMs ?? 30_000;
    if (c && this.now() - c.at < ttl) return c.addrs;
    try {
      const addrs = await resolveSpec(spec, this.resolver);
      this.dnsCache.set(key, { addrs, at: this.now() });
      return addrs;
    } catch (e) {
      // Keep the previous answer on failures (Thanos dns provider).
      this.opts.logger?.warn({ spec: key, err: (e as Error).message }, 'endpoint DNS resolution failed');
      return c?.addrs ?? [];
    }
  }

  /** Re-resolves all specs, probes every wanted address with Info and updates the set. */
  update(): Promise<void> {
    if (this.updating) {
      this.pendingUpdate = true;
      return this.updating;
    }
    this.updating = this.doUpdate().finally(() => {
      this.updating = null;
      if (this.pendingUpdate && !this.stopped) {
        this.pendingUpdate = false;
        void this.update();
      }
    });
    return this.updating;
  }

  /**
   * Wanted addresses → strict, as Thanos' spec list: static `--endpoint` addresses, then
   * `--endpoint-strict` ones, then everything discovered (DNS names of `--endpoint`, file SD
   * targets) as non-strict. An address given more than once takes its last spec
   * (removeDuplicateEndpointSpecs), so a discovered address is non-strict even if also strict.
   */
  private async wanted(): Promise<Map<string, boolean>> {
    const want = new Map<string, boolean>();
    const add = (addr: string, strict: boolean): void => {
      if (want.has(addr) && !this.warnedDuplicates.has(addr)) {
        this.warnedDuplicates.add(addr);
        this.opts.logger?.warn({ addr }, 'Duplicate endpoint address is provided');
      }
      want.set(addr, strict);
    };
    for (const s of this.staticSpecs) if (s.kind === 'static') add(s.addr, false);
    for (const a of this.strictAddrs) add(a, true);
    for (const s of this.staticSpecs) if (s.kind !== 'static') for (const a of await this.resolveCached(s)) add(a, false);
    for (const specs of this.fileTargets.values()) for (const s of specs) for (const a of await this.resolveCached(s)) add(a, false);
    return want;
  }

  private async check(ref: EndpointRef): Promise<void> {
    const name = ref.endpoint.name;
    try {
      const info = await withDeadline(ref.endpoint.info(), this.infoTimeoutMs, `${name}: Info`);
      if (this.failing.delete(name)) this.opts.logger?.info({ address: name }, 'endpoint healthy again');
      ref.status = { lastCheck: this.now(), lastError: null, info };
    } catch (e) {
      const msg = (e as Error).message;
      if (!this.failing.has(name)) {
        this.failing.add(name);
        this.opts.logger?.warn({ address: name, err: msg }, 'update of endpoint failed');
      }
      // Keep the last good metadata (Thanos updateMetadata); lastCheck stays the last successful check.
      ref.status = { ...ref.status, lastError: msg };
    }
  }

  private async doUpdate(): Promise<void> {
    const want = await this.wanted();
    if (this.stopped) return;
    const existing: EndpointRef[] = [];
    const fresh: [string, EndpointRef][] = [];
    for (const [addr, strict] of want) {
      const ref = this.refs.get(addr);
      if (ref) existing.push(ref);
      else fresh.push([addr, new EndpointRef(this.opts.dial(addr), strict, this.now())]);
    }
    await Promise.all([...existing, ...fresh.map(([, r]) => r)].map((r) => this.check(r)));
    if (this.stopped) {
      for (const [, r] of fresh) r.endpoint.close?.();
      return;
    }
    for (const a of this.failing) if (!want.has(a)) this.failing.delete(a);
    // Thanos getTimedOutRefs: non-strict members older than the timeout whose last successful
    // check is at least that old.
    const now = this.now();
    const t = this.unhealthyTimeoutMs;
    for (const [addr, ref] of this.refs) {
      const timedOut = !ref.strict && now - ref.created >= t && now - (ref.status.lastCheck ?? -Infinity) >= t;
      if (!want.has(addr) || timedOut) {
        this.refs.delete(addr);
        this.opts.logger?.info({ address: addr, strict: ref.strict, lastError: ref.status.lastError }, "removing endpoint because it's unhealthy or does not exist");
        this.closeLater(ref);
      }
    }
    for (const [addr, ref] of fresh) {
      // A new endpoint joins only when queryable: strict, or its first check succeeded.
      if (!ref.queryable()) {
        ref.endpoint.close?.();
        continue;
      }
      this.refs.set(addr, ref);
      this.opts.logger?.info({ address: addr, strict: ref.strict, component: ref.status.info?.componentType ?? null }, 'adding new endpoint');
    }
  }

  /** Endpoints the proxy should query (Thanos GetStoreClients: the queryable members). */
  active(): ProxyEndpoint[] {
    const out: ProxyEndpoint[] = [];
    for (const r of this.refs.values()) if (r.queryable()) out.push(r.proxyEndpoint());
    return out;
  }

  /** Current status of every member of the set. */
  statuses(): { name: string; componentType: string | null; lastCheck: number | null; lastError: string | null; labelSets: Labels[]; minTime: number; maxTime: number; strict: boolean }[] {
    return [...this.refs.values()].map((r) => ({
      name: r.endpoint.name,
      componentType: r.status.info?.componentType ?? null,
      lastCheck: r.status.lastCheck,
      lastError: r.status.lastError,
      labelSets: r.status.info?.labelSets ?? [],
      minTime: r.status.info?.minTime ?? -Infinity,
      maxTime: r.status.info?.maxTime ?? Infinity,
      strict: r.strict,
    }));
  }

  /**
   * `data` of Thanos' /api/v1/stores: the members of the set grouped by component type, each
   * {name, lastCheck, lastError, labelSets, minTime, maxTime}. Non-strict endpoints are members
   * only after a successful check (until --store.unhealthy-timeout after their last one). Thanos
   * leaves out strict endpoints that never answered Info; we list them under "unknown-store-api"
   * so the UI can show them as down.
   */
  storesJSON(): string {
    const groups = new Map<string, string[]>();
    const list = this.statuses().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const s of list) {
      const type = s.componentType ?? 'unknown-store-api';
      const item =
        `{"name":${jsonString(s.name)},"lastCheck":${jsonString(goTimeJSON(s.lastCheck))},` +
        `"lastError":${s.lastError === null ? 'null' : jsonString(s.lastError)},` +
        `"labelSets":[${s.labelSets.map(labelsJSON).join(',')}],"minTime":${int64JSON(s.minTime)},"maxTime":${int64JSON(s.maxTime)}}`;
      if (!groups.has(type)) groups.set(type, []);
      groups.get(type)!.push(item);
    }
    const keys = [...groups.keys()].sort();
    return '{' + keys.map((k) => `${jsonString(k)}:[${groups.get(k)!.join(',')}]`).join(',') + '}';
  }
}

/** A millisecond time (or none) as Go's time.Time marshals to JSON (RFC 3339, trailing zeros trimmed). */
export function goTimeJSON(ms: number | null): string {
  if (ms === null) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** A time bound as the int64 Thanos reports: unbounded values become math.MinInt64/MaxInt64. */
export function int64JSON(ms: number): string {
  if (ms >= Number.MAX_SAFE_INTEGER) return '9223372036854775807';
  if (ms <= Number.MIN_SAFE_INTEGER) return '-9223372036854775808';
  return String(Math.trunc(ms));
}
