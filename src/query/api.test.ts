// Contract tests of the Prometheus HTTP API v1 over a real node:http server. Expected JSON comes
// from the Prometheus API documentation (docs/querying/api.md) and web/api/v1/api.go, not from
// our own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiV1, type ApiOptions } from './api.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { Labels } from '../labels/labels.ts';
import { Engine } from '../promql/engine.ts';
import { PromQLError, type QueryEngine, type QueryResult } from '../promql/value.ts';

const L = (o: Record<string, string>): Labels => Labels.fromObject(o);
const BUILD = { version: '2.13.1', revision: 'cb7cbad5f9a2823a622aaa668833ca04f50a0ea7', branch: 'master', buildUser: 'julius@desktop', buildDate: '20191102-16:19:59', goVersion: 'go1.13.1' };

interface Resp {
  status: number;
  text: string;
  json: Record<string, unknown>;
  contentType: string;
}

async function withServer(opts: Partial<ApiOptions> & { queryable: MemoryStorage }, fn: (call: (path: string, init?: { method?: string; form?: string; headers?: Record<string, string> }) => Promise<Resp>) => Promise<void>): Promise<void> {
  const api = createApiV1({ engine: new Engine({}), buildInfo: BUILD, ...opts });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    api(req, res, url).then(
      (handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not api');
        }
      },
      (e: unknown) => {
        res.writeHead(599);
        res.end(String(e));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    await fn(async (path, init = {}) => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: init.method ?? (init.form !== undefined ? 'POST' : 'GET'), headers, ...(init.form !== undefined ? { body: init.form } : {}) });
      const text = await r.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* not JSON */
      }
      return { status: r.status, text, json, contentType: r.headers.get('content-type') ?? '' };
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const T0 = Date.parse('2015-07-01T20:10:30.781Z');

function docStore(): MemoryStorage {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }), Date.parse('2015-07-01T20:10:51.781Z'), 1);
  st.add(L({ __name__: 'up', job: 'node', instance: 'localhost:9100' }), Date.parse('2015-07-01T20:10:51.781Z'), 0);
  return st;
}

test('instant query: docs example (vector, RFC3339 time, [ts,"v"] with ms precision)', async () => {
  await withServer({ queryable: docStore() }, async (call) => {
    const r = await call('/api/v1/query?query=up&time=2015-07-01T20:10:51.781Z');
    assert.equal(r.status, 200);
    assert.match(r.contentType, /^application\/json/);
    assert.deepEqual(r.json, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, value: [1435781451.781, '1'] },
          { metric: { __name__: 'up', job: 'node', instance: 'localhost:9100' }, value: [1435781451.781, '0'] },
        ],
      },
    });
    assert.ok(r.text.includes('"value":[1435781451.781,"1"]'));
    // Float seconds are accepted for time as well.
    const f = await call('/api/v1/query?query=up&time=1435781451.781');
    assert.deepEqual(f.json, r.json);
  });
});

test('range query: docs example (matrix, step as duration and as float seconds)', async () => {
  const st = new MemoryStorage();
  const prom = L({ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' });
  const node = L({ __name__: 'up', job: 'node', instance: 'localhost:9091' });
  [1, 1, 1].forEach((v, i) => st.add(prom, T0 + i * 15000, v));
  [0, 0, 1].forEach((v, i) => st.add(node, T0 + i * 15000, v));
  const expected = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        { metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, values: [[1435781430.781, '1'], [1435781445.781, '1'], [1435781460.781, '1']] },
        { metric: { __name__: 'up', job: 'node', instance: 'localhost:9091' }, values: [[1435781430.781, '0'], [1435781445.781, '0'], [1435781460.781, '1']] },
      ],
    },
  };
  await withServer({ queryable: st }, async (call) => {
    const r = await call('/api/v1/query_range?query=up&start=2015-07-01T20:10:30.781Z&end=2015-07-01T20:11:00.781Z&step=15s');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, expected);
    const f = await call('/api/v1/query_range?query=up&start=1435781430.781&end=1435781460.781&step=15');
    assert.deepEqual(f.json, expected);
    // POST form body, merged with URL parameters; the body wins for duplicated names.
    const p = await call('/api/v1/query_range?step=15s&query=nonexistent', { form: 'query=up&start=2015-07-01T20%3A10%3A30.781Z&end=2015-07-01T20%3A11%3A00.781Z' });
    assert.deepEqual(p.json, expected);
  });
});

test("Grafana's Save & test probe: POST query 1+1 at time=4, then buildinfo", async () => {
  await withServer({ queryable: new MemoryStorage() }, async (call) => {
    const r = await call('/api/v1/query', { form: 'query=1%2B1&time=4' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}');
    const b = await call('/api/v1/status/buildinfo');
    assert.equal(b.status, 200);
    assert.deepEqual(b.json, { status: 'success', data: BUILD });
  });
});

test('series, labels, label values (docs examples; U__ escaped names; merged match[] sorted)', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }), 1000, 1);
  st.add(L({ __name__: 'up', job: 'node', instance: 'localhost:9091' }), 1000, 1);
  st.add(L({ __name__: 'process_start_time_seconds', job: 'prometheus', instance: 'localhost:9090' }), 1000, 1);
  st.add(L({ __name__: 'process_start_time_seconds', job: 'node', instance: 'localhost:9091' }), 1000, 1);
  st.add(L({ __name__: 'http_requests_total', 'http.status_code': '200', http_status_code: '200' }), 1000, 1);
  st.add(L({ __name__: 'http_requests_total', 'http.status_code': '404', http_status_code: '504' }), 1000, 1);
  await withServer({ queryable: st }, async (call) => {
    const r = await call('/api/v1/series', { form: 'match[]=up&match[]=process_start_time_seconds%7Bjob%3D%22prometheus%22%7D' });
    assert.equal(r.status, 200);
    const data = r.json.data as Record<string, string>[];
    const want = [
      { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' },
      { __name__: 'up', job: 'node', instance: 'localhost:9091' },
      { __name__: 'process_start_time_seconds', job: 'prometheus', instance: 'localhost:9090' },
    ];
    const key = (o: Record<string, string>): string => JSON.stringify(Object.entries(o).sort());
    assert.deepEqual(data.map(key).sort(), want.map(key).sort());
    // Merged sets come back sorted by label set (storage.NewMergeSeriesSet).
    assert.deepEqual(data.map((o) => o.__name__), ['process_start_time_seconds', 'up', 'up']);
    assert.deepEqual(Object.keys(data[0]!), ['__name__', 'instance', 'job']); // label order

    const ln = await call('/api/v1/labels');
    assert.deepEqual(ln.json, { status: 'success', data: ['__name__', 'http.status_code', 'http_status_code', 'instance', 'job'] });
    const lnm = await call('/api/v1/labels?match[]=up');
    assert.deepEqual(lnm.json.data, ['__name__', 'instance', 'job']);

    const v = await call('/api/v1/label/http_status_code/values');
    assert.deepEqual(v.json, { status: 'success', data: ['200', '504'] });
    // Values escaping: '.' is _2e_ and '_' doubles. (The API docs' example `U__http_2e_status_code`
    // has an undoubled '_' before "code", which model.UnescapeName rejects, falling back to the
    // literal name, so it finds no values.)
    const u = await call('/api/v1/label/U__http_2e_status__code/values');
    assert.deepEqual(u.json, { status: 'success', data: ['200', '404'] });
    const ud = await call('/api/v1/label/U__http_2e_status_code/values');
    assert.deepEqual(ud.json, { status: 'success', data: [] });
    const j = await call('/api/v1/label/job/values?match[]=up&start=0&end=2');
    assert.deepEqual(j.json.data, ['node', 'prometheus']);
    const none = await call('/api/v1/label/job/values?start=5&end=6');
    assert.deepEqual(none.json, { status: 'success', data: [] });

    // limit: truncation adds Prometheus's warning.
    const sl = await call('/api/v1/series?match[]=up&limit=1');
    assert.equal((sl.json.data as unknown[]).length, 1);
    assert.deepEqual(sl.json.warnings, ['results truncated due to limit']);
    const ll = await call('/api/v1/labels?limit=2');
    assert.deepEqual(ll.json, { status: 'success', data: ['__name__', 'http.status_code'], warnings: ['results truncated due to limit'] });
    const vl = await call('/api/v1/label/job/values?limit=1');
    assert.deepEqual(vl.json, { status: 'success', data: ['node'], warnings: ['results truncated due to limit'] });
    const nl = await call('/api/v1/label/job/values?limit=2');
    assert.equal(nl.json.warnings, undefined);
  });
});

test('errors: types, HTTP codes and messages from api.go', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'm', a: '1' }), 0, 1);
  st.add(L({ __name__: 'm', a: '2' }), 0, 1);
  await withServer({ queryable: st, maxSamples: 1 }, async (call) => {
    const cases: [string, number, string, string | RegExp][] = [
      ['/api/v1/query?query=foo(', 400, 'bad_data', /^invalid parameter "query": 1:\d+: parse error: /],
      ['/api/v1/query?query=up&time=abc', 400, 'bad_data', `invalid parameter "time": invalid time value for 'time': cannot parse "abc" to a valid timestamp`],
      ['/api/v1/query?query=up&timeout=xyz', 400, 'bad_data', 'invalid parameter "timeout": cannot parse "xyz" to a valid duration'],
      ['/api/v1/query?query=up&limit=abc', 400, 'bad_data', 'invalid parameter "limit": strconv.Atoi: parsing "abc": invalid syntax'],
      ['/api/v1/query?query=up&limit=-1', 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative'],
      ['/api/v1/query_range?query=up&end=1&step=1', 400, 'bad_data', 'invalid parameter "start": cannot parse "" to a valid timestamp'],
      ['/api/v1/query_range?query=up&start=0&end=1', 400, 'bad_data', 'invalid parameter "step": cannot parse "" to a valid duration'],
      ['/api/v1/query_range?query=up&start=10&end=1&step=1', 400, 'bad_data', 'invalid parameter "end": end timestamp must not be before start time'],
      ['/api/v1/query_range?query=up&start=0&end=1&step=0', 400, 'bad_data', 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
      ['/api/v1/query_range?query=up&start=0&end=11001&step=1', 400, 'bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
      ['/api/v1/series', 400, 'bad_data', 'no match[] parameter provided'],
      ['/api/v1/series?match[]={a=""}', 400, 'bad_data', 'invalid parameter "match[]": match[] must contain at least one non-empty matcher'],
      ['/api/v1/labels?match[]={a=~".*"}', 400, 'bad_data', 'match[] must contain at least one non-empty matcher'],
      ['/api/v1/query?query=m&time=0', 422, 'execution', 'query processing would load too many samples into memory in query execution'],
    ];
    for (const [path, code, type, msg] of cases) {
      const r = await call(path);
      assert.equal(r.status, code, path);
      assert.equal(r.json.status, 'error', path);
      assert.equal(r.json.errorType, type, path);
      if (typeof msg === 'string') assert.equal(r.json.error, msg, path);
      else assert.match(r.json.error as string, msg, path);
      assert.deepEqual(Object.keys(r.json), ['status', 'errorType', 'error'], path);
    }
    // 11,000 steps exactly pass the resolution check; with max samples 1 the engine then refuses
    // to hold 11,001 points (Prometheus' rangeEval counts every step's result).
    const limit = await call('/api/v1/query_range?query=1&start=0&end=11000&step=1');
    assert.equal(limit.status, 422);
    assert.equal(limit.json.errorType, 'execution');
    // Methods and paths.
    assert.equal((await call('/api/v1/query?query=1', { method: 'PUT' })).status, 405);
    assert.equal((await call('/api/v1/nope')).status, 404);
    assert.equal((await call('/metrics')).status, 418); // not handled: left to the caller
  });
});

test('engine error types map to HTTP codes; annotations are capped at 10 per kind', async () => {
  let next: () => QueryResult = () => {
    throw new PromQLError('timeout', 'query timed out in query execution');
  };
  const stub: QueryEngine = {
    instantQuery: async () => next(),
    rangeQuery: async () => next(),
  };
  await withServer({ queryable: new MemoryStorage(), engine: stub }, async (call) => {
    let r = await call('/api/v1/query?query=up');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: 'error', errorType: 'timeout', error: 'query timed out in query execution' });
    next = () => {
      throw new PromQLError('canceled', 'query was canceled in query execution');
    };
    r = await call('/api/v1/query?query=up');
    assert.equal(r.status, 499);
    assert.equal(r.json.errorType, 'canceled');
    next = () => ({
      value: { resultType: 'vector', samples: [] },
      warnings: Array.from({ length: 12 }, (_, i) => `PromQL warning: w${i} (1:1)`),
      infos: ['PromQL info: i (1:1)'],
    });
    r = await call('/api/v1/query?query=up');
    assert.equal(r.status, 200);
    const w = r.json.warnings as string[];
    assert.equal(w.length, 11);
    assert.equal(w[10], '2 more warning annotations omitted');
    assert.deepEqual(r.json.infos, ['PromQL info: i (1:1)']);
    assert.deepEqual(Object.keys(r.json), ['status', 'data', 'warnings', 'infos']);
    next = () => ({ value: { resultType: 'vector', samples: [] }, warnings: [], infos: [] });
    r = await call('/api/v1/query?query=up&stats=yes');
    assert.deepEqual(r.json.warnings, ['value "yes" for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"']);
    r = await call('/api/v1/query?query=up');
    assert.equal(r.text, '{"status":"success","data":{"resultType":"vector","result":[]}}');
  });
});

test('query limit truncates series with a warning; stats=all adds stats; string and scalar results', async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'm', a: '1' }), 0, 1.5);
  st.add(L({ __name__: 'm', a: '2' }), 0, 1e-7);
  await withServer({ queryable: st }, async (call) => {
    const r = await call('/api/v1/query?query=m&time=0.5');
    assert.equal(r.text, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","a":"1"},"value":[0.500,"1.5"]},{"metric":{"__name__":"m","a":"2"},"value":[0.500,"1e-07"]}]}}');
    const l = await call('/api/v1/query?query=m&time=0.5&limit=1');
    assert.equal((l.json.data as { result: unknown[] }).result.length, 1);
    assert.deepEqual(l.json.warnings, ['results truncated due to limit']);
    const s = await call('/api/v1/query?query=m&time=1&stats=all');
    const stats = (s.json.data as { stats: { timings: Record<string, number>; samples: Record<string, number> } }).stats;
    for (const k of ['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']) assert.equal(typeof stats.timings[k], 'number', k);
    assert.equal(typeof stats.samples.totalQueryableSamples, 'number');
    assert.equal(typeof stats.samples.peakSamples, 'number');
    const str = await call('/api/v1/query?query=%22a%3Cb%22&time=2');
    assert.equal(str.text, '{"status":"success","data":{"resultType":"string","result":[2,"a\\u003cb"]}}');
    const nan = await call('/api/v1/query?query=NaN&time=-1.5');
    assert.equal(nan.text, '{"status":"success","data":{"resultType":"scalar","result":[-1.500,"NaN"]}}');
    const inf = await call('/api/v1/query?query=-Inf&time=0');
    assert.equal(inf.text, '{"status":"success","data":{"resultType":"scalar","result":[0,"-Inf"]}}');
  });
});

test('query_exemplars, metadata, rules, alerts, flags, runtimeinfo, format_query, parse_query', async () => {
  const exemplars = async (mint: number, maxt: number, sel: unknown[][]): Promise<{ seriesLabels: Labels; exemplars: { labels: Labels; value: number; ts: number }[] }[]> => {
    assert.equal(mint, Date.parse('2020-09-14T15:22:25.479Z'));
    assert.equal(maxt, Date.parse('2020-09-14T15:23:25.479Z'));
    assert.equal(sel.length, 1);
    return [
      { seriesLabels: L({ __name__: 'test_exemplar_metric_total', instance: 'localhost:8090', job: 'prometheus', service: 'bar' }), exemplars: [{ labels: L({ trace_id: 'EpTxMJ40fUus7aGY' }), value: 6, ts: 1600096945479 }] },
      { seriesLabels: L({ __name__: 'test_exemplar_metric_total', instance: 'localhost:8090', job: 'prometheus', service: 'foo' }), exemplars: [{ labels: L({ trace_id: 'Olp9XHlq763ccsfa' }), value: 19, ts: 1600096955479 }] },
    ];
  };
  const metadata = async (metric: string | undefined): Promise<Record<string, { type: string; help: string; unit: string }[]>> => {
    const all: Record<string, { type: string; help: string; unit: string }[]> = {
      cortex_ring_tokens: [{ type: 'gauge', help: 'Number of tokens in the ring', unit: '' }],
      http_requests_total: [
        { type: 'counter', help: 'Number of HTTP requests', unit: '' },
        { type: 'counter', help: 'Amount of HTTP requests', unit: '' },
      ],
    };
    return metric ? { [metric]: all[metric] ?? [] } : all;
  };
  await withServer({ queryable: new MemoryStorage(), exemplars, metadata, flags: { 'query.lookback-delta': '5m' } }, async (call) => {
    const e = await call('/api/v1/query_exemplars?query=test_exemplar_metric_total&start=2020-09-14T15:22:25.479Z&end=2020-09-14T15:23:25.479Z');
    assert.deepEqual(e.json, {
      status: 'success',
      data: [
        { seriesLabels: { __name__: 'test_exemplar_metric_total', instance: 'localhost:8090', job: 'prometheus', service: 'bar' }, exemplars: [{ labels: { trace_id: 'EpTxMJ40fUus7aGY' }, value: '6', timestamp: 1600096945.479 }] },
        { seriesLabels: { __name__: 'test_exemplar_metric_total', instance: 'localhost:8090', job: 'prometheus', service: 'foo' }, exemplars: [{ labels: { trace_id: 'Olp9XHlq763ccsfa' }, value: '19', timestamp: 1600096955.479 }] },
      ],
    });
    // A query without selectors has no data (api.go returns nil data).
    assert.equal((await call('/api/v1/query_exemplars?query=1')).text, '{"status":"success"}');
    const bad = await call('/api/v1/query_exemplars?query=up&start=10&end=1');
    assert.deepEqual(bad.json, { status: 'error', errorType: 'bad_data', error: 'end timestamp must not be before start timestamp' });

    const m = await call('/api/v1/metadata?limit=2');
    assert.deepEqual(m.json, {
      status: 'success',
      data: {
        cortex_ring_tokens: [{ type: 'gauge', help: 'Number of tokens in the ring', unit: '' }],
        http_requests_total: [{ type: 'counter', help: 'Number of HTTP requests', unit: '' }, { type: 'counter', help: 'Amount of HTTP requests', unit: '' }],
      },
    });
    const mm = await call('/api/v1/metadata?metric=http_requests_total&limit_per_metric=1');
    assert.deepEqual(mm.json, { status: 'success', data: { http_requests_total: [{ type: 'counter', help: 'Number of HTTP requests', unit: '' }] } });
    assert.deepEqual((await call('/api/v1/metadata?limit=x')).json, { status: 'error', errorType: 'bad_data', error: 'limit must be a number' });

    assert.deepEqual((await call('/api/v1/rules')).json, { status: 'success', data: { groups: [] } });
    assert.deepEqual((await call('/api/v1/alerts')).json, { status: 'success', data: { alerts: [] } });
    assert.deepEqual((await call('/api/v1/status/flags')).json, { status: 'success', data: { 'query.lookback-delta': '5m' } });
    const rt = (await call('/api/v1/status/runtimeinfo')).json.data as Record<string, unknown>;
    for (const k of ['startTime', 'CWD', 'hostname', 'serverTime', 'reloadConfigSuccess', 'lastConfigTime', 'corruptionCount', 'goroutineCount', 'GOMAXPROCS', 'GOMEMLIMIT', 'GOGC', 'GODEBUG', 'storageRetention']) assert.ok(k in rt, k);

    assert.deepEqual((await call('/api/v1/format_query?query=foo/bar')).json, { status: 'success', data: 'foo / bar' });
    assert.deepEqual((await call('/api/v1/format_query', { form: 'query=foo%2Fbar' })).json, { status: 'success', data: 'foo / bar' });
    const pq = (await call('/api/v1/parse_query?query=foo/bar')).json;
    assert.equal(pq.status, 'success');
    const ast = pq.data as Record<string, unknown>;
    // Fields shown in the API documentation's example.
    assert.equal(ast.type, 'binaryExpr');
    assert.equal(ast.op, '/');
    assert.equal(ast.bool, false);
    const matching = ast.matching as Record<string, unknown>;
    assert.deepEqual([matching.card, matching.include, matching.labels, matching.on], ['one-to-one', [], [], false]);
    const lhs = ast.lhs as Record<string, unknown>;
    assert.deepEqual(
      { matchers: lhs.matchers, name: lhs.name, offset: lhs.offset, startOrEnd: lhs.startOrEnd, timestamp: lhs.timestamp, type: lhs.type },
      { matchers: [{ name: '__name__', type: '=', value: 'foo' }], name: 'foo', offset: 0, startOrEnd: null, timestamp: null, type: 'vectorSelector' },
    );
    assert.equal((ast.rhs as Record<string, unknown>).name, 'bar');
    assert.equal((await call('/api/v1/parse_query?query=foo(')).status, 400);
  });
});

test("Thanos' dynamic lookback delta: 1h when 1h-downsampled data may be read; lookback_delta param wins", async () => {
  const st = new MemoryStorage();
  st.add(L({ __name__: 'm' }), 0, 7); // one sample, 30 minutes before the query time
  const maxSourceResolutionFor = (p: URLSearchParams): number => (p.get('max_source_resolution') === '1h' ? 3_600_000 : 0);
  await withServer({ queryable: st, maxSourceResolutionFor }, async (call) => {
    const raw = await call('/api/v1/query?query=m&time=1800');
    assert.deepEqual((raw.json.data as { result: unknown[] }).result, [], 'raw: outside the 5m lookback');
    const ds = await call('/api/v1/query?query=m&time=1800&max_source_resolution=1h');
    assert.deepEqual((ds.json.data as { result: unknown[] }).result, [{ metric: { __name__: 'm' }, value: [1800, '7'] }], '1h resolution: lookback 1h');
    const explicit = await call('/api/v1/query?query=m&time=1800&max_source_resolution=1h&lookback_delta=10m');
    assert.deepEqual((explicit.json.data as { result: unknown[] }).result, [], 'explicit lookback_delta');
  });
});
