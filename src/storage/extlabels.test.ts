// ExternalLabelsQueryable: every series carries the external labels (overriding a series' own value),
// the result stays sorted by Labels.compare, and external-label matchers are answered locally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels, LabelsBuilder } from '../labels/labels.ts';
import { Matcher } from '../labels/matcher.ts';
import { MemoryStorage } from './memory.ts';
import { ExternalLabelsQueryable } from './extlabels.ts';

const name = fc.constantFrom('a', 'b', 'job', 'replica', 'tenant_id', 'z', '__name__');
const value = fc.constantFrom('1', '2', 'x');
const labelSet = fc.uniqueArray(fc.tuple(name, value), { selector: (p) => p[0], minLength: 1, maxLength: 5 });

async function selectAll(q: ExternalLabelsQueryable, matchers: Matcher[]): Promise<Labels[]> {
  const out: Labels[] = [];
  for await (const s of q.querier(0, 100).select({ start: 0, end: 100 }, matchers)) out.push(s.labels);
  return out;
}

test('external labels are added to every series and the result is sorted', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(labelSet, { maxLength: 30, selector: (ls) => JSON.stringify([...ls].sort()) }), labelSet, async (sets, extPairs) => {
      const mem = new MemoryStorage();
      for (const p of sets) mem.add(Labels.fromPairs(p), 10, 1);
      const ext = Labels.fromPairs(extPairs);
      const q = new ExternalLabelsQueryable(mem, ext);
      const got = await selectAll(q, []);
      const want = sets
        .map((p) => {
          const b = new LabelsBuilder(Labels.fromPairs(p));
          for (const [n, v] of extPairs) b.set(n, v);
          return b.labels();
        })
        .sort(Labels.compare);
      assert.deepEqual(got.map((l) => l.toString()), want.map((l) => l.toString()), 'relabelled, sorted series');
    }),
    { numRuns: 300 },
  );
});

test('a prefix series that moves behind a longer one after relabelling is re-sorted', async () => {
  const mem = new MemoryStorage();
  mem.add(Labels.fromPairs([['a', '1']]), 10, 1);
  mem.add(Labels.fromPairs([['a', '1'], ['c', '1']]), 10, 1);
  const got = await selectAll(new ExternalLabelsQueryable(mem, Labels.fromPairs([['d', '1']])), []);
  assert.deepEqual(got.map((l) => l.toString()), ['{a="1", c="1", d="1"}', '{a="1", d="1"}'], 'sorted after adding d');
});

test('a matcher on an external label selects or excludes the whole source', async () => {
  const mem = new MemoryStorage();
  mem.add(Labels.fromPairs([['job', 'x']]), 10, 1);
  const q = new ExternalLabelsQueryable(mem, Labels.fromPairs([['tenant_id', 't1']]));
  assert.equal((await selectAll(q, [new Matcher('=', 'tenant_id', 't1')])).length, 1, 'matching tenant');
  assert.equal((await selectAll(q, [new Matcher('=', 'tenant_id', 't2')])).length, 0, 'other tenant');
});
