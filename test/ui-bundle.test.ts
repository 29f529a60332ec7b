// The bundle in src/ui/dist is checked in (so `npm ci && npm start` needs no build step); this test
// rebuilds it from the sources into a temp dir and requires identical bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, tempDir } from './helpers/procs.ts';

test('src/ui/dist is up to date with the UI sources (run `npm run build:ui`)', async () => {
  const dir = await tempDir('ui-build');
  try {
    await promisify(execFile)(process.execPath, [join(REPO, 'scripts', 'build-ui.mjs'), '--outdir', dir.path, '--quiet'], { cwd: REPO });
    const built = (await readdir(dir.path)).sort();
    assert.deepEqual(built, ['app.css', 'app.js', 'index.html']);
    for (const f of built) {
      const fresh = await readFile(join(dir.path, f));
      const checkedIn = await readFile(join(REPO, 'src', 'ui', 'dist', f)).catch(() => Buffer.alloc(0));
      assert.ok(fresh.equals(checkedIn), `src/ui/dist/${f} is stale: run \`npm run build:ui\` and commit it`);
    }
    // Keep the bundle small: the whole UI (editor, parser, charts) under 700 KiB minified.
    const js = await readFile(join(dir.path, 'app.js'));
    assert.ok(js.length < 700 * 1024, `app.js is ${js.length} bytes`);
  } finally {
    await dir.cleanup();
  }
});
