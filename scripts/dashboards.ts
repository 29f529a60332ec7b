// `npm run dashboards`: generates the Grafana dashboards (deploy/grafana/dashboards/*.ts, written
// with @grafana/grafana-foundation-sdk) into deploy/grafana/dashboards/generated/*.json.
// `npm run dashboards -- --check` writes nothing and exits 1 when a generated file is out of date.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DASHBOARDS, dashboardJSON } from '../deploy/grafana/dashboards/index.ts';

export const GENERATED_DIR = resolve(import.meta.dirname, '..', 'deploy', 'grafana', 'dashboards', 'generated');

/** The files `npm run dashboards` writes: name → content. */
export function generatedFiles(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [d.file, dashboardJSON(d.build())]));
}

/** Names of generated files that differ from (or are missing in, or are extra in) the directory. */
export function staleFiles(dir = GENERATED_DIR): string[] {
  const want = generatedFiles();
  const stale: string[] = [];
  for (const [name, content] of want) {
    let have: string | null = null;
    try {
      have = readFileSync(join(dir, name), 'utf8');
    } catch {
      // missing
    }
    if (have !== content) stale.push(name);
  }
  let present: string[] = [];
  try {
    present = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    // no directory yet
  }
  for (const f of present) if (!want.has(f)) stale.push(f);
  return stale.sort();
}

function main(argv: string[]): void {
  if (argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      process.stderr.write(`dashboards: out of date: ${stale.join(', ')} — run npm run dashboards\n`);
      process.exit(1);
    }
    process.stdout.write('dashboards: generated JSON is up to date\n');
    return;
  }
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [name, content] of generatedFiles()) {
    writeFileSync(join(GENERATED_DIR, name), content);
    process.stdout.write(`dashboards: wrote deploy/grafana/dashboards/generated/${name}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
