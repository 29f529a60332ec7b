// The graph page's table view of query results, native histograms included (API JSON shapes as
// Prometheus: "histogram" on vector samples, "histograms" on matrix series).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableRows } from './graphpage.ts';

const hist = { count: '42', sum: '34593.34', buckets: [[3, '-0.25', '0.25', '3'], [0, '0.25', '0.5', '12']] as [number, string, string, string][] };

test('vector rows show floats as values and histograms as count, sum and bucket intervals', () => {
  const r = tableRows('vector', [
    { metric: { __name__: 'a' }, value: [1, '2.5'] },
    { metric: { __name__: 'h' }, histogram: [1, hist] },
  ], 10);
  assert.equal(r.total, 2);
  assert.deepEqual(r.rows[0], ['a', '2.5']);
  assert.deepEqual(r.rows[1], ['h', 'count=42 sum=34593.34\n[-0.25,0.25]: 3\n(0.25,0.5]: 12']);
});

test('matrix rows interleave float and histogram points by time', () => {
  const r = tableRows('matrix', [{ metric: { __name__: 'm' }, values: [[1, '1'], [3, '3']], histograms: [[2, { count: '1', sum: '0' }]] }], 10);
  assert.deepEqual(r.rows[0], ['m', '1 @1\ncount=1 sum=0 @2\n3 @3']);
});
