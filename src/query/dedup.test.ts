// Expected outputs are traced by hand through Thanos' dedupSeriesIterator (pkg/dedup/iter.go):
// next() seeks both replicas to lastT+1+penalty, takes the smaller timestamp (ties: replica a), gives
// the other replica a penalty of 2*(t-lastT) (5000 before the first sample), the taken one 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { ValueType, type SampleIterator, type Series } from '../storage/interfaces.ts';
import {
  CounterAdjustIterator,
  DedupSeries,
  DedupSeriesIterator,
  INITIAL_PENALTY,
  NoopAdjustIterator,
  dedupSeriesSet,
  isCounterFunc,
} from './dedup.ts';

/** An iterator over fixed samples with Prometheus seek semantics. */
class ArrayIterator implements SampleIterator {
  t = 0;
  v = 0;
  private i = -1;
  constructor(private readonly s: readonly [number, number][]) {}
  private at(): ValueType {
    if (this.i >= this.s.length) return ValueType.None;
    this.t = this.s[this.i]![0];
    this.v = this.s[this.i]![1];
    return ValueType.Float;
  }
  next(): ValueType {
    if (this.i < this.s.length) this.i++;
    return this.at();
  }
  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    while (this.i < this.s.length && this.s[this.i]![0] < t) this.i++;
    return this.at();
  }
  err(): Error | null {
    return null;
  }
}

function series(l: Record<string, string>, s: [number, number][]): Series {
  return { labels: Labels.fromObject(l), iterator: () => new ArrayIterator(s) };
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next() !== ValueType.None) out.push([it.t, it.v]);
  assert.equal(it.err(), null);
  return out;
}

// Replica a scrapes every 10s at ...1000 and has a gap from 31000 to 71000; b scrapes at ...6000.
const A: [number, number][] = [1000, 11000, 21000, 31000, 71000, 81000].map((t) => [t, 1]);
const B: [number, number][] = [6000, 16000, 26000, 36000, 46000, 56000, 66000, 76000, 86000].map((t) => [t, 2]);

test('penalty: follows replica a, switches at its gap, skips b samples within the penalty', () => {
  assert.equal(INITIAL_PENALTY, 5000);
  const it = new DedupSeriesIterator(new NoopAdjustIterator(new ArrayIterator(A)), new NoopAdjustIterator(new ArrayIterator(B)));
  // 1: a@1000 (penB=5000) 2: b seeks 6001 → 16000, a@11000 (penB=20000) 3: a@21000, b→36000
  // 4: a@31000, b seeks 41001 → 46000 5: a seeks 31001 → 71000 > b seeks 51001 → 56000: b@56000, penA=50000
  // 6: a seeks 106001 → none; b@66000 7: b@76000 8: b@86000 (b@46000 was skipped by the penalty, as in Thanos).
  assert.deepEqual(drain(it), [
    [1000, 1],
    [11000, 1],
    [21000, 1],
    [31000, 1],
    [56000, 2],
    [66000, 2],
    [76000, 2],
    [86000, 2],
  ]);
});

test('penalty: the replica order decides ties and the first pick', () => {
  // Same timestamps in both replicas: a always wins (ta <= tb) and b is pushed back each time.
  const a: [number, number][] = [[0, 1], [15000, 1], [30000, 1]];
  const b: [number, number][] = [[0, 2], [15000, 2], [30000, 2], [45000, 2]];
  const it = new DedupSeriesIterator(new NoopAdjustIterator(new ArrayIterator(a)), new NoopAdjustIterator(new ArrayIterator(b)));
  // 1: a@0 (penB=5000) 2: a@15000, b seeks 5001 → 15000: tie → a (penB=30000)
  // 3: a@30000; b seeks 15001+30000=45001 → none (45000 < 45001), so b's last sample is never used.
  assert.deepEqual(drain(it), [
    [0, 1],
    [15000, 1],
    [30000, 1],
  ]);
});

test('chain: plain union by timestamp', () => {
  const s = new DedupSeries(Labels.fromObject({ a: '1' }), [series({ a: '1', r: 'a' }, A), series({ a: '1', r: 'b' }, B)], 'chain', undefined);
  assert.deepEqual(
    drain(s.iterator()).map(([t]) => t),
    [1000, 6000, 11000, 16000, 21000, 26000, 31000, 36000, 46000, 56000, 66000, 71000, 76000, 81000, 86000],
  );
  // Equal timestamps: the first replica's value is kept.
  const c = new DedupSeries(Labels.EMPTY, [series({ r: 'a' }, [[1, 10], [2, 20]]), series({ r: 'b' }, [[2, 99], [3, 30]])], 'chain', undefined);
  assert.deepEqual(drain(c.iterator()), [
    [1, 10],
    [2, 20],
    [3, 30],
  ]);
});

test('seek steps with next() and does not miss gaps', () => {
  const it = new DedupSeriesIterator(new NoopAdjustIterator(new ArrayIterator(A)), new NoopAdjustIterator(new ArrayIterator(B)));
  // atT=1000 < 15000 → next (a@1000) → next (a@11000) → next (a@21000) → 21000 >= 15000.
  assert.equal(it.seek(15000), ValueType.Float);
  assert.equal(it.t, 21000);
  assert.equal(it.seek(20000), ValueType.Float); // already there
  assert.equal(it.t, 21000);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.t, 31000);
  // Seeking into a's gap walks with next(): a@31000 → b@56000 (not b@46000, which the penalty skips).
  assert.equal(it.seek(40000), ValueType.Float);
  assert.equal(it.t, 56000);
  assert.equal(it.seek(90000), ValueType.None);
});

test('seek before next: Thanos positions without recording the sample; DedupSeries drops the repeat', () => {
  const raw = new DedupSeriesIterator(new NoopAdjustIterator(new ArrayIterator(A)), new NoopAdjustIterator(new ArrayIterator(B)));
  // atT = a's first sample 1000 >= 0: returns a.seek(1000) without updating lastT, so next()
  // (lastT still MinInt64) returns a@1000 again.
  assert.equal(raw.seek(0), ValueType.Float);
  assert.equal(raw.t, 1000);
  assert.equal(raw.next(), ValueType.Float);
  assert.equal(raw.t, 1000);
  const s = new DedupSeries(Labels.EMPTY, [series({ r: 'a' }, A), series({ r: 'b' }, B)], 'penalty', undefined);
  const it = s.iterator();
  assert.equal(it.seek(0), ValueType.Float);
  assert.equal(it.t, 1000);
  const rest: number[] = [];
  while (it.next() !== ValueType.None) rest.push(it.t);
  assert.deepEqual(rest, [11000, 21000, 31000, 56000, 66000, 76000, 86000]);
  // Exhausted stays exhausted.
  assert.equal(it.seek(0), ValueType.None);
  assert.equal(it.next(), ValueType.None);
});

test('counter functions: switching to a replica with a lower value adds the difference', () => {
  assert.ok(isCounterFunc('rate') && isCounterFunc('increase') && isCounterFunc('irate') && isCounterFunc('resets'));
  assert.ok(!isCounterFunc('sum') && !isCounterFunc(undefined));
  const a: [number, number][] = [[1000, 100], [11000, 110], [21000, 120]];
  const b: [number, number][] = [[6000, 5], [16000, 15], [26000, 25], [36000, 35], [46000, 45], [56000, 55]];
  // a@1000,11000,21000; then a is exhausted and b seeks 21001+20000 → 46000. The switch happens
  // with last value 120 > 45, so b's error adjustment becomes 75 for the rest of the series.
  const counter = new DedupSeriesIterator(new CounterAdjustIterator(new ArrayIterator(a)), new CounterAdjustIterator(new ArrayIterator(b)));
  assert.deepEqual(drain(counter), [
    [1000, 100],
    [11000, 110],
    [21000, 120],
    [46000, 120],
    [56000, 130],
  ]);
  const gauge = new DedupSeries(Labels.EMPTY, [series({ r: 'a' }, a), series({ r: 'b' }, b)], 'penalty', 'max_over_time');
  assert.deepEqual(drain(gauge.iterator()).slice(3), [
    [46000, 45],
    [56000, 55],
  ]);
  const viaSeries = new DedupSeries(Labels.EMPTY, [series({ r: 'a' }, a), series({ r: 'b' }, b)], 'penalty', 'rate');
  assert.deepEqual(drain(viaSeries.iterator()).slice(3), [
    [46000, 120],
    [56000, 130],
  ]);
});

test('three replicas chain pairwise: ((a,b),c)', () => {
  // a stops at 20000; b stops at 40000; c continues. Each step is the two-way algorithm.
  const a: [number, number][] = [[0, 1], [10000, 1], [20000, 1]];
  const b: [number, number][] = [[5000, 2], [15000, 2], [25000, 2], [35000, 2]];
  const c: [number, number][] = [[8000, 3], [48000, 3], [58000, 3]];
  const s = new DedupSeries(Labels.EMPTY, [series({ r: 'a' }, a), series({ r: 'b' }, b), series({ r: 'c' }, c)], 'penalty', undefined);
  // The outer iterator seeks the inner one, whose seek steps with its own next().
  // outer 1: inner@0 (a) <= c@8000 → 0, penC=5000.
  // outer 2: inner.seek(1): inner.next → a@10000 (b seeks 5001 → 15000; penB=20000). c.seek(5001) → 8000.
  //   c wins (8000 < 10000): penInner = 2*(8000-0) = 16000.
  // outer 3: inner.seek(24001): inner.next → a@20000 (b seeks 30001 → 35000; penB=20000);
  //   inner.next → a exhausted, b seeks 40001 → none: the inner iterator ends (b@35000 is lost to the
  //   penalty). c.seek(8001) → 48000, emitted; then c@58000.
  assert.deepEqual(drain(s.iterator()), [
    [0, 1],
    [8000, 3],
    [48000, 3],
    [58000, 3],
  ]);
});

test('dedupSeriesSet strips replica labels, groups, and re-sorts', async () => {
  const m = new MemoryStorage();
  const add = (o: Record<string, string>, t: number, v: number) => m.add(Labels.fromObject(o), t, v);
  add({ __name__: 'up', job: 'x', replica: 'b' }, 1000, 2);
  add({ __name__: 'up', job: 'x', replica: 'a' }, 1000, 1);
  add({ __name__: 'up', job: 'y', replica: 'a', rule_replica: 'r1' }, 1000, 3);
  add({ __name__: 'up', job: 'z' }, 1000, 4);
  // Sorted input has {replica="a", x="2"} before {x="1"}; without the replica label the order flips.
  add({ __name__: 'm', replica: 'a', x: '2' }, 1000, 5);
  add({ __name__: 'm', x: '1' }, 1000, 6);
  const set = m.querier(0, 10_000).select({ start: 0, end: 10_000 }, [new Matcher('=~', '__name__', 'up|m')]);
  const out: [string, number, number][] = [];
  for await (const s of dedupSeriesSet(set, { replicaLabels: ['replica', 'rule_replica'] })) {
    const it = s.iterator();
    let n = 0;
    let first = NaN;
    while (it.next() !== ValueType.None) {
      if (n === 0) first = it.v;
      n++;
    }
    out.push([s.labels.toString(), n, first]);
  }
  assert.deepEqual(out, [
    ['m{x="1"}', 1, 6],
    ['m{x="2"}', 1, 5],
    ['up{job="x"}', 1, 1], // replica "a" is replica 0 and wins the tie
    ['up{job="y"}', 1, 3],
    ['up{job="z"}', 1, 4],
  ]);
});

test("Thanos' published dedupSeriesIterator cases (pkg/dedup/iter_test.go)", () => {
  const S = (ts: number[], v: number): [number, number][] => ts.map((t) => [t, v]);
  const cases: { a: [number, number][]; b: [number, number][]; exp: [number, number][] }[] = [
    // Prefer the first replica.
    { a: [[10000, 10], [20000, 11], [30000, 12], [40000, 13]], b: [[10000, 20], [20000, 21], [30000, 22], [40000, 23]], exp: [[10000, 10], [20000, 11], [30000, 12], [40000, 13]] },
    // Prefer b when it starts earlier.
    { a: S([10100, 20100, 30100, 40100], 1), b: S([10000, 20000, 30000, 40000], 2), exp: S([10000, 20000, 30000, 40000], 2) },
    // No switch on a gap of a single interval.
    { a: S([10000, 20000, 40000], 1), b: S([10000, 20000, 30000, 40000], 2), exp: S([10000, 20000, 40000], 1) },
    { a: S([10000, 20000, 40000], 1), b: S([15000, 25000, 35000, 45000], 2), exp: S([10000, 20000, 40000], 1) },
    // A gap larger than two intervals switches, and the new replica is kept.
    { a: S([10000, 20000, 30000, 60000, 70000], 1), b: S([10100, 20100, 30100, 40100, 50100, 60100], 2), exp: [...S([10000, 20000, 30000], 1), ...S([50100, 60100], 2)] },
  ];
  for (const c of cases) {
    const it = new DedupSeriesIterator(new NoopAdjustIterator(new ArrayIterator(c.a)), new NoopAdjustIterator(new ArrayIterator(c.b)));
    assert.deepEqual(drain(it), c.exp);
  }
});
