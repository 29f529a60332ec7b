// The mTLS variant runs: the generated strata-receive container of deploy/generated/strata-mtls
// starts with its exact args (addresses and paths rewritten as in deploy-run), its
// remote-write-tls volume holding what cert-manager would put in Secret strata-receive-tls (tls.crt
// / tls.key for the Certificate's DNS names, ca.crt of the lab CA, made here with openssl). The
// real Prometheus (Debian 2.42) with the generated prometheus-mtls configuration — URL address and
// certificate paths rewritten, server_name kept — remote-writes over mutual TLS; a client without
// a certificate is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML, stringify } from 'yaml';
import { loadGenerated, find, probePort } from '../deploy/testing.ts';
import { LocalCluster } from '../deploy/localrun.ts';
import { startS3rver, type S3rverHandle } from '../src/objstore/testutil.ts';
import { STRATA_BIN, startProcess, startPrometheus, waitFor, getJSON, type Proc } from './helpers/procs.ts';

const PROMETHEUS = ['/usr/bin/prometheus'].find((p) => existsSync(p));

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA and two leaf certificates signed by it, like the lab CA Issuer's. */
async function makeCerts(dir: string, serverDNS: string[]): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=strata-lab-ca', '-keyout', 'ca.key', '-out', 'ca.crt', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const leaf = async (name: string, cn: string, ext: string) => {
    await writeFile(join(dir, `${name}.ext`), ext);
    openssl(['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
  };
  await leaf('server', serverDNS[0]!, `subjectAltName=${serverDNS.map((d) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  await leaf('client', 'prometheus', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
}

test('mTLS variant: Prometheus remote-writes to the generated receiver over mutual TLS; no client certificate, no write', { timeout: 180_000 }, async (t) => {
  assert.ok(PROMETHEUS, "prometheus is missing: install Debian's prometheus, promtool and prometheus-node-exporter (.ci/run does: apt-get install -y prometheus prometheus-node-exporter)");
  const objs = loadGenerated(['strata-mtls', 'prometheus-mtls']);
  const tmp = await mkdtemp(join(tmpdir(), 'strata-deploy-mtls-'));
  let s3: S3rverHandle | null = null;
  const procs: Proc[] = [];
  t.after(async () => {
    await Promise.all(procs.map((p) => p.stop(5000)));
    await s3?.close();
    await rm(tmp, { recursive: true, force: true });
  });
  s3 = await startS3rver('thanos');
  const s3h = s3;
  const lc = await LocalCluster.plan(objs.filter((o) => o.metadata.name !== 'strata-store' && o.metadata.name !== 'strata-query' && o.metadata.name !== 'strata-compact'), 'strata:', {
    dir: tmp,
    rewriteSecret: (name, key, text) => {
      if (name !== 'strata-objstore') return text;
      const c = parseYAML(text) as { config: Record<string, unknown> };
      Object.assign(c.config, { endpoint: s3h.endpoint, access_key: s3h.accessKey, secret_key: s3h.secretKey });
      return stringify(c);
    },
  });
  const recv = lc.pod('strata-receive');
  assert.equal(recv.args.filter((a) => a.startsWith('--remote-write.server-tls-')).length, 3);

  // What cert-manager would write into Secret strata-receive-tls for the generated Certificate.
  const cert = find(objs, 'Certificate', 'strata-receive-tls');
  const dnsNames = (cert.spec as { dnsNames: string[] }).dnsNames;
  const certDir = join(tmp, 'certs');
  await mkdir(certDir);
  await makeCerts(certDir, dnsNames);
  const tlsVol = recv.volumes.get('remote-write-tls')!;
  await writeFile(join(tlsVol, 'tls.crt'), readFileSync(join(certDir, 'server.crt')));
  await writeFile(join(tlsVol, 'tls.key'), readFileSync(join(certDir, 'server.key')));
  await writeFile(join(tlsVol, 'ca.crt'), readFileSync(join(certDir, 'ca.crt')));

  const proc = startProcess(process.execPath, [STRATA_BIN, ...recv.args]);
  procs.push(proc);
  const httpPort = recv.ports.get(probePort(recv.container, recv.container.readinessProbe!)!)!;
  await waitFor('receiver ready', async () => {
    if (proc.child.exitCode !== null) throw new Error(proc.output());
    return (await fetch(`http://127.0.0.1:${httpPort}/-/ready`).catch(() => null))?.status === 200;
  }, 60_000);
  const rwPort = recv.ports.get(19291)!;

  // Without a client certificate the TLS handshake is refused.
  const noCert = await new Promise<string>((resolve) => {
    const r = https.request({ host: '127.0.0.1', port: rwPort, path: '/api/v1/receive', method: 'POST', ca: readFileSync(join(certDir, 'ca.crt')), servername: dnsNames[0] }, (res) => resolve(`status ${res.statusCode}`));
    r.on('error', (e) => resolve(`error ${e.message}`));
    r.end();
  });
  assert.match(noCert, /^error /, noCert);
  // Plain HTTP is not served on the remote-write port either.
  const plain = await fetch(`http://127.0.0.1:${rwPort}/api/v1/receive`, { method: 'POST' }).then((r) => `status ${r.status}`, (e: Error) => `error ${e.message}`);
  assert.match(plain, /^error /, plain);

  // The generated Prometheus config, with the receiver's address and the certificate paths rewritten.
  const promCfg = parseYAML(find(objs, 'ConfigMap', 'prometheus-config').data!['prometheus.yml']!) as {
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    remote_write: { url: string; tls_config: Record<string, string>; queue_config: Record<string, unknown> }[];
  };
  const rw = promCfg.remote_write[0]!;
  const u = new URL(rw.url);
  assert.equal(u.protocol, 'https:');
  assert.ok(dnsNames.includes(rw.tls_config.server_name!), 'server_name is one of the certificate names');
  u.host = `127.0.0.1:${rwPort}`;
  rw.url = u.href;
  rw.tls_config.ca_file = join(certDir, 'ca.crt');
  rw.tls_config.cert_file = join(certDir, 'client.crt');
  rw.tls_config.key_file = join(certDir, 'client.key');
  rw.queue_config.batch_send_deadline = '1s';
  // Only the self-scrape job: the Strata SRV names do not resolve outside a cluster.
  promCfg.scrape_configs = promCfg.scrape_configs.filter((s) => s.job_name === 'prometheus');
  const promDir = join(tmp, 'prom');
  await mkdir(promDir);
  // startPrometheus picks the listen port, so the self-scrape target is rewritten to it after start
  // (until the reload it points nowhere).
  const prom = await startPrometheus(promDir, stringify(promCfg).replace('localhost:9090', '127.0.0.1:1'), ['--web.enable-lifecycle']);
  procs.push(prom.proc);
  const promPort = new URL(prom.url).port;
  await writeFile(join(promDir, 'prometheus.yml'), stringify(promCfg).replace('localhost:9090', `127.0.0.1:${promPort}`));
  const reload = await fetch(`${prom.url}/-/reload`, { method: 'POST' });
  assert.equal(reload.status, 200);

  const res = await waitFor('samples from Prometheus over mTLS', async () => {
    const r = await getJSON<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(`http://127.0.0.1:${httpPort}/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`);
    return r.data.result.length > 0 ? r : null;
  }, 90_000);
  const m = res.data.result[0]!.metric;
  assert.equal(m.cluster, 'lab-1');
  assert.equal(m.replica, 'strata-receive-0');
  assert.equal(res.data.result[0]!.value[1], '1');
  const metrics = await (await fetch(`${prom.url}/metrics`)).text();
  assert.match(metrics, /^prometheus_remote_storage_samples_failed_total\{[^}]*\} 0$/m);
});
