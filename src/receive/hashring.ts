// Thanos receive hashrings (thanos-io/thanos pkg/receive/hashring.go + config.go): the JSON
// configuration, tenant → hashring selection and series → endpoint placement.
//
// Configuration: a non-empty JSON array of hashrings
//   [{ "hashring": "name", "tenants": ["a", "b*"], "tenant_matcher_type": "exact"|"glob",
//      "algorithm": "hashmod"|"ketama", "endpoints": ["host:port", {"address": "host:port", "az": "z1"}] }]
// A hashring without tenants matches every tenant; the first matching hashring wins.
//
// Placement: h = xxhash64(tenant 0xFF name1 0xFF value1 0xFF …) over the series labels in wire order
// (Thanos labelpb.HashWithPrefix). `hashmod` sorts the endpoints by address and picks
// endpoints[(h + n) mod 2^64 mod len] for replica n; `ketama` puts 1000 sections per endpoint on a
// ring (xxhash64 of "address:i") and takes the n-th distinct (AZ-balanced) endpoint after h.
import { createHash } from 'node:crypto';
import xxhashInit from 'xxhash-wasm';
import { z } from 'zod';
import { compareStrings, type Labels } from '../labels/labels.ts';

const xx = await xxhashInit();
const utf8 = new TextEncoder();
const U64 = (1n << 64n) - 1n;

export type HashringAlgorithm = 'hashmod' | 'ketama';
export const HASHRING_ALGORITHMS: readonly HashringAlgorithm[] = ['hashmod', 'ketama'];
/** Sections per endpoint of a ketama ring (Thanos SectionsPerNode). */
export const SECTIONS_PER_NODE = 1000;

export interface Endpoint {
  address: string;
  /** Availability zone ('' when not set); only ketama uses it. */
  az: string;
}

export interface HashringConfig {
  hashring: string;
  tenants: string[];
  tenantMatcherType: 'exact' | 'glob';
  endpoints: Endpoint[];
  /** '' = the --receive.hashrings-algorithm default. */
  algorithm: HashringAlgorithm | '';
}

/** A configuration file that cannot be used; the message names the file and the bad field. */
export class HashringConfigError extends Error {
  override name = 'HashringConfigError';
}

/** Thanos insufficientNodesError. */
export class InsufficientNodesError extends Error {
  constructor(
    readonly have: number,
    readonly want: number,
  ) {
    super(`insufficient nodes; have ${have}, want ${want}`);
  }
}

export class NoMatchingHashringError extends Error {
  constructor(tenant: string) {
    super(`no matching hashring to handle tenant ${JSON.stringify(tenant)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

const endpointSchema = z.union([
  z.string().min(1, 'endpoint address must be set'),
  z.strictObject({
    address: z.string().min(1, 'endpoint address must be set'),
    az: z.string().optional(),
    // Thanos' Cap'n Proto replication address: accepted for compatibility, not used (gRPC only).
    capnproto_address: z.string().optional(),
  }),
]);

const hashringSchema = z.strictObject({
  hashring: z.string().optional(),
  tenants: z.array(z.string().min(1, 'tenant must not be empty')).optional(),
  tenant_matcher_type: z.enum(['', 'exact', 'glob']).optional(),
  endpoints: z.array(endpointSchema).min(1, 'a hashring needs at least one endpoint'),
  algorithm: z.enum(['', 'hashmod', 'ketama']).optional(),
  external_labels: z.record(z.string(), z.string()).optional(),
  shuffle_sharding_config: z
    .object({ shard_size: z.number().int().optional() })
    .loose()
    .optional(),
});

const configSchema = z.array(hashringSchema);

function issuePath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(top level)' : s;
}

/**
 * Parses and validates a hashring configuration (the content of --receive.hashrings-file or
 * --receive.hashrings). `source` names it in error messages.
 */
export function parseHashringConfig(text: string, source = 'hashring configuration'): HashringConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HashringConfigError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const path = issuePath(i.path);
      if (i.code === 'unrecognized_keys') return `${path}: unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      if (i.code === 'invalid_union' && path.includes('endpoints')) {
        return `${path}: an endpoint must be a non-empty "host:port" string or an object {"address": "host:port", "az": "…"}`;
      }
      return `${path}: ${i.message}`;
    });
    throw new HashringConfigError(`${source}: ${msgs.join('; ')}`);
  }
  if (r.data.length === 0) throw new HashringConfigError(`${source}: configuration file is empty (expected a non-empty JSON array of hashrings)`);
  return r.data.map((h, i) => {
    const where = `${source}: [${i}]${h.hashring ? ` (hashring ${JSON.stringify(h.hashring)})` : ''}`;
    if (h.external_labels && Object.keys(h.external_labels).length > 0) {
      throw new HashringConfigError(`${where}.external_labels: per-hashring external labels are not supported by strata receive; use --label`);
    }
    if ((h.shuffle_sharding_config?.shard_size ?? 0) > 0) {
      throw new HashringConfigError(`${where}.shuffle_sharding_config: shuffle sharding is not supported by strata receive`);
    }
    const matcher = h.tenant_matcher_type === 'glob' ? 'glob' : 'exact';
    if (matcher === 'glob') {
      for (const [j, t] of (h.tenants ?? []).entries()) {
        try {
          globToRegExp(t);
        } catch (e) {
          throw new HashringConfigError(`${where}.tenants[${j}]: ${(e as Error).message}`);
        }
      }
    }
    const endpoints = h.endpoints.map((e) => (typeof e === 'string' ? { address: e, az: '' } : { address: e.address, az: e.az ?? '' }));
    const seen = new Set<string>();
    for (const e of endpoints) {
      if (seen.has(e.address)) throw new HashringConfigError(`${where}.endpoints: endpoint ${JSON.stringify(e.address)} is listed twice`);
      seen.add(e.address);
    }
    return { hashring: h.hashring ?? '', tenants: h.tenants ?? [], tenantMatcherType: matcher, endpoints, algorithm: h.algorithm ?? '' };
  });
}

/** Thanos hashAsMetricValue: the first 6 bytes of the MD5 of the file, little endian (fits a float64 exactly). */
export function configHashMetricValue(content: Uint8Array | string): number {
  const sum = createHash('md5').update(content).digest();
  let v = 0;
  for (let i = 5; i >= 0; i--) v = v * 256 + sum[i]!;
  return v;
}

/**
 * Go's path/filepath.Match pattern (the `glob` tenant matcher) as an anchored RegExp: `*` any run of
 * characters except '/', `?` one such character, `[…]`/`[^…]` classes with ranges, `\` escapes.
 * Throws on a malformed pattern (Go's ErrBadPattern).
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  const cps = Array.from(pattern);
  const esc = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  const escClass = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= cps.length) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: trailing backslash`);
      re += esc(cps[++i]!);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (cps[j] === '^') {
        cls += '^';
        j++;
      }
      let n = 0;
      for (;;) {
        if (j >= cps.length) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: unterminated character class`);
        if (cps[j] === ']' && n > 0) break;
        let lo = cps[j]!;
        if (lo === '\\') {
          j++;
          if (j >= cps.length) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: trailing backslash`);
          lo = cps[j]!;
        } else if (lo === '-' || lo === ']') throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: bad character class`);
        j++;
        cls += escClass(lo);
        if (cps[j] === '-') {
          j++;
          let hi = cps[j];
          if (hi === '\\') hi = cps[++j];
          if (hi === undefined || hi === ']') throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: bad range`);
          j++;
          cls += '-' + escClass(hi);
        }
        n++;
      }
      re += cls + ']';
      i = j;
    } else re += esc(c);
  }
  return new RegExp(re + '$', 'u');
}

// ---------------------------------------------------------------------------------------------
// Placement
// ---------------------------------------------------------------------------------------------

/** Finds the endpoint for replica `n` (0-based) of a tenant's series. */
export interface Hashring {
  getN(tenant: string, series: Labels, n: number): string;
  /** The endpoints of the ring(s). */
  nodes(): Endpoint[];
}

/** Thanos labelpb.HashWithPrefix: xxhash64(tenant 0xFF n1 0xFF v1 0xFF …), labels in the given order. */
export function hashWithPrefix(tenant: string, series: Labels): bigint {
  return series.hashWithPrefix(tenant);
}

function xxhashString(s: string): bigint {
  return xx.h64Raw(utf8.encode(s), 0n);
}

/** `hashmod`: endpoints sorted by address, endpoint (hash + n) mod len. */
export class HashmodHashring implements Hashring {
  private readonly eps: Endpoint[];
  private readonly len: bigint;

  constructor(endpoints: readonly Endpoint[]) {
    for (const e of endpoints) {
      if (e.az !== '') throw new HashringConfigError('Hashmod algorithm does not support AZ aware hashring configuration. Either use Ketama or remove AZ configuration.');
    }
    this.eps = [...endpoints].sort((a, b) => compareStrings(a.address, b.address));
    this.len = BigInt(this.eps.length);
  }

  getN(tenant: string, series: Labels, n: number): string {
    if (n >= this.eps.length) throw new InsufficientNodesError(this.eps.length, n + 1);
    // Go adds in uint64: wrap before the modulo.
    const h = (hashWithPrefix(tenant, series) + BigInt(n)) & U64;
    return this.eps[Number(h % this.len)]!.address;
  }

  nodes(): Endpoint[] {
    return this.eps;
  }
}

/** `ketama`: consistent hashing with SECTIONS_PER_NODE sections per endpoint, replicas on distinct endpoints spread over AZs. */
export class KetamaHashring implements Hashring {
  private readonly hashes: BigUint64Array;
  /** replicas[i * rf + n] = endpoint index of replica n of section i. */
  private readonly replicas: Uint32Array;
  private readonly rf: number;

  constructor(
    private readonly eps: readonly Endpoint[],
    replicationFactor: number,
    sectionsPerNode = SECTIONS_PER_NODE,
  ) {
    if (eps.length < replicationFactor) throw new HashringConfigError('ketama: amount of endpoints needs to be larger than replication factor');
    const sections: { hash: bigint; ep: number; az: string }[] = [];
    const azs = new Set<string>();
    eps.forEach((e, ep) => {
      azs.add(e.az);
      for (let i = 1; i <= sectionsPerNode; i++) sections.push({ hash: xxhashString(`${e.address}:${i}`), ep, az: e.az });
    });
    // Go's sort.Sort is not stable; equal 64-bit hashes practically never occur.
    sections.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    this.rf = replicationFactor;
    this.hashes = BigUint64Array.from(sections.map((s) => s.hash));
    this.replicas = new Uint32Array(sections.length * replicationFactor);
    // Thanos calculateSectionReplicas.
    for (let i = 0; i < sections.length; i++) {
      const chosen = new Set<number>();
      const azSpread = new Map<string, number>();
      for (const az of azs) azSpread.set(az, 0);
      let j = i - 1;
      let k = 0;
      while (chosen.size < replicationFactor) {
        j = (j + 1) % sections.length;
        const rep = sections[j]!;
        if (chosen.has(rep.ep)) continue;
        const cur = azSpread.get(rep.az)!;
        if (azSpread.size > 1 && cur > 0 && cur > Math.min(...azSpread.values())) continue;
        chosen.add(rep.ep);
        azSpread.set(rep.az, cur + 1);
        this.replicas[i * replicationFactor + k++] = rep.ep;
      }
    }
  }

  getN(tenant: string, series: Labels, n: number): string {
    if (n >= this.eps.length) throw new InsufficientNodesError(this.eps.length, n + 1);
    if (n >= this.rf) throw new InsufficientNodesError(this.rf, n + 1);
    const v = hashWithPrefix(tenant, series);
    // First section with hash >= v, wrapping to 0.
    let lo = 0;
    let hi = this.hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid]! >= v) hi = mid;
      else lo = mid + 1;
    }
    const i = lo === this.hashes.length ? 0 : lo;
    return this.eps[this.replicas[i * this.rf + n]!]!.address;
  }

  nodes(): Endpoint[] {
    return [...this.eps];
  }
}

/** Thanos SingleNodeHashring: everything goes to one endpoint (ingestor-only receivers). */
export class SingleNodeHashring implements Hashring {
  constructor(private readonly address: string) {}

  getN(_tenant: string, _series: Labels, n: number): string {
    if (n > 0) throw new InsufficientNodesError(1, n + 1);
    return this.address;
  }

  nodes(): Endpoint[] {
    return [{ address: this.address, az: '' }];
  }
}

interface TenantSet {
  exact: Set<string>;
  globs: RegExp[];
}

/** Several hashrings; the first whose tenants match (or that has none) serves a tenant. */
export class MultiHashring implements Hashring {
  private readonly rings: Hashring[] = [];
  private readonly tenantSets: (TenantSet | null)[] = [];
  private readonly cache = new Map<string, Hashring>();
  private readonly allNodes: Endpoint[] = [];

  constructor(
    readonly config: readonly HashringConfig[],
    defaultAlgorithm: HashringAlgorithm,
    replicationFactor: number,
  ) {
    for (const [i, h] of config.entries()) {
      const algorithm = h.algorithm === '' ? defaultAlgorithm : h.algorithm;
      let ring: Hashring;
      try {
        ring = algorithm === 'ketama' ? new KetamaHashring(h.endpoints, replicationFactor) : new HashmodHashring(h.endpoints);
      } catch (e) {
        throw new HashringConfigError(`hashring [${i}]${h.hashring ? ` (${JSON.stringify(h.hashring)})` : ''}: ${(e as Error).message}`);
      }
      this.rings.push(ring);
      this.allNodes.push(...ring.nodes());
      if (h.tenants.length === 0) this.tenantSets.push(null);
      else if (h.tenantMatcherType === 'glob') this.tenantSets.push({ exact: new Set(), globs: h.tenants.map(globToRegExp) });
      else this.tenantSets.push({ exact: new Set(h.tenants), globs: [] });
    }
    this.allNodes.sort((a, b) => compareStrings(a.address, b.address));
  }

  /** The hashring serving `tenant`, or null when none matches. */
  ringFor(tenant: string): Hashring | null {
    const cached = this.cache.get(tenant);
    if (cached) return cached;
    for (let i = 0; i < this.rings.length; i++) {
      const t = this.tenantSets[i]!;
      if (t === null || t.exact.has(tenant) || t.globs.some((g) => g.test(tenant))) {
        if (this.cache.size > 100_000) this.cache.clear();
        this.cache.set(tenant, this.rings[i]!);
        return this.rings[i]!;
      }
    }
    return null;
  }

  getN(tenant: string, series: Labels, n: number): string {
    const ring = this.ringFor(tenant);
    if (!ring) throw new NoMatchingHashringError(tenant);
    return ring.getN(tenant, series, n);
  }

  nodes(): Endpoint[] {
    return this.allNodes;
  }
}
