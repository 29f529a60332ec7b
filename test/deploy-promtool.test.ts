// The Prometheus configuration in the generated ConfigMaps (plain and mTLS) is accepted by the real
// `promtool check config` (Prometheus 2.42, the version of the lab's image), and says what the lab
// needs: remote_write to the receiver Service with retry_on_http_429 and the `cluster` external label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML, stringify } from 'yaml';
import { loadGenerated, find, podTemplate, serviceBackends, targetContainerPort, type ServicePort } from '../deploy/testing.ts';

const PROMTOOL = '/usr/bin/promtool';

interface PromConfig {
  global: { external_labels: Record<string, string> };
  scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string }[] }[];
  remote_write: { url: string; headers?: Record<string, string>; queue_config: { retry_on_http_429?: boolean }; tls_config?: Record<string, string> }[];
}

function promtool(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function opensslCert(dir: string, name: string, extra: string[]): void {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

for (const dir of ['prometheus', 'prometheus-mtls']) {
  test(`promtool check config accepts the ${dir} ConfigMap's prometheus.yml`, async () => {
    assert.ok(existsSync(PROMTOOL), "promtool is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
    const objs = loadGenerated([dir, dir === 'prometheus' ? 'strata' : 'strata-mtls']);
    const text = find(objs, 'ConfigMap', 'prometheus-config', 'monitoring').data!['prometheus.yml']!;
    const cfg = parseYAML(text) as PromConfig;
    const tmp = await mkdtemp(join(tmpdir(), 'strata-promtool-'));
    try {
      let checked = text;
      const tls = cfg.remote_write[0]!.tls_config;
      if (tls) {
        // promtool checks that TLS files exist: the Secret mount is rewritten to real files here.
        opensslCert(tmp, 'ca', []);
        opensslCert(tmp, 'client', []);
        const files: Record<string, string> = { ca_file: join(tmp, 'ca.crt'), cert_file: join(tmp, 'client.crt'), key_file: join(tmp, 'client.key') };
        const c2 = structuredClone(cfg);
        for (const k of Object.keys(files)) {
          assert.ok(tls[k], `tls_config.${k}`);
          c2.remote_write[0]!.tls_config![k] = files[k]!;
        }
        checked = stringify(c2);
      }
      const file = join(tmp, 'prometheus.yml');
      await writeFile(file, checked);
      const r = promtool(['check', 'config', file]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /SUCCESS/);

      // What the lab relies on.
      assert.equal(cfg.global.external_labels.cluster, 'lab-1');
      const rw = cfg.remote_write[0]!;
      assert.equal(rw.queue_config.retry_on_http_429, true);
      assert.equal(rw.headers?.['THANOS-TENANT'], 'lab-1');
      const url = new URL(rw.url);
      assert.equal(url.protocol, tls ? 'https:' : 'http:');
      assert.equal(url.pathname, '/api/v1/receive');
      // The URL names the receiver's remote-write Service and its port.
      const [svcName, ns] = url.hostname.split('.');
      const svc = find(objs, 'Service', svcName!, ns);
      const sp = (svc.spec as { ports: ServicePort[] }).ports.find((p) => p.port === Number(url.port));
      assert.ok(sp, `${svcName} has no port ${url.port}`);
      const [be] = serviceBackends(objs, svc);
      assert.equal(be?.metadata.name, 'strata-receive');
      const tgt = targetContainerPort(be!, sp);
      assert.equal(tgt?.port, 19291);
      // With mTLS the receiver serves HTTPS on that port and requires client certificates.
      const args = podTemplate(be!)!.spec.containers[0]!.args!;
      const tlsFlags = args.filter((a) => a.startsWith('--remote-write.server-tls-'));
      assert.equal(tlsFlags.length, tls ? 3 : 0, args.join(' '));
      // The scrape job's SRV names are Services with a TCP port named http, backed by Strata pods.
      const job = cfg.scrape_configs.find((s) => s.job_name === 'strata');
      const names = job?.dns_sd_configs?.flatMap((d) => (assert.equal(d.type, 'SRV'), d.names)) ?? [];
      const scraped = new Set<string>();
      for (const n of names) {
        const m = /^_http\._tcp\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(n);
        assert.ok(m, n);
        const s = find(objs, 'Service', m[1]!, m[2]!);
        assert.ok((s.spec as { ports: ServicePort[] }).ports.some((p) => p.name === 'http' && (p.protocol ?? 'TCP') === 'TCP'), n);
        for (const b of serviceBackends(objs, s)) scraped.add(b.metadata.name);
      }
      assert.deepEqual([...scraped].sort(), ['strata-compact', 'strata-query', 'strata-receive', 'strata-store']);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

test('promtool rejects a misspelled remote_write option (the check is strict)', async () => {
  assert.ok(existsSync(PROMTOOL), "promtool is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const objs = loadGenerated(['prometheus']);
  const cfg = parseYAML(find(objs, 'ConfigMap', 'prometheus-config').data!['prometheus.yml']!) as PromConfig;
  const qc = cfg.remote_write[0]!.queue_config as Record<string, unknown>;
  qc.retry_on_http_492 = qc.retry_on_http_429;
  delete qc.retry_on_http_429;
  const tmp = await mkdtemp(join(tmpdir(), 'strata-promtool-'));
  try {
    await writeFile(join(tmp, 'p.yml'), stringify(cfg));
    const r = promtool(['check', 'config', join(tmp, 'p.yml')]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /retry_on_http_492/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
