// In-memory postings index: label name → value → sorted list of series refs, plus all refs.
// Matchers are resolved as Prometheus' PostingsForMatchers does: matchers that do not match the
// empty string intersect the union of postings of the values they match; matchers that match the
// empty string (so also series without the label) subtract the union of postings of the values
// they do not match. With no intersecting matcher, the start set is all postings.
//
// Memory: a value with a single series stores the bare ref (number) instead of an array, which
// matters for per-series-unique labels (instance, pod, id…).
import type { Labels } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';

type PostingList = number | number[];

function lowerBound(a: readonly number[], x: number, lo = 0): number {
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts ref into a sorted array (no duplicates). */
function insertSorted(a: number[], ref: number): void {
  const n = a.length;
  if (n === 0 || a[n - 1]! < ref) {
    a.push(ref);
    return;
  }
  const i = lowerBound(a, ref);
  if (a[i] !== ref) a.splice(i, 0, ref);
}

/** Intersection of two sorted lists. */
export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  if (a.length > b.length) [a, b] = [b, a];
  // Galloping when sizes differ a lot.
  if (a.length * 16 < b.length) {
    let j = 0;
    for (const x of a) {
      j = lowerBound(b, x, j);
      if (j >= b.length) break;
      if (b[j] === x) out.push(x);
    }
    return out;
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

/** a minus b, both sorted. */
export function subtract(a: readonly number[], b: readonly number[]): number[] {
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out.push(x);
  }
  return out;
}

/** Sorted, de-duplicated union of sorted lists. */
export function union(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!.slice();
  if (lists.length === 2) {
    const [a, b] = lists as [readonly number[], readonly number[]];
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
      else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
      else {
        out.push(a[i++]!);
        j++;
      }
    }
    return out;
  }
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Float64Array(total);
  let o = 0;
  for (const l of lists) for (const x of l) all[o++] = x;
  all.sort();
  const out: number[] = [];
  for (let i = 0; i < total; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]!);
  return out;
}

export class MemPostings {
  private readonly m = new Map<string, Map<string, PostingList>>();
  /** All refs, sorted. */
  private all: number[] = [];

  add(ref: number, labels: Labels): void {
    const f = labels.flat;
    for (let i = 0; i < f.length; i += 2) {
      const name = f[i]!;
      let vm = this.m.get(name);
      if (!vm) {
        vm = new Map();
        this.m.set(name, vm);
      }
      const value = f[i + 1]!;
      const cur = vm.get(value);
      if (cur === undefined) vm.set(value, ref);
      else if (typeof cur === 'number') {
        if (cur !== ref) vm.set(value, cur < ref ? [cur, ref] : [ref, cur]);
      } else insertSorted(cur, ref);
    }
    insertSorted(this.all, ref);
  }

  /** Removes a batch of series (refs with their labels). */
  delete(removed: ReadonlyMap<number, Labels>): void {
    if (removed.size === 0) return;
    const affected = new Map<string, Set<string>>();
    for (const l of removed.values()) {
      const f = l.flat;
      for (let i = 0; i < f.length; i += 2) {
        let s = affected.get(f[i]!);
        if (!s) {
          s = new Set();
          affected.set(f[i]!, s);
        }
        s.add(f[i + 1]!);
      }
    }
    for (const [name, values] of affected) {
      const vm = this.m.get(name);
      if (!vm) continue;
      for (const value of values) {
        const cur = vm.get(value);
        if (cur === undefined) continue;
        if (typeof cur === 'number') {
          if (removed.has(cur)) vm.delete(value);
          continue;
        }
        const kept = cur.filter((r) => !removed.has(r));
        if (kept.length === 0) vm.delete(value);
        else if (kept.length === 1) vm.set(value, kept[0]!);
        else vm.set(value, kept);
      }
      if (vm.size === 0) this.m.delete(name);
    }
    this.all = this.all.filter((r) => !removed.has(r));
  }

  allPostings(): readonly number[] {
    return this.all;
  }

  get(name: string, value: string): readonly number[] {
    const cur = this.m.get(name)?.get(value);
    if (cur === undefined) return [];
    return typeof cur === 'number' ? [cur] : cur;
  }

  labelNames(): string[] {
    return [...this.m.keys()];
  }

  labelValues(name: string): string[] {
    const vm = this.m.get(name);
    return vm ? [...vm.keys()] : [];
  }

  /** Union of the postings of the values of `name` accepted by `pred`. */
  private unionWhere(name: string, pred: (v: string) => boolean): number[] {
    const vm = this.m.get(name);
    if (!vm) return [];
    const lists: (readonly number[])[] = [];
    const singles: number[] = [];
    for (const [v, p] of vm) {
      if (!pred(v)) continue;
      if (typeof p === 'number') singles.push(p);
      else lists.push(p);
    }
    if (singles.length) {
      singles.sort((a, b) => a - b);
      lists.push(singles);
    }
    return union(lists);
  }

  /** Postings of series whose value of m.name is one of `values` (a set matcher). */
  private unionValues(name: string, values: readonly string[]): number[] {
    const vm = this.m.get(name);
    if (!vm) return [];
    const lists: (readonly number[])[] = [];
    for (const v of values) {
      const p = vm.get(v);
      if (p === undefined) continue;
      lists.push(typeof p === 'number' ? [p] : p);
    }
    return union(lists);
  }

  /** Sorted refs of series matching all matchers. */
  postingsForMatchers(matchers: readonly Matcher[]): number[] {
    const its: number[][] = [];
    const notIts: number[][] = [];
    for (const m of matchers) {
      if (m.matchesEmpty()) {
        // Series without the label match too: subtract those whose value does not match.
        if (m.type === '=~' && m.value === '.*') continue; // matches every value
        const nots = this.unionWhere(m.name, (v) => !m.matches(v));
        if (nots.length) notIts.push(nots);
      } else {
        let p: number[];
        if (m.type === '=') p = this.unionValues(m.name, [m.value]);
        else {
          const set = m.setMatches();
          p = set ? this.unionValues(m.name, set) : this.unionWhere(m.name, (v) => m.matches(v));
        }
        if (p.length === 0) return [];
        its.push(p);
      }
    }
    let res: number[];
    if (its.length === 0) res = this.all.slice();
    else {
      its.sort((a, b) => a.length - b.length);
      res = its[0]!;
      for (let i = 1; i < its.length && res.length; i++) res = intersect(res, its[i]!);
    }
    if (notIts.length && res.length) res = subtract(res, union(notIts));
    return res;
  }
}
