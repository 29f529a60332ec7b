// Runs Prometheus's PromQL test scripts (/work/shared/promql-testdata, Apache-2.0, see its NOTICE)
// through our runner: one test per file, a summary table, failures written to
// test-artifacts/promql-failures.txt, and a floor on the total number of passing evals that is
// raised as the engine improves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript, newTestEngine, type FileReport } from './promql/runner.ts';

/** Evals that must pass; raise it when the engine improves (never lower it to make a run green). */
const PASS_FLOOR = 1297;
/** Of the evals that need native histograms (run, reported apart): how many must pass. Raise it too. */
const NH_PASS_FLOOR = 915;

// The steering repo's shared/ folder sits beside this repository (../shared), in CI too.
const TESTDATA = process.env.STRATA_PROMQL_TESTDATA ?? join(import.meta.dirname, '..', '..', 'shared', 'promql-testdata');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = existsSync(TESTDATA) ? readdirSync(TESTDATA).filter((f) => f.endsWith('.test')).sort() : [];
const reports: FileReport[] = [];

test('PromQL test data is present', () => {
  assert.ok(files.length > 0, `no .test files in ${TESTDATA}`);
});

const engine = newTestEngine();
for (const f of files) {
  test(`promql script ${f}`, async () => {
    const r = await runScript(f, readFileSync(join(TESTDATA, f), 'utf8'), engine);
    reports.push(r);
    assert.equal(r.error, undefined, `script ${f} could not be run: ${r.error}`);
    assert.ok(r.evals > 0, `no evals in ${f}`);
    assert.equal(r.passed + r.failed + r.needsNativeHistograms, r.evals);
    // Issue #4's target: every eval that needs no native histograms passes.
    const failed = r.outcomes.filter((o) => o.status === 'failed');
    assert.equal(failed.length, 0, `${failed.length} float-only evals failed in ${f}, first at line ${failed[0]?.line}: ${failed[0]?.detail}`);
  });
}

test('promql scripts: total passes do not fall below the floor', () => {
  const total = reports.reduce((a, r) => a + r.passed, 0);
  assert.ok(total >= PASS_FLOOR, `only ${total} evals passed; the floor is ${PASS_FLOOR}`);
  const nh = reports.reduce((a, r) => a + r.nhPassed, 0);
  assert.ok(nh >= NH_PASS_FLOOR, `only ${nh} needs-native-histograms evals passed; the floor is ${NH_PASS_FLOOR}`);
});

after(() => {
  const pad = (s: string | number, n: number, left = false): string => (left ? String(s).padEnd(n) : String(s).padStart(n));
  // float-only evals: passed / failed; evals that need native histograms (README heuristic): how
  // many there are and how many of them pass.
  const rows = [`${pad('file', 28, true)} ${pad('evals', 6)} ${pad('passed', 7)} ${pad('failed', 7)} ${pad('needs-NH', 9)} ${pad('NH-passed', 10)}`];
  const tot = { evals: 0, passed: 0, failed: 0, nh: 0, nhPassed: 0 };
  for (const r of reports) {
    rows.push(`${pad(r.file, 28, true)} ${pad(r.evals, 6)} ${pad(r.passed, 7)} ${pad(r.failed, 7)} ${pad(r.needsNativeHistograms, 9)} ${pad(r.nhPassed, 10)}${r.error ? '  ERROR ' + r.error : ''}`);
    tot.evals += r.evals;
    tot.passed += r.passed;
    tot.failed += r.failed;
    tot.nh += r.needsNativeHistograms;
    tot.nhPassed += r.nhPassed;
  }
  rows.push(`${pad('TOTAL', 28, true)} ${pad(tot.evals, 6)} ${pad(tot.passed, 7)} ${pad(tot.failed, 7)} ${pad(tot.nh, 9)} ${pad(tot.nhPassed, 10)}`);
  console.log(rows.join('\n'));
  const out: string[] = [
    `PromQL script failures (${tot.failed} float-only failed, ${tot.passed} passed; ${tot.nh} need native histograms, ${tot.nhPassed} of them pass)`,
    '',
  ];
  for (const r of reports) {
    if (r.error) out.push(`${r.file}: SCRIPT ERROR ${r.error}`, '');
    for (const o of r.outcomes) {
      if (o.status !== 'failed') continue;
      out.push(`${r.file}:${o.line} eval ${o.kind} ${o.expr}`, `    ${o.detail ?? ''}`, '');
    }
  }
  out.push('', '--- needs native histograms, not passing ---', '');
  for (const r of reports) {
    for (const o of r.outcomes) {
      if (o.status !== 'needs_native_histograms' || o.nhPassed) continue;
      out.push(`${r.file}:${o.line} eval ${o.kind} ${o.expr}`, `    ${o.nhFailure ?? ''}`, '');
    }
  }
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  writeFileSync(join(ROOT, 'test-artifacts', 'promql-failures.txt'), out.join('\n'));
});
