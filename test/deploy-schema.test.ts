// The generated Kubernetes lab validates against the pinned schemas (kubernetes-models 4.5 =
// Kubernetes 1.27 OpenAPI; the ArgoCD Application and cert-manager CRD schemas), the checked-in
// YAML is exactly what `npm run manifests` generates, and the cross-object wiring holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { z } from 'zod';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service, ServiceAccount, Namespace } from 'kubernetes-models/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { diffGenerated } from '../deploy/manifests/generate.ts';
import { renderAll } from '../deploy/manifests/index.ts';
import { metallbObjects } from '../deploy/manifests/metallb.ts';
import { SCHEMA_K8S_MINOR } from '../deploy/manifests/kind.ts';
import { REPO, listYaml, loadFile, loadGenerated, find, serviceBackends, targetContainerPort, podTemplate, type Obj, type ServicePort } from '../deploy/testing.ts';
import { parseBucketConfig } from '../src/objstore/config.ts';

interface Validatable {
  validate(): void;
}
type ModelCtor = new (data: never) => Validatable;

const MODELS: Record<string, ModelCtor> = {
  'apps/v1/Deployment': Deployment as unknown as ModelCtor,
  'apps/v1/StatefulSet': StatefulSet as unknown as ModelCtor,
  'v1/ConfigMap': ConfigMap as unknown as ModelCtor,
  'v1/Secret': Secret as unknown as ModelCtor,
  'v1/Service': Service as unknown as ModelCtor,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelCtor,
  'v1/Namespace': Namespace as unknown as ModelCtor,
  'networking.k8s.io/v1/Ingress': Ingress as unknown as ModelCtor,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole as unknown as ModelCtor,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding as unknown as ModelCtor,
  'argoproj.io/v1alpha1/Application': Application as unknown as ModelCtor,
  'cert-manager.io/v1/Certificate': Certificate as unknown as ModelCtor,
  'cert-manager.io/v1/Issuer': Issuer as unknown as ModelCtor,
};

function validateDoc(o: Record<string, unknown>): void {
  const key = `${String(o.apiVersion)}/${String(o.kind)}`;
  const M = MODELS[key];
  if (!M) throw new Error(`no schema for ${key}`);
  const { file: _file, ...doc } = o;
  new M(doc as never).validate();
}

test('every checked-in generated object validates against its pinned schema', () => {
  const files = listYaml();
  assert.ok(files.length >= 20, `expected the generated tree, found ${files.length} files`);
  const kinds = new Set<string>();
  let n = 0;
  for (const f of files) {
    for (const o of loadFile(f)) {
      assert.doesNotThrow(() => validateDoc(o), (e: unknown) => `${o.file}: ${o.kind}/${o.metadata?.name}: ${(e as Error).message}`);
      kinds.add(o.kind);
      n++;
    }
  }
  for (const k of ['StatefulSet', 'Deployment', 'Service', 'Secret', 'ConfigMap', 'Ingress', 'Application', 'Certificate', 'Issuer']) assert.ok(kinds.has(k), `no ${k} generated`);
  assert.ok(n >= 50, `only ${n} objects`);
});

test('the validators reject broken objects (so passing means something)', () => {
  const sts = find(loadGenerated(['strata']), 'StatefulSet', 'strata-receive');
  const bad = structuredClone(sts) as Obj;
  (podTemplate(bad)!.spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'grpc';
  assert.throws(() => validateDoc(bad), /containerPort/);
  const bad2 = structuredClone(sts) as Obj;
  delete (bad2.spec as Record<string, unknown>).selector;
  assert.throws(() => validateDoc(bad2), /selector/);
  const app = structuredClone(find(loadGenerated(['argocd']), 'Application', 'strata')) as Obj;
  delete (app.spec as Record<string, unknown>).destination;
  assert.throws(() => validateDoc(app), /destination/);
  const cert = structuredClone(find(loadGenerated(['strata-mtls']), 'Certificate', 'strata-receive-tls')) as Obj;
  delete (cert.spec as Record<string, unknown>).issuerRef;
  assert.throws(() => validateDoc(cert), /issuerRef/);
});

test('checked-in YAML equals what npm run manifests generates (no stale or missing files)', async () => {
  assert.deepEqual(await diffGenerated(), []);
  const all = renderAll();
  assert.ok(all.has('deploy/lab/kind.yaml'));
  // Rendering twice gives identical text (deterministic output).
  assert.deepEqual([...renderAll()], [...all]);
});

test('kind.yaml is a kind.x-k8s.io/v1alpha4 Cluster with the ingress-ready node mapping 80/443', () => {
  const portMapping = z.strictObject({ containerPort: z.number().int(), hostPort: z.number().int(), protocol: z.enum(['TCP', 'UDP', 'SCTP']), listenAddress: z.string().optional() });
  const node = z.strictObject({
    role: z.enum(['control-plane', 'worker']),
    image: z.string().regex(/^kindest\/node:v\d+\.\d+\.\d+$/).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    extraPortMappings: z.array(portMapping).optional(),
  });
  const schema = z.strictObject({
    kind: z.literal('Cluster'),
    apiVersion: z.literal('kind.x-k8s.io/v1alpha4'),
    name: z.string(),
    networking: z.strictObject({ apiServerAddress: z.string().optional(), podSubnet: z.string().optional(), serviceSubnet: z.string().optional() }).optional(),
    nodes: z.array(node).min(1),
  });
  const text = readFileSync(join(REPO, 'deploy/lab/kind.yaml'), 'utf8');
  const cfg = schema.parse(parseYAML(text));
  const cp = cfg.nodes.find((n) => n.role === 'control-plane');
  assert.equal(cp?.labels?.['ingress-ready'], 'true');
  assert.deepEqual(cp?.extraPortMappings?.map((m) => m.containerPort).sort(), [443, 80]);
  // The schema package is pinned, and its schemas are those of Kubernetes SCHEMA_K8S_MINOR (1.33:
  // Lifecycle.stopSignal exists, 1.34's Container.restartPolicyRules does not); the Kind nodes
  // run a release no newer than that.
  const k8s = JSON.parse(readFileSync(join(REPO, 'node_modules/kubernetes-models/package.json'), 'utf8')) as { version: string };
  assert.equal(k8s.version, '4.5.1');
  const schemaDir = join(REPO, 'node_modules/kubernetes-models/_schemas');
  assert.match(readFileSync(join(schemaDir, 'IoK8sApiCoreV1Lifecycle.mjs'), 'utf8'), /stopSignal/);
  assert.doesNotMatch(readFileSync(join(schemaDir, 'IoK8sApiCoreV1Container.mjs'), 'utf8'), /restartPolicyRules/);
  assert.equal(SCHEMA_K8S_MINOR, '1.33');
  for (const n of cfg.nodes) {
    const v = /^kindest\/node:v1\.(\d+)\.\d+$/.exec(n.image ?? '');
    assert.ok(v && Number(v[1]) <= 33, `${n.image} is newer than the schemas`);
  }
});

test('MetalLB pool rendering accepts ranges and CIDRs and rejects garbage', () => {
  const [pool, l2] = metallbObjects('172.18.255.200-172.18.255.250');
  assert.deepEqual(pool.spec.addresses, ['172.18.255.200-172.18.255.250']);
  assert.deepEqual(l2.spec.ipAddressPools, [pool.metadata.name]);
  assert.equal(metallbObjects('10.0.0.0/24')[0].spec.addresses[0], '10.0.0.0/24');
  assert.throws(() => metallbObjects('172.18.300.1-172.18.300.9'));
  assert.throws(() => metallbObjects('not-a-range'));
});

test('objstore Secret holds the seed MinIO config in Thanos objstore.yml form, accepted by our loader', () => {
  for (const dir of ['strata', 'strata-mtls']) {
    const sec = find(loadGenerated([dir]), 'Secret', 'strata-objstore', 'monitoring');
    const text = sec.stringData?.['objstore.yml'];
    assert.ok(text);
    const cfg = parseBucketConfig(text, {});
    assert.equal(cfg.type, 'S3');
    if (cfg.type !== 'S3') return;
    // The seed configuration from the issue: bucket thanos on the tenant's in-cluster HTTP endpoint.
    assert.equal(cfg.config.bucket, 'thanos');
    assert.equal(cfg.config.endpoint, 'minio.minio-tenant.svc.cluster.local:80');
    assert.equal(cfg.config.insecure, true);
    assert.equal(cfg.config.bucket_lookup_type, 'path');
    assert.ok(cfg.config.access_key && cfg.config.secret_key);
  }
});

function servicePorts(svc: Obj): ServicePort[] {
  return (svc.spec as { ports: ServicePort[] }).ports;
}

test('Services select a workload and every port targets a declared container port', () => {
  for (const dir of ['strata', 'strata-mtls', 'prometheus', 'grafana']) {
    const objs = loadGenerated([dir]);
    for (const svc of objs.filter((o) => o.kind === 'Service')) {
      const backends = serviceBackends(objs, svc);
      assert.equal(backends.length, 1, `${svc.file}: Service ${svc.metadata.name} selects ${backends.length} workloads`);
      for (const sp of servicePorts(svc)) assert.ok(targetContainerPort(backends[0]!, sp), `${svc.metadata.name}:${sp.name} targets no container port`);
    }
  }
});

test('querier endpoints are DNS SRV names of headless Services with a TCP port named grpc', () => {
  const objs = loadGenerated(['strata']);
  const q = find(objs, 'Deployment', 'strata-query');
  const args = podTemplate(q)!.spec.containers[0]!.args!;
  const eps = args.filter((a) => a.startsWith('--endpoint=')).map((a) => a.slice('--endpoint='.length));
  assert.equal(eps.length, 2);
  const targets = new Set<string>();
  for (const e of eps) {
    // Kubernetes DNS: _<port-name>._<proto>.<service>.<ns>.svc.cluster.local for named ports.
    const m = /^dnssrv\+_([a-z0-9-]+)\._(tcp|udp)\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(e);
    assert.ok(m, e);
    const svc = find(objs, 'Service', m[3]!, m[4]!);
    assert.equal((svc.spec as { clusterIP?: string }).clusterIP, 'None', `${m[3]} must be headless for per-pod SRV records`);
    const port = servicePorts(svc).find((p) => p.name === m[1]);
    assert.ok(port && (port.protocol ?? 'TCP') === m[2]!.toUpperCase(), `${m[3]} has no ${m[2]} port named ${m[1]}`);
    const be = serviceBackends(objs, svc);
    targets.add(be[0]!.metadata.name);
  }
  assert.deepEqual([...targets].sort(), ['strata-receive', 'strata-store']);
});

test('Grafana: datasource is the querier Service on 9090; the generated dashboards are provisioned as they are', () => {
  const objs = loadGenerated(['grafana', 'strata']);
  const ds = parseYAML(find(objs, 'ConfigMap', 'grafana-datasources').data!['strata.yaml']!) as { datasources: { type: string; url: string; uid: string; isDefault: boolean }[] };
  const d = ds.datasources[0]!;
  assert.equal(d.type, 'prometheus');
  assert.equal(d.url, 'http://strata-query.monitoring.svc.cluster.local:9090');
  const u = new URL(d.url);
  const [svcName, ns] = u.hostname.split('.');
  const svc = find(objs, 'Service', svcName!, ns);
  assert.ok(servicePorts(svc).some((p) => p.port === Number(u.port) && p.name === 'http'));
  // The dashboards of deploy/grafana/dashboards/generated, byte for byte, all on this datasource.
  const dash = find(objs, 'ConfigMap', 'grafana-dashboards-strata');
  const dir = join(REPO, 'deploy/grafana/dashboards/generated');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 1);
  assert.deepEqual(Object.keys(dash.data!).sort(), files);
  let refs = 0;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.equal(dash.data![f], text, f);
    for (const m of text.matchAll(/"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"/g)) {
      refs++;
      assert.ok(m[1] === d.uid || m[1]!.startsWith('$') || m[1] === '-- Grafana --', `${f}: datasource ${m[1]}`);
    }
  }
  assert.ok(refs > 0);
  // The provider points at the directory the dashboards ConfigMap is mounted on.
  const prov = parseYAML(find(objs, 'ConfigMap', 'grafana-dashboard-providers').data!['strata.yaml']!) as { providers: { options: { path: string } }[] };
  const g = podTemplate(find(objs, 'Deployment', 'grafana'))!.spec;
  const vol = g.volumes!.find((v) => v.configMap?.name === 'grafana-dashboards-strata')!;
  assert.equal(g.containers[0]!.volumeMounts!.find((m) => m.name === vol.name)!.mountPath, prov.providers[0]!.options.path);
});

test('an Ingress for every lab host, each backed by a Service port that exists', () => {
  const objs = loadGenerated();
  const ingresses = objs.filter((o) => o.kind === 'Ingress');
  const hosts = new Map<string, Obj>();
  for (const i of ingresses) for (const r of (i.spec as { rules: { host: string }[] }).rules) hosts.set(r.host, i);
  for (const h of ['grafana.local', 'prometheus.local', 'minio-console.local', 'argocd.myorg.com', 'strata-query.local', 'strata-receive.local']) assert.ok(hosts.has(h), `no Ingress for ${h}`);
  // Services in namespaces this repo deploys must exist with the port; the MinIO console and the
  // ArgoCD server come from the MinIO tenant chart and the ArgoCD install (names documented).
  for (const i of ingresses) {
    const ns = i.metadata.namespace!;
    for (const r of (i.spec as { rules: { http: { paths: { backend: { service: { name: string; port: { number?: number; name?: string } } } }[] } }[] }).rules) {
      for (const p of r.http.paths) {
        const b = p.backend.service;
        if (ns !== 'monitoring') {
          assert.ok(['strata-minio-console', 'argocd-server'].includes(b.name), `${b.name} in ${ns}`);
          continue;
        }
        const svcs = objs.filter((o) => o.kind === 'Service' && o.metadata.name === b.name && o.metadata.namespace === ns);
        assert.ok(svcs.length > 0, `Ingress ${i.metadata.name}: no Service ${b.name}`);
        for (const s of svcs) assert.ok(servicePorts(s).some((sp) => sp.port === b.port.number || sp.name === b.port.name), `Service ${b.name} has no port ${JSON.stringify(b.port)}`);
      }
    }
  }
});

test('ArgoCD Applications point at generated directories or pinned Helm charts', () => {
  for (const f of ['applications.yaml', 'applications-mtls.yaml']) {
    const apps = loadFile(join(REPO, 'deploy/generated/argocd', f));
    assert.deepEqual(apps.map((a) => a.metadata.name).sort(), ['grafana', 'minio-operator', 'minio-tenant', 'prometheus', 'strata']);
    for (const a of apps) {
      const src = (a.spec as { source: { path?: string; chart?: string; targetRevision: string } }).source;
      if (src.path) assert.ok(existsSync(join(REPO, src.path)), `${a.metadata.name}: ${src.path} does not exist`);
      else assert.match(src.targetRevision, /^\d+\.\d+\.\d+$/, `${a.metadata.name}: chart ${src.chart} not pinned`);
    }
  }
});
