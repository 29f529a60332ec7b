// Labels: an immutable, sorted set of name/value pairs, as in Prometheus `labels.Labels`.
//
// Stored as one flat array [n0, v0, n1, v1, …] sorted by name in UTF-8 byte order.
// Empty values mean "absent": constructors drop them.
import xxhashInit from 'xxhash-wasm';

const xx = await xxhashInit();
const utf8 = new TextEncoder();

export const METRIC_NAME = '__name__';

/**
 * Compares two strings by their UTF-8 byte sequences (the order Prometheus and the TSDB index use).
 * JavaScript's `<` compares UTF-16 code units, which misorders characters above U+FFFF
 * relative to U+E000…U+FFFF; this maps code units so the order equals UTF-8 byte order.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 && cb >= 0xd800) {
      // Surrogates (0xD800–0xDFFF) encode code points ≥ 0x10000, which sort after 0xE000–0xFFFF.
      ca = ca < 0xe000 ? ca + 0x2000 : ca - 0x800;
      cb = cb < 0xe000 ? cb + 0x2000 : cb - 0x800;
    }
    return ca < cb ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** True when the string is well-formed UTF-16, i.e. encodes to valid UTF-8 (no lone surrogates). */
export function isValidUTF8String(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

export interface Label {
  readonly name: string;
  readonly value: string;
}

const SEP = '\xff';

export class Labels {
  /** Flat [name, value, …] pairs, sorted by name (UTF-8 byte order), no empty values. Never mutate. */
  readonly flat: readonly string[];
  private _key: string | undefined;

  private constructor(flat: readonly string[]) {
    this.flat = flat;
  }

  static readonly EMPTY = new Labels([]);

  /** Trusts the caller: `flat` must already be sorted, duplicate-free and without empty values. */
  static fromSortedFlat(flat: readonly string[]): Labels {
    return flat.length === 0 ? Labels.EMPTY : new Labels(flat);
  }

  /** Builds from pairs in any order; drops empty values; a later duplicate name wins. */
  static fromPairs(pairs: Iterable<readonly [string, string]> | Iterable<Label>): Labels {
    const m = new Map<string, string>();
    for (const p of pairs as Iterable<unknown>) {
      if (Array.isArray(p)) m.set(p[0] as string, p[1] as string);
      else {
        const l = p as Label;
        m.set(l.name, l.value);
      }
    }
    return Labels.fromMap(m);
  }

  static fromObject(obj: Readonly<Record<string, string>>): Labels {
    return Labels.fromMap(new Map(Object.entries(obj)));
  }

  static fromMap(m: ReadonlyMap<string, string>): Labels {
    const names = [...m.keys()].filter((n) => m.get(n) !== '').sort(compareStrings);
    const flat: string[] = new Array(names.length * 2);
    for (let i = 0; i < names.length; i++) {
      flat[2 * i] = names[i]!;
      flat[2 * i + 1] = m.get(names[i]!)!;
    }
    return Labels.fromSortedFlat(flat);
  }

  /** Number of labels. */
  get length(): number {
    return this.flat.length >>> 1;
  }

  isEmpty(): boolean {
    return this.flat.length === 0;
  }

  /** Value of `name`, or '' when absent (Prometheus semantics). */
  get(name: string): string {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return f[i + 1]!;
    return '';
  }

  has(name: string): boolean {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return true;
    return false;
  }

  name(i: number): string {
    return this.flat[2 * i]!;
  }

  value(i: number): string {
    return this.flat[2 * i + 1]!;
  }

  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.flat.length; i += 2) out.push(this.flat[i]!);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<Label> {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) yield { name: f[i]!, value: f[i + 1]! };
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (let i = 0; i < this.flat.length; i += 2) o[this.flat[i]!] = this.flat[i + 1]!;
    return o;
  }

  /** Canonical string key (name 0xFF value 0xFF …), unique per label set: use for Map keys. */
  get key(): string {
    if (this._key === undefined) this._key = this.flat.length === 0 ? '' : this.flat.join(SEP) + SEP;
    return this._key;
  }

  /**
   * xxhash64 over name 0xFF value 0xFF … in UTF-8, exactly as Prometheus `labels.Hash`
   * (and Thanos' hashring with a tenant prefix, see `hashWithPrefix`).
   */
  hash(): bigint {
    return xx.h64Raw(this.bytesForHash(null), 0n);
  }

  /** xxhash64(prefix 0xFF n1 0xFF v1 0xFF …): Thanos receive hashring placement (`prefix` = tenant). */
  hashWithPrefix(prefix: string): bigint {
    return xx.h64Raw(this.bytesForHash(prefix), 0n);
  }

  private bytesForHash(prefix: string | null): Uint8Array {
    // 0xFF is not valid UTF-8, so encode pieces and join with the raw 0xFF byte.
    const parts: Uint8Array[] = [];
    let len = 0;
    if (prefix !== null) {
      const p = utf8.encode(prefix);
      parts.push(p, SEP_BYTE);
      len += p.length + 1;
    }
    for (const s of this.flat) {
      const b = utf8.encode(s);
      parts.push(b, SEP_BYTE);
      len += b.length + 1;
    }
    const out = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  equals(other: Labels): boolean {
    if (this === other) return true;
    const a = this.flat;
    const b = other.flat;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Prometheus `labels.Compare`: label by label, name then value, UTF-8 byte order; a prefix sorts first. */
  static compare(a: Labels, b: Labels): number {
    const fa = a.flat;
    const fb = b.flat;
    const n = Math.min(fa.length, fb.length);
    for (let i = 0; i < n; i++) {
      const c = compareStrings(fa[i]!, fb[i]!);
      if (c !== 0) return c;
    }
    return fa.length - fb.length;
  }

  /** Returns a copy with `name` set to `value` (removed when value is ''). */
  with(name: string, value: string): Labels {
    const b = new LabelsBuilder(this);
    b.set(name, value);
    return b.labels();
  }

  without(...names: string[]): Labels {
    const f = this.flat;
    const out: string[] = [];
    for (let i = 0; i < f.length; i += 2) if (!names.includes(f[i]!)) out.push(f[i]!, f[i + 1]!);
    return out.length === f.length ? this : Labels.fromSortedFlat(out);
  }

  /** Keeps only the given names. */
  keep(names: readonly string[]): Labels {
    const f = this.flat;
    const out: string[] = [];
    for (let i = 0; i < f.length; i += 2) if (names.includes(f[i]!)) out.push(f[i]!, f[i + 1]!);
    return out.length === f.length ? this : Labels.fromSortedFlat(out);
  }

  /** Prometheus text form: {a="b", c="d"} (metric name printed in front when present). */
  toString(): string {
    const f = this.flat;
    let name = '';
    const parts: string[] = [];
    for (let i = 0; i < f.length; i += 2) {
      if (f[i] === METRIC_NAME && isLegacyMetricName(f[i + 1]!)) name = f[i + 1]!;
      else parts.push(`${isLegacyLabelName(f[i]!) ? f[i] : JSON.stringify(f[i])}=${JSON.stringify(f[i + 1])}`);
    }
    if (name && parts.length === 0) return name;
    return `${name}{${parts.join(', ')}}`;
  }
}

const SEP_BYTE = new Uint8Array([0xff]);

/**
 * Mutable helper to derive label sets. Changes are recorded against the (sorted) base and merged
 * in labels(): benchmark-driven (bench/profile-query.ts), since every series a tenant's querier
 * returns gets its external labels through a builder, and copying the base into a Map and
 * re-sorting it (the previous implementation) showed up in the query profile.
 */
export class LabelsBuilder {
  private readonly base: Labels;
  /** name → new value ('' = delete), or null when unchanged. */
  private mods: Map<string, string> | null = null;
  constructor(base: Labels = Labels.EMPTY) {
    this.base = base;
  }
  set(name: string, value: string): this {
    (this.mods ??= new Map()).set(name, value);
    return this;
  }
  del(...names: string[]): this {
    for (const n of names) (this.mods ??= new Map()).set(n, '');
    return this;
  }
  get(name: string): string {
    const m = this.mods?.get(name);
    return m !== undefined ? m : this.base.get(name);
  }
  labels(): Labels {
    const mods = this.mods;
    const f = this.base.flat;
    let empties = false;
    for (let i = 1; i < f.length; i += 2) if (f[i] === '') empties = true;
    if (mods === null && !empties) return this.base;
    if (mods !== null && mods.size === 1 && !empties) {
      // One change (Labels.with, a source's external label): copy around its position.
      const [n, v] = mods.entries().next().value as [string, string];
      let i = 0;
      while (i < f.length && compareStrings(f[i]!, n) < 0) i += 2;
      const exists = i < f.length && f[i] === n;
      if (v === '' && !exists) return this.base;
      const len = f.length + (exists ? 0 : 2) - (v === '' ? 2 : 0);
      const out: string[] = new Array(len);
      let o = 0;
      for (let k = 0; k < i; k++) out[o++] = f[k]!;
      if (v !== '') {
        out[o++] = n;
        out[o++] = v;
      }
      for (let k = exists ? i + 2 : i; k < f.length; k++) out[o++] = f[k]!;
      return Labels.fromSortedFlat(out);
    }
    const adds: string[] = [];
    if (mods !== null) for (const [n, v] of mods) if (v !== '') adds.push(n);
    if (adds.length > 1) adds.sort(compareStrings);
    const out: string[] = [];
    let j = 0;
    for (let i = 0; i < f.length; i += 2) {
      const n = f[i]!;
      while (j < adds.length && compareStrings(adds[j]!, n) < 0) {
        out.push(adds[j]!, mods!.get(adds[j]!)!);
        j++;
      }
      if (mods !== null && mods.has(n)) continue; // replaced (pushed from adds in order) or deleted
      if (f[i + 1] !== '') out.push(n, f[i + 1]!);
    }
    for (; j < adds.length; j++) out.push(adds[j]!, mods!.get(adds[j]!)!);
    return Labels.fromSortedFlat(out);
  }
}

const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export function isLegacyMetricName(s: string): boolean {
  return LEGACY_METRIC.test(s);
}
export function isLegacyLabelName(s: string): boolean {
  return LEGACY_LABEL.test(s);
}

/**
 * Validates a label set as it arrives on the wire (remote write), per Prometheus 3 / Thanos rules:
 * non-empty set, names non-empty, valid UTF-8, sorted strictly ascending (so no duplicates),
 * values non-empty and valid UTF-8. Returns null when valid, else a message naming the rule.
 * `flat` is [n0, v0, …] in wire order.
 */
export function validateWireLabels(flat: readonly string[]): string | null {
  if (flat.length === 0) return 'empty label set';
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (name === '') return 'label name is empty';
    if (!isValidUTF8String(name)) return `label name ${JSON.stringify(name)} is not valid UTF-8`;
    if (value === '') return `label ${JSON.stringify(name)} has an empty value`;
    if (!isValidUTF8String(value)) return `label ${JSON.stringify(name)} value is not valid UTF-8`;
    if (i > 0) {
      const c = compareStrings(flat[i - 2]!, name);
      if (c === 0) return `duplicate label name ${JSON.stringify(name)}`;
      if (c > 0) return `labels are not sorted: ${JSON.stringify(flat[i - 2])} before ${JSON.stringify(name)}`;
    }
  }
  return null;
}
