// Native histogram samples in query results: JSON as Prometheus' jsonutil.MarshalHistogram and
// json_codec ("histogram" for vector samples, "histograms" for matrix series). The expected
// bucket list is the example of the Prometheus HTTP API docs (querying/api.md, native histograms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramJSON, valueJSON } from './api.ts';
import { FloatHistogram } from '../promql/histogram/index.ts';
import { Labels } from '../labels/labels.ts';

// schema 0: bucket i is (2^(i-1), 2^i]; zero bucket [-0.25, 0.25].
const docExample = new FloatHistogram({
  schema: 0,
  zeroThreshold: 0.25,
  zeroCount: 3,
  count: 42,
  sum: 34593.34,
  positiveSpans: [{ offset: -1, length: 2 }, { offset: 1, length: 1 }],
  positiveBuckets: [12, 21, 6],
});

test('histogramJSON: count, sum and the populated buckets with their boundary rule', () => {
  assert.equal(
    histogramJSON(docExample),
    '{"count":"42","sum":"34593.34","buckets":[[3,"-0.25","0.25","3"],[0,"0.25","0.5","12"],[0,"0.5","1","21"],[0,"2","4","6"]]}',
  );
  // Empty buckets are left out; no populated bucket at all → no "buckets" field.
  assert.equal(histogramJSON(new FloatHistogram({ count: 0, sum: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [0] })), '{"count":"0","sum":"0"}');
});

test('vector and matrix results carry histogram samples beside floats', () => {
  const m = Labels.fromObject({ __name__: 'h' });
  assert.equal(
    valueJSON({ resultType: 'vector', samples: [{ metric: m, t: 1500, v: 0, h: docExample }] }),
    `[{"metric":{"__name__":"h"},"histogram":[1.500,${histogramJSON(docExample)}]}]`,
  );
  assert.equal(
    valueJSON({ resultType: 'matrix', series: [{ metric: m, ts: [1000], vs: [2], hts: [2000], hvs: [docExample] }] }),
    `[{"metric":{"__name__":"h"},"values":[[1,"2"]],"histograms":[[2,${histogramJSON(docExample)}]]}]`,
  );
});
