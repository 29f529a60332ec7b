// Grafana as code: the generated dashboards are up to date with deploy/grafana/dashboards/*.ts,
// every panel and variable query parses with our PromQL parser, every metric the dashboards use is
// one Strata, prom-client's default collectors or a real node exporter exports (or is listed as
// pending), and the provisioning files configure the querier the way the issue asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseExpr } from '../src/promql/parser.ts';
import type { Expr, VectorSelector } from '../src/promql/ast.ts';
import { DASHBOARDS, PENDING_METRICS, interpolate, labelValuesSelector, panelQueries, variableQueries } from '../deploy/grafana/dashboards/index.ts';
import { GENERATED_DIR, generatedFiles, staleFiles } from '../scripts/dashboards.ts';
import { REPO, freePort, waitFor } from './helpers/procs.ts';

const INTERVALS = { rateInterval: '1m', interval: '15s', range: '1h' };
/** The values Grafana can substitute for the dashboards' variables: one cluster, several, All. */
const VARIABLE_CHOICES: Record<string, string | string[]>[] = [{ cluster: 'eu-1' }, { cluster: ['eu-1', 'us-1'] }, { cluster: '.+' }];

function selectors(e: Expr, out: VectorSelector[] = []): VectorSelector[] {
  switch (e.type) {
    case 'VectorSelector':
      out.push(e);
      break;
    case 'MatrixSelector':
      out.push(e.vectorSelector);
      break;
    case 'AggregateExpr':
      selectors(e.expr, out);
      if (e.param) selectors(e.param, out);
      break;
    case 'BinaryExpr':
      selectors(e.lhs, out);
      selectors(e.rhs, out);
      break;
    case 'Call':
      for (const a of e.args) selectors(a, out);
      break;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      selectors(e.expr, out);
      break;
    default:
      break;
  }
  return out;
}

function metricNames(expr: string): string[] {
  return selectors(parseExpr(interpolate(expr, { cluster: 'eu-1' }, INTERVALS))).map((s) => s.name).filter((n) => n !== '');
}

test('generated dashboard JSON is up to date (npm run dashboards)', () => {
  assert.deepEqual(staleFiles(), [], 'run `npm run dashboards` and commit deploy/grafana/dashboards/generated/');
  const files = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, [...generatedFiles().keys()].sort());
  for (const f of files) {
    const d = JSON.parse(readFileSync(join(GENERATED_DIR, f), 'utf8')) as { uid: string; title: string; panels: unknown[] };
    assert.ok(d.uid && d.title, `${f}: uid and title`);
    assert.ok(d.panels.length > 5, `${f}: has panels`);
  }
});

test('the two dashboards of the issue exist with the panels it names', () => {
  const titles = new Map(DASHBOARDS.map((d) => {
    const b = d.build();
    return [b.title ?? '', panelQueries(b).map((q) => q.panel)];
  }));
  const overview = titles.get('Clusters overview');
  assert.ok(overview, 'a "Clusters overview" dashboard');
  for (const want of ['CPU busy', 'Memory used', 'Network received', 'Network transmitted', 'Targets up by job', 'Scrape duration (max)']) {
    assert.ok(overview.includes(want), `Clusters overview has "${want}"`);
  }
  const self = titles.get('Strata');
  assert.ok(self, 'a "Strata" dashboard');
  for (const want of ['Samples ingested', 'WAL', 'Head series', 'Blocks uploaded', 'Index cache hit ratio', 'Query latency', 'Compaction passes']) {
    assert.ok(self.includes(want), `Strata has "${want}"`);
  }
});

test('every panel query parses with the PromQL parser for every variable choice', () => {
  let n = 0;
  for (const d of DASHBOARDS) {
    const queries = panelQueries(d.build());
    assert.ok(queries.length > 10);
    for (const q of queries) {
      for (const vars of VARIABLE_CHOICES) {
        const expr = interpolate(q.expr, vars, INTERVALS);
        assert.ok(!expr.includes('$'), `${q.dashboard} / ${q.panel}: uninterpolated variable in ${expr}`);
        assert.doesNotThrow(() => parseExpr(expr), `${q.dashboard} / ${q.panel} ${q.refId}: ${expr}`);
        n++;
      }
    }
  }
  assert.ok(n > 100);
});

test('every variable is a label_values() query over a selector that parses', () => {
  for (const d of DASHBOARDS) {
    const vars = variableQueries(d.build());
    assert.ok(vars.length > 0);
    for (const v of vars) {
      const lv = labelValuesSelector(v.query);
      assert.ok(lv, `${v.name}: label_values(selector, label), got ${v.query}`);
      assert.equal(lv.label, 'cluster');
      assert.ok(lv.selector);
      assert.doesNotThrow(() => parseExpr(lv.selector!), v.query);
    }
  }
});

test('Strata dashboard metrics are exported by Strata or prom-client defaults, or listed as pending', async () => {
  // Names Strata registers (prom-client `name: '…'` and the shipper's counter(registry, '…')).
  const exported = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/['"]((?:thanos|prometheus|strata|http)_[a-z0-9_]+)['"]/g)) exported.add(m[1]!);
      }
    }
  };
  walk(join(REPO, 'src'));
  // prom-client's default process/Node.js metrics, from a real registry.
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  for (const m of await r.getMetricsAsJSON()) exported.add(m.name);
  exported.add('up');
  const self = DASHBOARDS.find((d) => d.file === 'strata.json')!.build();
  const missing: string[] = [];
  const pendingUsed = new Set<string>();
  for (const q of panelQueries(self)) {
    for (const name of metricNames(q.expr)) {
      if (Object.hasOwn(PENDING_METRICS, name) || Object.hasOwn(PENDING_METRICS, name.replace(/_(bucket|sum|count)$/, ''))) {
        pendingUsed.add(name);
        continue;
      }
      const base = name.replace(/_(bucket|sum|count)$/, '');
      if (!exported.has(name) && !exported.has(base)) missing.push(`${q.panel}: ${name}`);
    }
  }
  assert.deepEqual(missing, [], 'metrics used by the Strata dashboard but not exported');
  // A pending metric that Strata exports by now should leave the pending list.
  for (const name of pendingUsed) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(!exported.has(name) && !exported.has(base), `${name} is exported now: remove it from PENDING_METRICS`);
  }
});

const NODE_EXPORTER = ['/usr/bin/prometheus-node-exporter', '/usr/local/bin/node_exporter'].find((p) => existsSync(p));

test('Clusters overview node metrics exist in a real node exporter', { timeout: 60_000 }, async () => {
  assert.ok(NODE_EXPORTER, "prometheus-node-exporter is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const port = await freePort();
  const child = spawn(NODE_EXPORTER!, [`--web.listen-address=127.0.0.1:${port}`, '--no-collector.systemd'], { stdio: 'ignore' });
  try {
    const text = await waitFor('node exporter /metrics', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      return r.ok ? r.text() : null;
    }, 30_000);
    const names = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
    const overview = DASHBOARDS.find((d) => d.file === 'clusters-overview.json')!.build();
    const used = new Set(panelQueries(overview).flatMap((q) => metricNames(q.expr)).filter((n) => n.startsWith('node_')));
    assert.ok(used.size >= 5);
    for (const n of used) assert.ok(names.has(n), `${n} is exported by ${NODE_EXPORTER}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('provisioning: the querier as a Prometheus datasource (POST, dedup) and a file provider', () => {
  const ds = parseYAML(readFileSync(join(REPO, 'deploy/grafana/provisioning/datasources/strata.yaml'), 'utf8')) as {
    apiVersion: number;
    datasources: { name: string; uid: string; type: string; url: string; access: string; jsonData: Record<string, unknown> }[];
  };
  assert.equal(ds.apiVersion, 1);
  assert.equal(ds.datasources.length, 1);
  const s = ds.datasources[0]!;
  assert.equal(s.type, 'prometheus');
  assert.equal(s.access, 'proxy');
  assert.equal(s.url, 'http://127.0.0.1:19100', 'the lab querier (npm run lab, default --ports-base)');
  assert.equal(s.jsonData.httpMethod, 'POST');
  const params = new URLSearchParams(String(s.jsonData.customQueryParameters));
  assert.equal(params.get('dedup'), 'true');
  assert.equal(params.get('partial_response'), 'true');
  // Every dashboard target and panel points at this datasource uid.
  for (const d of DASHBOARDS) {
    const json = JSON.stringify(d.build());
    for (const m of json.matchAll(/"datasource":\{"type":"([^"]+)","uid":"([^"]+)"\}/g)) {
      assert.deepEqual([m[1], m[2]], ['prometheus', s.uid]);
    }
  }
  const prov = parseYAML(readFileSync(join(REPO, 'deploy/grafana/provisioning/dashboards/strata.yaml'), 'utf8')) as {
    apiVersion: number;
    providers: { type: string; options: { path: string } }[];
  };
  assert.equal(prov.apiVersion, 1);
  assert.equal(prov.providers[0]!.type, 'file');
  assert.ok(prov.providers[0]!.options.path.startsWith('/'));
});
