// Reading downsampled series through the PromQL-facing interfaces the way Thanos' querier does
// (pkg/query/querier.go aggrsFromFunc + pkg/query/iter.go): the function around a selector picks
// the aggregate — min_* → min, max_* → max, count_* → count, sum_* → sum, rate/increase/irate/
// resets → counter (resets applied), anything else → sum/count (average per window).
import { Labels, compareStrings } from '../../labels/labels.ts';
import type { Matcher } from '../../labels/matcher.ts';
import type {
  ChunkMeta,
  LabelHints,
  LabelResult,
  Querier,
  Queryable,
  SampleIterator,
  SelectHints,
  Series,
  SeriesSet,
} from '../../storage/interfaces.ts';
import { AggrType, aggrIterator, averageIterator, counterIterator } from './aggr.ts';

export type AggrSelection = AggrType | 'average';

/** Thanos aggrsFromFunc: which aggregate(s) serve a PromQL function. */
export function aggrForFunc(func: string | undefined): AggrSelection {
  const f = func ?? '';
  if (f === 'min' || f.startsWith('min_')) return AggrType.Min;
  if (f === 'max' || f.startsWith('max_')) return AggrType.Max;
  if (f === 'count' || f.startsWith('count_')) return AggrType.Count;
  if (f.startsWith('sum_')) return AggrType.Sum;
  if (f === 'increase' || f === 'rate' || f === 'irate' || f === 'resets') return AggrType.Counter;
  return 'average';
}

/** The sample iterator a downsampled series presents for a selection. */
export function iteratorForSelection(chunks: readonly ChunkMeta[], sel: AggrSelection): SampleIterator {
  if (sel === 'average') return averageIterator(chunks);
  if (sel === AggrType.Counter) return counterIterator(chunks);
  return aggrIterator(chunks, sel);
}

export interface AggrSeriesData {
  labels: Labels;
  /** Aggregate chunks (encoding 0xFF) in time order. */
  chunks: ChunkMeta[];
}

/** A Queryable over downsampled series held in memory (e.g. read from 5m/1h blocks). */
export class AggrQueryable implements Queryable {
  private readonly series: AggrSeriesData[];
  constructor(series: Iterable<AggrSeriesData>) {
    this.series = [...series].sort((a, b) => Labels.compare(a.labels, b.labels));
  }

  querier(mint: number, maxt: number): Querier {
    const all = this.series;
    const match = (ms: readonly Matcher[], l: Labels): boolean => ms.every((m) => m.matches(l.get(m.name)));
    return {
      select(hints: SelectHints, matchers: readonly Matcher[]): SeriesSet {
        const lo = Math.max(mint, hints.start);
        const hi = Math.min(maxt, hints.end);
        const sel = aggrForFunc(hints.func);
        const items: Series[] = [];
        for (const s of all) {
          if (!match(matchers, s.labels)) continue;
          const chunks = s.chunks.filter((c) => c.maxTime >= lo && c.minTime <= hi);
          if (chunks.length === 0) continue;
          items.push({ labels: s.labels, iterator: () => iteratorForSelection(chunks, sel), chunks: () => chunks });
        }
        return {
          async *[Symbol.asyncIterator]() {
            yield* items;
          },
          warnings: () => [],
        };
      },
      async labelValues(name: string, matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of all) if (match(matchers, s.labels) && s.labels.get(name) !== '') set.add(s.labels.get(name));
        let values = [...set].sort(compareStrings);
        if (hints?.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      async labelNames(matchers: readonly Matcher[], hints?: LabelHints): Promise<LabelResult> {
        const set = new Set<string>();
        for (const s of all) if (match(matchers, s.labels)) for (const n of s.labels.names()) set.add(n);
        let values = [...set].sort(compareStrings);
        if (hints?.limit) values = values.slice(0, hints.limit);
        return { values, warnings: [] };
      },
      close(): void {},
    };
  }
}
