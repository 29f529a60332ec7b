import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './memory.ts';
import { Labels } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { STALE_NAN, isStaleNaN } from '../tsdb/stale.ts';
import { ValueType, type SeriesSet } from './interfaces.ts';

const L = (o: Record<string, string>): Labels => Labels.fromObject(o);

async function collect(set: SeriesSet): Promise<{ labels: string; ts: number[]; vs: number[] }[]> {
  const out = [];
  for await (const s of set) {
    const it = s.iterator();
    const ts: number[] = [];
    const vs: number[] = [];
    while (it.next() === ValueType.Float) {
      ts.push(it.t);
      vs.push(it.v);
    }
    out.push({ labels: s.labels.toString(), ts, vs });
  }
  return out;
}

test('select honours matchers, absent label = "", time range, and sorts by labels', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'up', job: 'b' }), 10, 1);
  st.add(L({ __name__: 'up', job: 'a' }), 10, 2);
  st.add(L({ __name__: 'up' }), 20, 3);
  st.add(L({ __name__: 'other', job: 'a' }), 10, 4);
  const q = st.querier(0, 100);
  let r = await collect(q.select({ start: 0, end: 100 }, [Matcher.eq('__name__', 'up')]));
  assert.deepEqual(r.map((x) => x.labels), ['up', 'up{job="a"}', 'up{job="b"}']);
  r = await collect(q.select({ start: 0, end: 100 }, [Matcher.eq('__name__', 'up'), new Matcher('=', 'job', '')]));
  assert.deepEqual(r.map((x) => x.labels), ['up']);
  r = await collect(q.select({ start: 0, end: 100 }, [new Matcher('=~', 'job', 'a|b')]));
  assert.deepEqual(r.map((x) => x.labels), ['other{job="a"}', 'up{job="a"}', 'up{job="b"}']);
  // Time range is inclusive on both ends; series without samples in range are not returned.
  r = await collect(q.select({ start: 15, end: 20 }, [Matcher.eq('__name__', 'up')]));
  assert.deepEqual(r, [{ labels: 'up', ts: [20], vs: [3] }]);
  r = await collect(q.select({ start: 11, end: 19 }, [Matcher.eq('__name__', 'up')]));
  assert.deepEqual(r, []);
});

test('out-of-order adds are sorted, equal timestamps overwrite, arrays grow', async () => {
  const st = new MemoryStorage();
  const l = L({ __name__: 'x' });
  for (let i = 100; i >= 0; i--) st.add(l, i * 10, i);
  st.add(l, 500, -1);
  const [s] = await collect(st.querier(0, 2000).select({ start: 0, end: 2000 }, []));
  assert.equal(s!.ts.length, 101);
  for (let i = 0; i <= 100; i++) {
    assert.equal(s!.ts[i], i * 10);
    assert.equal(s!.vs[i], i === 50 ? -1 : i);
  }
});

test('stale markers keep their payload through growth and insertion', async () => {
  const st = new MemoryStorage();
  const l = L({ __name__: 'x' });
  st.add(l, 100, STALE_NAN);
  for (let i = 0; i < 50; i++) st.add(l, 200 + i, NaN);
  st.add(l, 50, 1); // insertion before the stale marker shifts it
  const it = (await (async () => {
    for await (const s of st.querier(0, 1000).select({ start: 0, end: 1000 }, [])) return s;
    throw new Error('no series');
  })()).iterator();
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.v, 1);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.t, 100);
  assert.ok(isStaleNaN(it.v));
  assert.equal(it.next(), ValueType.Float);
  assert.ok(Number.isNaN(it.v) && !isStaleNaN(it.v));
});

test('iterator seek', async () => {
  const st = new MemoryStorage();
  const l = L({ __name__: 'x' });
  for (let i = 0; i < 10; i++) st.add(l, i * 10, i);
  let series;
  for await (const s of st.querier(0, 1000).select({ start: 15, end: 75 }, [])) series = s;
  const it = series!.iterator();
  assert.equal(it.seek(0), ValueType.Float);
  assert.equal(it.t, 20);
  assert.equal(it.seek(41), ValueType.Float);
  assert.equal(it.t, 50);
  assert.equal(it.seek(30), ValueType.Float); // no backwards seek
  assert.equal(it.t, 50);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.t, 60);
  assert.equal(it.seek(71), ValueType.None);
  assert.equal(it.next(), ValueType.None);
});

test('labelNames / labelValues with matchers, range and limit; clear', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'a', job: 'j1', inst: 'i1' }), 10, 1);
  st.add(L({ __name__: 'a', job: 'j2' }), 10, 1);
  st.add(L({ __name__: 'b', zone: 'z' }), 500, 1);
  const q = st.querier(0, 100);
  assert.deepEqual((await q.labelNames([])).values, ['__name__', 'inst', 'job']);
  assert.deepEqual((await q.labelValues('job', [])).values, ['j1', 'j2']);
  assert.deepEqual((await q.labelValues('job', [Matcher.eq('inst', 'i1')])).values, ['j1']);
  assert.deepEqual((await q.labelValues('job', [], { limit: 1 })).values, ['j1']);
  assert.deepEqual((await st.querier(0, 1000).labelValues('__name__', [])).values, ['a', 'b']);
  st.clear();
  assert.deepEqual((await st.querier(0, 1000).labelNames([])).values, []);
});
