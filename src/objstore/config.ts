// objstore.yml: the Thanos bucket configuration format (thanos-io/objstore client/factory.go),
//
//   type: S3 | FILESYSTEM        (case-insensitive)
//   config: { …provider keys… }
//   prefix: optional/key/prefix
//
// read from --objstore.config-file or inline --objstore.config, with $(ENV_VAR) references expanded
// as Thanos does (an unset variable is an error). Unknown keys are rejected, as Thanos' strict YAML
// unmarshalling does, with a message naming the key.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYAML } from 'yaml';
import { z } from 'zod';
import { type Bucket, type ObjstoreLogger, nopLogger } from './bucket.ts';
import { FilesystemBucket } from './filesystem.ts';
import { S3Bucket, type S3BucketOptions, type SSEOptions, DEFAULT_PART_SIZE } from './s3.ts';
import { withPrefix } from './prefixed.ts';

export class ObjstoreConfigError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ObjstoreConfigError';
  }
}

const envRe = /\$\(([a-zA-Z_0-9]+)\)/g;

/** Replaces $(NAME) with the environment variable's value (Kubernetes style, like Thanos' expandEnv). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(envRe, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw new ObjstoreConfigError(`found reference to unset environment variable "${name}"`);
    return v;
  });
}

const durationRe = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const unitMs = [365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1];

/** Parses a Prometheus duration ("90s", "1m30s", "2h", "1d", "100ms", "0") into milliseconds. */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0;
  const m = durationRe.exec(s);
  if (!m || s === '') throw new Error(`not a valid duration string: "${s}"`);
  let ms = 0;
  for (let i = 0; i < unitMs.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * unitMs[i]!;
  return ms;
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parsePromDuration(String(v));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const str = z.string();
const bool = z.boolean();
const nonNegInt = z.number().int().nonnegative();

const tlsSchema = z.strictObject({
  ca_file: str.optional(),
  cert_file: str.optional(),
  key_file: str.optional(),
  server_name: str.optional(),
  insecure_skip_verify: bool.optional(),
});

const httpSchema = z.strictObject({
  idle_conn_timeout: duration.optional(),
  response_header_timeout: duration.optional(),
  insecure_skip_verify: bool.optional(),
  tls_handshake_timeout: duration.optional(),
  expect_continue_timeout: duration.optional(),
  max_idle_conns: nonNegInt.optional(),
  max_idle_conns_per_host: nonNegInt.optional(),
  max_conns_per_host: nonNegInt.optional(),
  tls_config: tlsSchema.optional(),
  force_attempt_http2: bool.optional(),
  disable_compression: bool.optional(),
});

export const s3ConfigSchema = z
  .strictObject({
    bucket: str.min(1, 'no s3 bucket in config'),
    endpoint: str.min(1, 'no s3 endpoint in config file'),
    region: str.optional(),
    disable_dualstack: bool.optional(),
    aws_sdk_auth: bool.optional(),
    access_key: str.optional(),
    insecure: bool.optional(),
    signature_version2: bool.optional(),
    secret_key: str.optional(),
    session_token: str.optional(),
    put_user_metadata: z.record(z.string(), z.string()).optional(),
    http_config: httpSchema.optional(),
    trace: z.strictObject({ enable: bool.optional() }).optional(),
    list_objects_version: z.enum(['', 'v1', 'v2']).optional(),
    bucket_lookup_type: z.enum(['auto', 'virtual-hosted', 'path']).optional(),
    send_content_md5: bool.optional(),
    disable_multipart: bool.optional(),
    part_size: nonNegInt.optional(),
    sse_config: z
      .strictObject({
        type: z.enum(['', 'SSE-S3', 'SSE-KMS', 'SSE-C']).optional(),
        kms_key_id: str.optional(),
        kms_encryption_context: z.record(z.string(), z.string()).optional(),
        encryption_key: str.optional(),
      })
      .optional(),
    sts_endpoint: str.optional(),
    /** Strata extension: retries per request after the first attempt (default 10, as minio-go). */
    max_retries: nonNegInt.optional(),
  })
  .superRefine((c, ctx) => {
    // Same checks, same wording as objstore providers/s3 validate().
    if (c.aws_sdk_auth && c.access_key) ctx.addIssue({ code: 'custom', path: ['aws_sdk_auth'], message: 'aws_sdk_auth and access_key are mutually exclusive configurations' });
    if (!c.access_key && c.secret_key)
      ctx.addIssue({ code: 'custom', path: ['access_key'], message: 'no s3 access_key specified while secret_key is present in config file; either both should be present in config or envvars/IAM should be used.' });
    if (c.access_key && !c.secret_key)
      ctx.addIssue({ code: 'custom', path: ['secret_key'], message: 'no s3 secret_key specified while access_key is present in config file; either both should be present in config or envvars/IAM should be used.' });
    if (c.sse_config?.type === 'SSE-C' && !c.sse_config.encryption_key)
      ctx.addIssue({ code: 'custom', path: ['sse_config', 'encryption_key'], message: "encryption_key must be set if sse_config.type is set to 'SSE-C'" });
    if (c.sse_config?.type === 'SSE-KMS' && !c.sse_config.kms_key_id)
      ctx.addIssue({ code: 'custom', path: ['sse_config', 'kms_key_id'], message: "kms_key_id must be set if sse_config.type is set to 'SSE-KMS'" });
  });

export const filesystemConfigSchema = z.strictObject({
  directory: str.min(1, 'missing directory for filesystem bucket'),
});

const topSchema = z.strictObject({
  type: str.min(1, 'missing bucket type'),
  config: z.unknown().optional(),
  prefix: str.optional(),
});

export type S3Config = z.infer<typeof s3ConfigSchema>;
export type FilesystemConfig = z.infer<typeof filesystemConfigSchema>;

export type BucketConfig =
  | { type: 'FILESYSTEM'; config: FilesystemConfig; prefix: string }
  | { type: 'S3'; config: S3Config; prefix: string };

/** YAML null means "not set" (Go leaves the zero value); drop nulls so optional keys validate. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) o[k] = dropNulls(x);
    return o;
  }
  return v;
}

function formatIssues(where: string, err: z.ZodError): string {
  const lines = err.issues.map((i) => {
    const p = [where, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = (i as { keys: string[] }).keys;
      return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(p ? `${p}.${k}` : k)).join(', ')}`;
    }
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return `${p || '(root)'}: required key is missing`;
    return `${p || '(root)'}: ${i.message}`;
  });
  return `invalid objstore config: ${lines.join('; ')}`;
}

/** Parses and validates objstore YAML (after $(ENV) expansion). Throws ObjstoreConfigError. */
export function parseBucketConfig(yamlText: string, env: NodeJS.ProcessEnv = process.env): BucketConfig {
  const expanded = expandEnv(yamlText, env);
  let doc: unknown;
  try {
    doc = parseYAML(expanded);
  } catch (e) {
    throw new ObjstoreConfigError(`parsing config YAML file: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ObjstoreConfigError('parsing config YAML file: expected a mapping with "type" and "config"');
  }
  const top = topSchema.safeParse(dropNulls(doc));
  if (!top.success) throw new ObjstoreConfigError(formatIssues('', top.error));
  const type = top.data.type.toUpperCase();
  const prefix = top.data.prefix ?? '';
  const raw = top.data.config ?? {};
  switch (type) {
    case 'FILESYSTEM': {
      const r = filesystemConfigSchema.safeParse(raw);
      if (!r.success) throw new ObjstoreConfigError(formatIssues('config', r.error));
      return { type: 'FILESYSTEM', config: r.data, prefix };
    }
    case 'S3': {
      const r = s3ConfigSchema.safeParse(raw);
      if (!r.success) throw new ObjstoreConfigError(formatIssues('config', r.error));
      return { type: 'S3', config: r.data, prefix };
    }
    default:
      throw new ObjstoreConfigError(`bucket with type ${top.data.type} is not supported (supported: FILESYSTEM, S3)`);
  }
}

export interface CreateBucketOptions {
  /** Used when the YAML is empty: a filesystem bucket in this directory (e.g. <data-dir>/bucket). */
  defaultDir?: string;
  logger?: ObjstoreLogger;
  env?: NodeJS.ProcessEnv;
  /** Test hook: overrides for the S3 client (retry delays). */
  s3Overrides?: Partial<S3BucketOptions>;
}

/** Maps a validated S3 config to S3Bucket options (reads TLS and SSE-C key files). */
export function s3OptionsFromConfig(c: S3Config, logger: ObjstoreLogger = nopLogger): S3BucketOptions {
  if (c.signature_version2) logger.warn({ key: 'signature_version2' }, 'objstore s3: signature_version2 is not supported; using signature v4');
  if (c.sts_endpoint) logger.warn({ key: 'sts_endpoint' }, 'objstore s3: sts_endpoint is not supported; using the default AWS credential chain');
  const h = c.http_config ?? {};
  const t = h.tls_config ?? {};
  const read = (f: string | undefined, what: string): Buffer | undefined => {
    if (!f) return undefined;
    try {
      return readFileSync(f);
    } catch (e) {
      throw new ObjstoreConfigError(`objstore s3: reading ${what} ${f}: ${(e as Error).message}`);
    }
  };
  let sse: SSEOptions | undefined;
  const s = c.sse_config;
  if (s?.type === 'SSE-S3') sse = { type: 'SSE-S3' };
  else if (s?.type === 'SSE-KMS') sse = { type: 'SSE-KMS', kmsKeyId: s.kms_key_id ?? '', kmsEncryptionContext: s.kms_encryption_context ?? {} };
  else if (s?.type === 'SSE-C') {
    const key = read(s.encryption_key, 'sse_config.encryption_key')!;
    if (key.length !== 32) throw new ObjstoreConfigError(`objstore s3: sse_config.encryption_key must hold a 32-byte key, got ${key.length} bytes`);
    sse = { type: 'SSE-C', key };
  }
  const useStatic = !c.aws_sdk_auth && !!c.access_key;
  return {
    bucket: c.bucket,
    endpoint: c.endpoint,
    region: c.region,
    ...(useStatic ? { accessKey: c.access_key, secretKey: c.secret_key, sessionToken: c.session_token } : {}),
    insecure: c.insecure ?? false,
    bucketLookupType: c.bucket_lookup_type ?? 'auto',
    listObjectsVersion: c.list_objects_version === 'v1' ? 'v1' : 'v2',
    partSize: c.part_size || DEFAULT_PART_SIZE,
    disableMultipart: c.disable_multipart ?? false,
    sendContentMd5: c.send_content_md5 ?? true,
    putUserMetadata: c.put_user_metadata ?? {},
    sse,
    http: {
      idleConnTimeoutMs: h.idle_conn_timeout ?? 90_000,
      responseHeaderTimeoutMs: h.response_header_timeout ?? 120_000,
      tlsHandshakeTimeoutMs: h.tls_handshake_timeout ?? 10_000,
      insecureSkipVerify: h.insecure_skip_verify ?? false,
      maxIdleConns: h.max_idle_conns ?? 100,
      maxIdleConnsPerHost: h.max_idle_conns_per_host ?? 100,
      maxConnsPerHost: h.max_conns_per_host ?? 0,
      tls: {
        ca: read(t.ca_file, 'http_config.tls_config.ca_file'),
        cert: read(t.cert_file, 'http_config.tls_config.cert_file'),
        key: read(t.key_file, 'http_config.tls_config.key_file'),
        serverName: t.server_name,
        insecureSkipVerify: t.insecure_skip_verify ?? false,
      },
    },
    maxRetries: c.max_retries ?? 10,
    trace: c.trace?.enable ?? false,
    logger,
  };
}

/** Builds the bucket described by objstore YAML, wrapped in its `prefix` if any. */
export function createBucket(yamlText: string, opts: CreateBucketOptions = {}): Bucket {
  const logger = opts.logger ?? nopLogger;
  if (yamlText.trim() === '') {
    if (!opts.defaultDir) throw new ObjstoreConfigError('no objstore configuration given (--objstore.config-file or --objstore.config)');
    return new FilesystemBucket(path.resolve(opts.defaultDir));
  }
  const bc = parseBucketConfig(yamlText, opts.env);
  let bkt: Bucket;
  if (bc.type === 'FILESYSTEM') bkt = new FilesystemBucket(bc.config.directory);
  else bkt = new S3Bucket({ ...s3OptionsFromConfig(bc.config, logger), ...opts.s3Overrides });
  logger.info({ type: bc.type, bucket: bkt.name(), prefix: bc.prefix || undefined }, 'loaded bucket configuration');
  return withPrefix(bkt, bc.prefix);
}

/** Thanos PathOrContent: the flag pair --objstore.config-file / --objstore.config. */
export function readObjstoreConfig(flags: { configFile?: string; config?: string }): string {
  if (flags.configFile && flags.config) throw new ObjstoreConfigError('both file and content are set for objstore.config');
  if (flags.configFile) {
    try {
      return readFileSync(flags.configFile, 'utf8');
    } catch (e) {
      throw new ObjstoreConfigError(`loading YAML file ${flags.configFile} for objstore.config: ${(e as Error).message}`);
    }
  }
  return flags.config ?? '';
}

/** Convenience for commands: flags → bucket (filesystem at defaultDir when no config is given). */
export function bucketFromFlags(
  flags: { configFile?: string; config?: string },
  opts: CreateBucketOptions = {},
): Bucket {
  return createBucket(readObjstoreConfig(flags), opts);
}
