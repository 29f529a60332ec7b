import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createBucket,
  parseBucketConfig,
  parsePromDuration,
  expandEnv,
  readObjstoreConfig,
  s3OptionsFromConfig,
  ObjstoreConfigError,
} from './config.ts';
import { FilesystemBucket } from './filesystem.ts';
import { S3Bucket, endpointURL, usePathStyle } from './s3.ts';
import { PrefixedBucket } from './prefixed.ts';

const SEED = `type: s3
config:
  bucket: thanos
  endpoint: minio.minio-tenant.svc.cluster.local:80
  access_key: minio
  secret_key: minio123
  insecure: true
`;

test('the seed MinIO objstore.yml parses unchanged, with Thanos defaults for everything else', () => {
  const c = parseBucketConfig(SEED);
  assert.equal(c.type, 'S3');
  assert.equal(c.prefix, '');
  assert.deepEqual(c.config, {
    bucket: 'thanos',
    endpoint: 'minio.minio-tenant.svc.cluster.local:80',
    access_key: 'minio',
    secret_key: 'minio123',
    insecure: true,
  });
  if (c.type !== 'S3') return;
  const o = s3OptionsFromConfig(c.config);
  // Defaults from objstore providers/s3 DefaultConfig and exthttp.DefaultHTTPConfig.
  assert.equal(o.partSize, 64 * 1024 * 1024);
  assert.equal(o.sendContentMd5, true);
  assert.equal(o.bucketLookupType, 'auto');
  assert.equal(o.listObjectsVersion, 'v2');
  assert.equal(o.http?.idleConnTimeoutMs, 90_000);
  assert.equal(o.http?.responseHeaderTimeoutMs, 120_000);
  assert.equal(o.http?.tlsHandshakeTimeoutMs, 10_000);
  assert.equal(o.accessKey, 'minio');
  assert.equal(o.secretKey, 'minio123');
  assert.equal(endpointURL(o.endpoint, o.insecure ?? false), 'http://minio.minio-tenant.svc.cluster.local:80');
});

test('type names are case-insensitive, as in Thanos', async () => {
  for (const t of ['s3', 'S3', 'S3']) assert.equal(parseBucketConfig(SEED.replace('type: s3', `type: ${t}`)).type, 'S3');
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-cfg-'));
  try {
    for (const t of ['FILESYSTEM', 'filesystem', 'FileSystem']) {
      const b = createBucket(`type: ${t}\nconfig:\n  directory: ${dir}\n`);
      assert.ok(b instanceof FilesystemBucket);
      assert.equal(b.name(), `fs: ${dir}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('$(ENV_VAR) references are expanded; an unset variable is an error naming it', () => {
  const env = { S3_ACCESS: 'AKIA', S3_SECRET: 's3cr3t', S3_HOST: 'minio:9000' };
  const c = parseBucketConfig(
    'type: S3\nconfig:\n  bucket: b\n  endpoint: $(S3_HOST)\n  access_key: $(S3_ACCESS)\n  secret_key: "$(S3_SECRET)"\n',
    env,
  );
  assert.equal(c.type === 'S3' && c.config.access_key, 'AKIA');
  assert.equal(c.type === 'S3' && c.config.secret_key, 's3cr3t');
  assert.equal(c.type === 'S3' && c.config.endpoint, 'minio:9000');
  assert.throws(() => parseBucketConfig('type: S3\nconfig:\n  bucket: b\n  endpoint: x\n  access_key: $(NOPE_UNSET)\n', env), {
    message: 'found reference to unset environment variable "NOPE_UNSET"',
  });
  // Only the $(NAME) form is expanded (not $NAME or ${NAME}), as Thanos.
  assert.equal(expandEnv('a $X ${X} $(X)', { X: '1' }), 'a $X ${X} 1');
});

test('validation errors name the offending key', () => {
  const bad = (yaml: string, re: RegExp) => assert.throws(() => parseBucketConfig(yaml), (e: unknown) => e instanceof ObjstoreConfigError && re.test(e.message));
  bad(SEED.replace('access_key', 'acess_key'), /unknown key "config\.acess_key"/);
  bad(SEED + 'extra: 1\n', /unknown key "extra"/);
  bad(SEED + '  http_config:\n    idle_conn_timeout: 1.5 minutes\n', /config\.http_config\.idle_conn_timeout: not a valid duration string/);
  bad(SEED + '  http_config:\n    idle_timeout: 1m\n', /unknown key "config\.http_config\.idle_timeout"/);
  bad(SEED + '  bucket_lookup_type: dns\n', /config\.bucket_lookup_type/);
  bad(SEED + '  list_objects_version: v3\n', /config\.list_objects_version/);
  bad(SEED + '  part_size: -1\n', /config\.part_size/);
});

test('Thanos S3 validation rules and messages', () => {
  const base = 'type: S3\nconfig:\n  bucket: b\n';
  const msg = (yaml: string) => {
    try {
      parseBucketConfig(yaml);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(msg(base), 'invalid objstore config: config.endpoint: required key is missing');
  assert.match(msg(base + '  endpoint: ""\n'), /no s3 endpoint in config file/);
  assert.match(msg(base + '  endpoint: e\n  access_key: a\n'), /config\.secret_key: no s3 secret_key specified while access_key is present/);
  assert.match(msg(base + '  endpoint: e\n  secret_key: s\n'), /config\.access_key: no s3 access_key specified while secret_key is present/);
  assert.match(msg(base + '  endpoint: e\n  aws_sdk_auth: true\n  access_key: a\n  secret_key: s\n'), /aws_sdk_auth and access_key are mutually exclusive/);
  assert.match(msg(base + '  endpoint: e\n  sse_config:\n    type: SSE-C\n'), /encryption_key must be set if sse_config.type is set to 'SSE-C'/);
  assert.match(msg(base + '  endpoint: e\n  sse_config:\n    type: SSE-KMS\n'), /kms_key_id must be set if sse_config.type is set to 'SSE-KMS'/);
  assert.match(msg(base + '  endpoint: e\n  sse_config:\n    type: AES\n'), /config\.sse_config\.type/);
  assert.match(msg('type: GCS\nconfig:\n  bucket: b\n'), /bucket with type GCS is not supported/);
  assert.match(msg('type: FILESYSTEM\nconfig: {}\n'), /config\.directory/);
  assert.match(msg('config:\n  directory: x\n'), /type/);
  assert.match(msg('type: [\n'), /parsing config YAML file/);
  assert.match(msg('- a\n- b\n'), /expected a mapping/);
  assert.match(msg(SEED.replace('insecure: true', 'insecure: maybe')), /config\.insecure: Invalid input: expected boolean/);
});

test('empty config: filesystem bucket in the default directory; flag pair handling', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-cfg-'));
  try {
    const b = createBucket('', { defaultDir: path.join(dir, 'bucket') });
    assert.ok(b instanceof FilesystemBucket);
    assert.equal(b.rootDir, path.join(dir, 'bucket'));
    assert.throws(() => createBucket('  \n'), /no objstore configuration/);
    const f = path.join(dir, 'objstore.yml');
    await writeFile(f, SEED);
    assert.equal(readObjstoreConfig({ configFile: f }), SEED);
    assert.equal(readObjstoreConfig({ config: SEED }), SEED);
    assert.equal(readObjstoreConfig({}), '');
    assert.throws(() => readObjstoreConfig({ configFile: f, config: SEED }), /both file and content are set/);
    assert.throws(() => readObjstoreConfig({ configFile: path.join(dir, 'missing.yml') }), /loading YAML file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('prefix: wraps the bucket unless empty or only slashes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-cfg-'));
  try {
    const fs = `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`;
    assert.ok(createBucket(fs) instanceof FilesystemBucket);
    assert.ok(createBucket(fs + 'prefix: ""\n') instanceof FilesystemBucket);
    assert.ok(createBucket(fs + 'prefix: "///"\n') instanceof FilesystemBucket);
    const p = createBucket(fs + 'prefix: /a/b/\n');
    assert.ok(p instanceof PrefixedBucket);
    assert.equal(p.prefix, 'a/b');
    await p.put('k/obj', new TextEncoder().encode('v'));
    const plain = createBucket(fs);
    assert.equal(new TextDecoder().decode(await plain.get('a/b/k/obj')), 'v');
    const seen: string[] = [];
    await p.iter('', (k) => void seen.push(k), { recursive: true });
    assert.deepEqual(seen, ['k/obj']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Prometheus duration syntax', () => {
  assert.equal(parsePromDuration('90s'), 90_000);
  assert.equal(parsePromDuration('1m30s'), 90_000);
  assert.equal(parsePromDuration('2h'), 7_200_000);
  assert.equal(parsePromDuration('1d'), 86_400_000);
  assert.equal(parsePromDuration('1w'), 7 * 86_400_000);
  assert.equal(parsePromDuration('1y'), 365 * 86_400_000);
  assert.equal(parsePromDuration('100ms'), 100);
  assert.equal(parsePromDuration('1h2m3s4ms'), 3_723_004);
  assert.equal(parsePromDuration('0'), 0);
  for (const bad of ['', '1.5s', 'abc', '5', '1s1m', '-1s']) assert.throws(() => parsePromDuration(bad), /not a valid duration/, bad);
});

test('S3 addressing: endpoint scheme and bucket lookup type', () => {
  assert.equal(endpointURL('minio:9000', true), 'http://minio:9000');
  assert.equal(endpointURL('s3.eu-west-1.amazonaws.com', false), 'https://s3.eu-west-1.amazonaws.com');
  assert.equal(endpointURL('https://minio:9000', true), 'https://minio:9000');
  assert.equal(usePathStyle('http://minio:9000', 'auto'), true);
  assert.equal(usePathStyle('https://s3.eu-west-1.amazonaws.com', 'auto'), false);
  assert.equal(usePathStyle('https://s3.amazonaws.com', 'path'), true);
  assert.equal(usePathStyle('http://minio:9000', 'virtual-hosted'), false);
});

test('S3 options: user metadata storage class, SSE, TLS files, warnings for unsupported keys', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-cfg-'));
  try {
    const key = path.join(dir, 'sse.key');
    await writeFile(key, Buffer.alloc(32, 7));
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, m: string) => void warnings.push(m) };
    const c = parseBucketConfig(
      SEED +
        `  signature_version2: true\n  put_user_metadata:\n    X-Amz-Storage-Class: STANDARD_IA\n    team: obs\n  sse_config:\n    type: SSE-C\n    encryption_key: ${key}\n  http_config:\n    idle_conn_timeout: 1m\n    response_header_timeout: 30s\n    insecure_skip_verify: true\n`,
    );
    assert.equal(c.type, 'S3');
    if (c.type !== 'S3') return;
    const o = s3OptionsFromConfig(c.config, logger);
    assert.deepEqual(warnings, ['objstore s3: signature_version2 is not supported; using signature v4']);
    assert.equal(o.sse?.type, 'SSE-C');
    assert.equal(o.http?.idleConnTimeoutMs, 60_000);
    assert.equal(o.http?.responseHeaderTimeoutMs, 30_000);
    assert.equal(o.http?.insecureSkipVerify, true);
    const b = new S3Bucket(o);
    await b.close();
    await writeFile(key, Buffer.alloc(16));
    assert.throws(() => s3OptionsFromConfig(c.config), /32-byte key/);
    const c2 = parseBucketConfig(SEED + `  http_config:\n    tls_config:\n      ca_file: ${path.join(dir, 'nope.pem')}\n`);
    assert.throws(() => c2.type === 'S3' && s3OptionsFromConfig(c2.config), /ca_file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
