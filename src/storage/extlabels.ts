// Wraps a Queryable whose series lack the source's external labels (a tenant's head, a block) so
// queries see them: matchers on external label names are answered from the external labels (and
// removed before reaching the source), and every returned series carries them — as Thanos does for
// each TSDB it exposes.
import { Labels, LabelsBuilder, compareStrings } from '../labels/labels.ts';
import type { Matcher } from '../labels/matcher.ts';
import type { LabelHints, LabelResult, Querier, Queryable, SampleIterator, SelectHints, Series, SeriesSet } from './interfaces.ts';

export class ExternalLabelsQueryable implements Queryable {
  constructor(
    private readonly inner: Queryable,
    readonly externalLabels: Labels,
  ) {}

  querier(mint: number, maxt: number): Querier {
    return new ExternalLabelsQuerier(this.inner.querier(mint, maxt), this.externalLabels);
  }
}

class ExternalLabelsQuerier implements Querier {
  constructor(
    private readonly inner: Querier,
    private readonly ext: Labels,
  ) {}

  /** Splits matchers; returns null when an external-label matcher excludes this source. */
  private split(matchers: readonly Matcher[]): Matcher[] | null {
    const rest: Matcher[] = [];
    for (const m of matchers) {
      if (this.ext.has(m.name)) {
        if (!m.matches(this.ext.get(m.name))) return null;
      } else rest.push(m);
    }
    return rest;
  }

  select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
    const rest = this.split(matchers);
    const ext = this.ext;
    if (rest === null) return emptySet();
    const inner = this.inner.select(hints, rest);
    return {
      warnings: () => inner.warnings(),
      [Symbol.asyncIterator](): AsyncIterator<Series> {
        // Adding labels can change the order (a series whose labels are a prefix of another's can
        // move behind it), so collect, then sort only when the result is not already in order.
        // A plain iterator over the array instead of an async generator: one microtask less per
        // series (benchmark-driven, bench/profile-query.ts: 60k series through this layer).
        let out: Series[] | null = null;
        let i = 0;
        return {
          async next(): Promise<IteratorResult<Series>> {
            if (out === null) {
              const got: Series[] = [];
              for await (const s of inner) got.push(new RelabeledSeries(s, withExternal(s.labels, ext)));
              let sorted = true;
              for (let k = 1; k < got.length && sorted; k++) sorted = Labels.compare(got[k - 1]!.labels, got[k]!.labels) <= 0;
              if (!sorted) got.sort((a, b) => Labels.compare(a.labels, b.labels));
              out = got;
            }
            return i < out.length ? { value: out[i++]!, done: false } : { value: undefined, done: true };
          },
        };
      },
    };
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const rest = this.split(matchers);
    if (rest === null) return { values: [], warnings: [] };
    if (this.ext.has(name)) {
      // The external label is on every series: present iff any series matches.
      const names = await this.inner.labelNames(rest, { limit: 1 });
      return { values: names.values.length > 0 || rest.length === 0 ? [this.ext.get(name)] : [], warnings: names.warnings };
    }
    return this.inner.labelValues(name, rest, hints);
  }

  async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
    const rest = this.split(matchers);
    if (rest === null) return { values: [], warnings: [] };
    const r = await this.inner.labelNames(rest, hints);
    if (r.values.length === 0) return r;
    const set = new Set([...r.values, ...this.ext.names()]);
    return { values: [...set].sort(compareStrings), warnings: r.warnings };
  }

  close(): void {
    this.inner.close();
  }
}

function withExternal(l: Labels, ext: Labels): Labels {
  const f = l.flat;
  const e = ext.flat;
  // Fast path: every external label name sorts after the series' last name (tenant_id, replica
  // after instance/job/le): append instead of merging.
  if (e.length === 0) return l;
  if (f.length === 0) return ext;
  if (compareStrings(e[0]!, f[f.length - 2]!) > 0) return Labels.fromSortedFlat(f.concat(e));
  const b = new LabelsBuilder(l);
  for (let i = 0; i < ext.length; i++) b.set(ext.name(i), ext.value(i));
  return b.labels();
}

class RelabeledSeries implements Series {
  constructor(
    private readonly inner: Series,
    readonly labels: Labels,
  ) {
    if (inner.chunks) this.chunks = () => inner.chunks!();
  }
  chunks?: Series['chunks'];
  iterator(reuse?: SampleIterator): SampleIterator {
    return this.inner.iterator(reuse);
  }
}

export function emptySet(): SeriesSet {
  return {
    warnings: () => [],
    async *[Symbol.asyncIterator]() {},
  };
}
