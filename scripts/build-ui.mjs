#!/usr/bin/env node
// Bundles the web UI (src/ui/app.ts + CSS) with esbuild into src/ui/dist/ (checked in, so `npm start`
// serves it with no build step and no network). Output is deterministic: the up-to-date test rebuilds
// into a temp dir and compares bytes.
// Usage: node scripts/build-ui.mjs [--outdir <dir>] [--quiet]
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = resolve(at >= 0 ? args[at + 1] : join(repo, 'src', 'ui', 'dist'));
const quiet = args.includes('--quiet');

await mkdir(outdir, { recursive: true });
for (const f of ['app.js', 'app.css', 'index.html']) await rm(join(outdir, f), { force: true });

const result = await build({
  entryPoints: [join(repo, 'src', 'ui', 'app.ts')],
  outdir,
  entryNames: 'app',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'eof',
  charset: 'utf8',
  metafile: true,
  logLevel: quiet ? 'error' : 'warning',
  absWorkingDir: repo,
});

const hash = async (f) => createHash('sha256').update(await readFile(join(outdir, f))).digest('hex').slice(0, 12);
const jsHash = await hash('app.js');
const cssHash = await hash('app.css');
// %API_PREFIX% is filled in by src/ui/server.ts when it serves the page.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="strata-api-prefix" content="%API_PREFIX%">
<title>Strata</title>
<link rel="stylesheet" href="/static/app.css?v=${cssHash}">
</head>
<body>
<noscript>The Strata UI needs JavaScript.</noscript>
<script src="/static/app.js?v=${jsHash}"></script>
</body>
</html>
`;
await writeFile(join(outdir, 'index.html'), html);
if (!quiet) {
  for (const [file, o] of Object.entries(result.metafile.outputs)) console.log(`${file}  ${(o.bytes / 1024).toFixed(1)} KiB`);
}
