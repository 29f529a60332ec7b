// `npm run manifests`: writes deploy/generated/** and deploy/lab/kind.yaml from the typed sources,
// validating every object against its schema first. `--check` compares instead of writing and
// exits 1 when a checked-in file differs or is stale.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestFiles, renderAll } from './index.ts';
import { GENERATED_DIR } from './config.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(relative(REPO, p));
  }
  return out;
}

/** Paths whose checked-in text differs from the generator's, plus stale files it no longer writes. */
export async function diffGenerated(): Promise<string[]> {
  const want = renderAll();
  const bad: string[] = [];
  for (const [p, text] of want) {
    const have = await readFile(join(REPO, p), 'utf8').catch(() => null);
    if (have !== text) bad.push(have === null ? `${p} (missing)` : `${p} (differs)`);
  }
  for (const p of await listFiles(join(REPO, GENERATED_DIR))) if (!want.has(p)) bad.push(`${p} (stale: not generated any more)`);
  return bad;
}

async function main(): Promise<void> {
  for (const f of manifestFiles()) {
    for (const o of f.objects) {
      try {
        o.validate();
      } catch (e) {
        throw new Error(`${f.path}: ${o.kind} ${o.metadata?.name ?? '?'}: ${(e as Error).message}`);
      }
    }
  }
  if (process.argv.includes('--check')) {
    const bad = await diffGenerated();
    if (bad.length) {
      process.stderr.write(`generated manifests are out of date (run npm run manifests):\n  ${bad.join('\n  ')}\n`);
      process.exit(1);
    }
    process.stdout.write('generated manifests are up to date\n');
    return;
  }
  await rm(join(REPO, GENERATED_DIR), { recursive: true, force: true });
  const all = renderAll();
  for (const [p, text] of all) {
    await mkdir(dirname(join(REPO, p)), { recursive: true });
    await writeFile(join(REPO, p), text);
  }
  process.stdout.write(`wrote ${all.size} files\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
