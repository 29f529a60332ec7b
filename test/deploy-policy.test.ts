// Policy checks over every generated workload and object: images pinned (Strata's from this repo's
// version), probes and resources on every container, nothing runs as root or escalates, read-only
// root filesystems, no hostPath or host namespaces, every referenced Secret/ConfigMap exists (or is
// created by cert-manager), templates are documented, and every Strata flag is one our CLI accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, loadGenerated, workloads, podTemplate, probePort, type Obj, type Container } from '../deploy/testing.ts';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const STRATA_IMAGE = `strata:${pkg.version}`;

/** Each variant is what one ArgoCD setup deploys together (plain or mTLS), plus the lab ingresses. */
const VARIANTS: Record<string, string[]> = {
  plain: ['strata', 'prometheus', 'grafana', 'lab'],
  mtls: ['strata-mtls', 'prometheus-mtls', 'grafana', 'lab'],
};

function allContainers(w: Obj): Container[] {
  const s = podTemplate(w)!.spec;
  return [...(s.initContainers ?? []), ...s.containers];
}

const all = loadGenerated();

test('images are pinned by tag; Strata containers run the image built from this repo', () => {
  let strata = 0;
  for (const w of workloads(all)) {
    for (const c of allContainers(w)) {
      const m = /^(?<repo>[a-z0-9./-]+):(?<tag>[A-Za-z0-9._-]+)$/.exec(c.image);
      assert.ok(m, `${w.file}: ${c.name}: image ${c.image} has no tag`);
      assert.ok(!/^latest$|^main$|^master$/.test(m.groups!.tag!), `${c.image}: floating tag`);
      assert.ok(!c.image.includes('@') || /@sha256:[0-9a-f]{64}$/.test(c.image));
      if (m.groups!.repo === 'strata') {
        assert.equal(c.image, STRATA_IMAGE, `${w.file}: ${c.name}`);
        strata++;
      } else {
        assert.match(m.groups!.tag!, /^v?\d+\.\d+\.\d+$/, `${c.image}: third-party images are pinned to a release`);
      }
    }
  }
  assert.equal(strata, 8, 'receive, store, query, compact in both variants');
});

test('every container has requests and limits for cpu and memory, readiness and liveness probes', () => {
  for (const w of workloads(all)) {
    for (const c of allContainers(w)) {
      const where = `${w.file}: ${w.metadata.name}/${c.name}`;
      for (const k of ['requests', 'limits'] as const) for (const r of ['cpu', 'memory']) assert.ok(c.resources?.[k]?.[r], `${where}: no ${k}.${r}`);
      for (const p of [c.readinessProbe, c.livenessProbe]) {
        assert.ok(p, `${where}: missing probe`);
        assert.ok(probePort(c, p) !== null, `${where}: probe port is not a container port`);
      }
      if (c.image.startsWith('strata:')) {
        // The Strata HTTP server: /-/ready is 503 until WAL replay / first sync is done.
        assert.equal(c.readinessProbe!.httpGet?.path, '/-/ready', where);
        assert.equal(c.livenessProbe!.httpGet?.path, '/-/healthy', where);
        assert.equal(c.readinessProbe!.httpGet?.port, 'http', where);
      }
    }
  }
});

test('no root, no privilege escalation, read-only root filesystems, all capabilities dropped', () => {
  for (const w of workloads(all)) {
    const spec = podTemplate(w)!.spec;
    const psc = spec.securityContext ?? {};
    assert.equal(psc.runAsNonRoot, true, `${w.metadata.name}: pod runAsNonRoot`);
    assert.ok(typeof psc.runAsUser === 'number' && psc.runAsUser > 0, `${w.metadata.name}: pod runAsUser`);
    for (const c of allContainers(w)) {
      const sc = c.securityContext ?? {};
      const where = `${w.metadata.name}/${c.name}`;
      assert.notEqual(sc.runAsUser, 0, where);
      assert.notEqual(sc.runAsNonRoot, false, where);
      assert.equal(sc.allowPrivilegeEscalation, false, where);
      assert.equal(sc.readOnlyRootFilesystem, true, where);
      assert.notEqual(sc.privileged, true, where);
      assert.deepEqual(sc.capabilities?.drop, ['ALL'], where);
      assert.equal(sc.capabilities?.add, undefined, where);
    }
  }
});

test('no hostPath volumes, host namespaces or host ports; writable paths are volumes', () => {
  for (const w of workloads(all)) {
    const spec = podTemplate(w)!.spec;
    assert.ok(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, w.metadata.name);
    for (const v of spec.volumes ?? []) assert.equal(v.hostPath, undefined, `${w.metadata.name}: hostPath volume ${v.name}`);
    const claims = ((w.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map((c) => c.metadata.name);
    const vols = new Set([...(spec.volumes ?? []).map((v) => v.name), ...claims]);
    for (const c of allContainers(w)) {
      for (const p of c.ports ?? []) assert.equal((p as { hostPort?: number }).hostPort, undefined, `${w.metadata.name}: hostPort`);
      for (const m of c.volumeMounts ?? []) assert.ok(vols.has(m.name), `${w.metadata.name}/${c.name}: mount ${m.name} has no volume`);
      if (c.image.startsWith('strata:')) {
        // tsx keeps its transpile cache in /tmp: it must be writable with a read-only root.
        assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp'), `${w.metadata.name}: no /tmp volume`);
        // Every path flag that writes (data dirs) is on a volume.
        for (const a of c.args ?? []) {
          const m = /^--(tsdb\.path|data-dir)=(.+)$/.exec(a);
          if (m) assert.ok(c.volumeMounts?.some((vm) => m[2]!.startsWith(vm.mountPath) && !vm.readOnly), `${w.metadata.name}: ${a} is not on a writable volume`);
        }
      }
    }
  }
});

test('every referenced Secret and ConfigMap exists (or is made by cert-manager); templates are documented', () => {
  const readme = readFileSync(join(REPO, 'deploy/README.md'), 'utf8');
  for (const [variant, dirs] of Object.entries(VARIANTS)) {
    const objs = loadGenerated(dirs);
    const byNs = (kind: string, ns: string) => new Set(objs.filter((o) => o.kind === kind && o.metadata.namespace === ns).map((o) => o.metadata.name));
    const certSecrets = (ns: string) => new Set(objs.filter((o) => o.kind === 'Certificate' && o.metadata.namespace === ns).map((o) => (o.spec as { secretName: string }).secretName));
    let refs = 0;
    for (const w of workloads(objs)) {
      const ns = w.metadata.namespace!;
      const secrets = new Set([...byNs('Secret', ns), ...certSecrets(ns)]);
      const cms = byNs('ConfigMap', ns);
      const spec = podTemplate(w)!.spec;
      const need = (set: Set<string>, name: string, what: string) => {
        refs++;
        assert.ok(set.has(name), `${variant}: ${w.metadata.name} references ${what} ${ns}/${name}, which nothing creates`);
      };
      for (const v of spec.volumes ?? []) {
        if (v.secret) need(secrets, v.secret.secretName, 'Secret');
        if (v.configMap) need(cms, v.configMap.name, 'ConfigMap');
      }
      for (const c of allContainers(w)) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) need(secrets, e.valueFrom.secretKeyRef.name, 'Secret');
          if (e.valueFrom?.configMapKeyRef) need(cms, e.valueFrom.configMapKeyRef.name, 'ConfigMap');
        }
        for (const e of c.envFrom ?? []) {
          if (e.secretRef) need(secrets, e.secretRef.name, 'Secret');
          if (e.configMapRef) need(cms, e.configMapRef.name, 'ConfigMap');
        }
      }
    }
    assert.ok(refs >= 8, `${variant}: ${refs} references`);
    // Secrets checked into git are lab templates: annotated and named in the README.
    for (const s of objs.filter((o) => o.kind === 'Secret')) {
      assert.equal(s.metadata.annotations?.['strata.dev/template'], 'true', `${s.metadata.name} is not marked as a template`);
      assert.ok(readme.includes(`\`${s.metadata.name}\``), `deploy/README.md does not document Secret ${s.metadata.name}`);
    }
  }
});

test('pods are scraped through annotations that name a container port', () => {
  for (const w of workloads(all)) {
    const t = podTemplate(w)!;
    if (w.metadata.name === 'grafana') continue; // Grafana is not part of the metrics path
    const a = t.metadata.annotations ?? {};
    assert.equal(a['prometheus.io/scrape'], 'true', w.metadata.name);
    const port = Number(a['prometheus.io/port']);
    assert.ok(t.spec.containers.some((c) => c.ports?.some((p) => p.containerPort === port)), `${w.metadata.name}: scrape port ${port}`);
  }
});

/** Long flags a `strata <cmd>` accepts, from its --help. */
function cliFlags(cmd: string): Set<string> {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/strata.js'), cmd, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const flags = new Set<string>();
  for (const m of r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z0-9][a-z0-9.-]*)/gm)) flags.add(m[1]!);
  return flags;
}

test('every flag in the Strata containers is one `strata <cmd> --help` lists', () => {
  const seen = new Set<string>();
  for (const w of workloads(all)) {
    for (const c of allContainers(w)) {
      if (!c.image.startsWith('strata:')) continue;
      const [cmd, ...rest] = c.args!;
      assert.ok(['receive', 'store', 'query', 'compact'].includes(cmd!), `${w.metadata.name}: ${cmd}`);
      const flags = cliFlags(cmd!);
      assert.ok(flags.size > 5, `no flags parsed for ${cmd}`);
      for (const a of rest) {
        const name = a.split('=')[0]!;
        assert.ok(flags.has(name), `${w.metadata.name}: strata ${cmd} has no flag ${name}`);
      }
      seen.add(cmd!);
    }
  }
  assert.deepEqual([...seen].sort(), ['compact', 'query', 'receive', 'store']);
});
