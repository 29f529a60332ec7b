// Offline checks of the container image definition and the lab setup script: the Dockerfile is
// multi-stage on pinned Node 20 slim, installs runtime dependencies with `npm ci --omit=dev`, builds
// the UI bundle in, runs as the non-root user the manifests expect, ENTRYPOINT ["strata"]; every
// path it copies exists and survives .dockerignore; the code `strata` loads needs no dev
// dependency; setup.sh says exactly which required tools are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO, loadGenerated, workloads, podTemplate } from '../deploy/testing.ts';

interface Instr {
  cmd: string;
  args: string;
  stage: number;
}

function dockerfile(): Instr[] {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Instr[] = [];
  let stage = -1;
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(l);
    assert.ok(m, `unparsable Dockerfile line: ${l}`);
    if (m[1] === 'FROM') stage++;
    out.push({ cmd: m[1]!, args: m[2]!, stage });
  }
  return out;
}

/** .dockerignore semantics (Go filepath.Match per pattern, `**` any depth, `!` re-includes, last match wins). */
function dockerIgnored(path: string): boolean {
  const pats = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let ignored = false;
  for (const raw of pats) {
    const neg = raw.startsWith('!');
    const p = (neg ? raw.slice(1) : raw).replace(/^\/+/, '');
    const re = new RegExp('^' + p.split('/').map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))).join('/').replace(/\(\?:\.\*\)\//g, '(?:.*/)?') + '(?:/.*)?$');
    if (re.test(path)) ignored = !neg;
  }
  return ignored;
}

test('Dockerfile: multi-stage on pinned Node 20 slim, npm ci --omit=dev, UI built in, non-root, ENTRYPOINT strata', () => {
  const ins = dockerfile();
  const froms = ins.filter((i) => i.cmd === 'FROM');
  assert.ok(froms.length >= 2, 'multi-stage');
  const nodeArg = /^ARG NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  assert.ok(nodeArg, 'ARG NODE_VERSION pinned to x.y.z');
  assert.equal(nodeArg[1], '20');
  for (const f of froms) assert.match(f.args, /^node:\$\{NODE_VERSION\}-bookworm-slim( AS \w+)?$/);
  const last = froms.length - 1;
  const run = (stage: number) => ins.filter((i) => i.stage === stage && i.cmd === 'RUN').map((i) => i.args).join('\n');
  // Runtime node_modules come from a stage that installed production dependencies only.
  const depsFrom = ins.find((i) => i.stage === last && i.cmd === 'COPY' && /node_modules/.test(i.args));
  assert.ok(depsFrom, 'runtime copies node_modules');
  const depsStageName = /--from=(\w+)/.exec(depsFrom.args)![1]!;
  const depsStage = froms.findIndex((f) => f.args.endsWith(` AS ${depsStageName}`));
  assert.match(run(depsStage), /npm ci --omit=dev/);
  // The UI bundle is built from source in the build stage and that src/ is what the image runs.
  const srcCopy = ins.find((i) => i.stage === last && i.cmd === 'COPY' && /--from=\w+ \/\w+\/src \.\/src$/.test(i.args));
  assert.ok(srcCopy, 'runtime src/ comes from the build stage');
  const buildStage = froms.findIndex((f) => f.args.endsWith(` AS ${/--from=(\w+)/.exec(srcCopy.args)![1]}`));
  assert.match(run(buildStage), /node scripts\/build-ui\.mjs/);
  assert.match(run(buildStage), /npm ci\b/);
  // Non-root, numeric (runAsNonRoot can only verify numeric users), the UID the manifests run as.
  const user = ins.filter((i) => i.stage === last && i.cmd === 'USER').pop();
  assert.ok(user, 'USER in the final stage');
  const uid = Number(user.args.split(':')[0]);
  assert.ok(Number.isInteger(uid) && uid > 0, user.args);
  for (const w of workloads(loadGenerated(['strata']))) assert.equal(podTemplate(w)!.spec.securityContext!.runAsUser, uid, w.metadata.name);
  const ep = ins.filter((i) => i.stage === last && i.cmd === 'ENTRYPOINT').pop();
  assert.equal(ep?.args, '["strata"]');
  assert.match(run(last), /ln -s \/app\/bin\/strata\.js \/usr\/local\/bin\/strata/);
  assert.match(readFileSync(join(REPO, 'bin/strata.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  // Ports the manifests use are the ones the image documents.
  const expose = ins.find((i) => i.stage === last && i.cmd === 'EXPOSE')!.args.split(/\s+/).map(Number).sort();
  assert.deepEqual(expose, [10901, 10902, 19291]);
});

test('every COPY source exists and is kept by .dockerignore; tests and deploy stay out', () => {
  for (const i of dockerfile().filter((x) => x.cmd === 'COPY' && !x.args.startsWith('--from'))) {
    const parts = i.args.split(/\s+/);
    for (const src of parts.slice(0, -1)) {
      assert.ok(existsSync(join(REPO, src)), `COPY ${src}: missing`);
      assert.equal(dockerIgnored(src), false, `COPY ${src} is excluded by .dockerignore`);
    }
  }
  for (const p of ['src/ui/web/app.ts', 'src/ui/app.ts', 'src/cli/main.ts', 'bin/strata.js', 'scripts/build-ui.mjs']) if (existsSync(join(REPO, p))) assert.equal(dockerIgnored(p), false, p);
  for (const p of ['node_modules/x', '.git/HEAD', 'test/deploy-files.test.ts', 'src/cli/flags.test.ts', 'deploy/generated/strata/receive.yaml', 'scripts/run-tests.mjs', 'README.md']) assert.equal(dockerIgnored(p), true, p);
});

test('the code `strata` loads imports only Node builtins and production dependencies (npm ci --omit=dev suffices)', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const deps = new Set(Object.keys(pkg.dependencies));
  const builtins = new Set(builtinModules);
  const seen = new Set<string>();
  const bare = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|[^\w.])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
      const full = m[0];
      const spec = (m[1] ?? m[2])!;
      if (/^\s*(?:import|export)\s+type\s/.test(full.replace(/^[^ie]*/, ''))) continue; // erased at runtime
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (existsSync(target)) visit(target);
        else assert.fail(`${relative(REPO, file)} imports missing ${spec}`);
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!bare.has(name)) bare.set(name, relative(REPO, file));
      }
    }
  };
  visit(join(REPO, 'bin/strata.js'));
  visit(join(REPO, 'src/cli/main.ts'));
  for (const f of ['receive.ts', 'store.ts', 'query.ts', 'compact.ts', 'all.ts']) assert.ok(seen.has(join(REPO, 'src/cli', f)), `${f} not reached`);
  assert.ok(seen.size > 50, `${seen.size} modules`);
  for (const n of ['commander', 'tsx', 'snappy', '@grpc/grpc-js', 'node:http']) assert.ok(bare.has(n), `${n} not seen: the import scan is broken`);
  for (const [name, from] of bare) {
    if (name.startsWith('node:') || builtins.has(name)) continue;
    assert.ok(deps.has(name), `${from} imports ${name}, which is not a production dependency`);
  }
});

async function fakeBin(tools: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fakebin-'));
  for (const t of tools) {
    await writeFile(join(dir, t), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, t), 0o755);
  }
  return dir;
}

function setup(path: string, ...args: string[]) {
  return spawnSync('/bin/bash', [join(REPO, 'deploy/lab/setup.sh'), ...args], { env: { PATH: path, HOME: tmpdir() }, encoding: 'utf8' });
}

test('setup.sh checks docker, kind, kubectl, helm and the argocd CLI and names exactly what is missing', async () => {
  assert.equal(spawnSync('/bin/bash', ['-n', join(REPO, 'deploy/lab/setup.sh')]).status, 0);
  const some = await fakeBin(['docker', 'kind', 'node']);
  const all = await fakeBin(['docker', 'kind', 'kubectl', 'helm', 'argocd', 'node']);
  const none = await fakeBin([]);
  try {
    let r = setup(some, '--check');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^setup: missing required tools: kubectl helm argocd$/m);
    assert.match(r.stderr, /kubectl: https:\/\/kubernetes\.io/);
    assert.match(r.stderr, /Helm 3/);
    assert.match(r.stderr, /Argo CD CLI/);
    assert.doesNotMatch(r.stderr, /docker|kind:/i);
    r = setup(none, '--check');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^setup: missing required tools: docker kind kubectl helm argocd node$/m);
    // Missing tools are reported before anything is attempted, whatever the mode.
    r = setup(some);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    r = setup(all, '--check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /all required tools found/);
    r = setup(all, '--bogus');
    assert.equal(r.status, 2);
  } finally {
    for (const d of [some, all, none]) await rm(d, { recursive: true, force: true });
  }
});

test('setup.sh applies the generated files that exist, in the documented order', () => {
  const text = readFileSync(join(REPO, 'deploy/lab/setup.sh'), 'utf8');
  for (const m of text.matchAll(/(deploy\/(?:generated|lab|manifests)\/[\w./-]+)/g)) assert.ok(existsSync(join(REPO, m[1]!)), m[1]);
  const order = ['kind create cluster', 'docker build', 'kind load docker-image', 'ingress-nginx', 'metallb', 'argo-cd', 'kubectl apply -f "$apps"', 'argocd app wait', 'lab/ingress.yaml'];
  let at = -1;
  for (const s of order) {
    const i = text.indexOf(s, at + 1);
    assert.ok(i > at, `${s} is out of order`);
    at = i;
  }
});
