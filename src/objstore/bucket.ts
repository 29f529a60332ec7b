// The object storage contract shared by every component (receiver shipper, store gateway, compactor,
// tools), modelled on thanos-io/objstore `Bucket` (objstore.go) so Thanos semantics carry over:
//
// - Keys are '/'-separated object names ("<ULID>/chunks/000001"); there are no real directories.
// - `iter(dir)` lists the direct children of `dir` (objects, and "sub/" pseudo-directories with a
//   trailing '/'), or with `recursive` every object below it. `dir` "" is the bucket root; "id1" and
//   "id1/" are the same directory. Keys are reported in full (including `dir`), sorted by UTF-8 bytes.
//   A directory that does not exist lists nothing (no error).
// - `get`/`getRange`/`attributes` on a missing object throw `NotFoundError` (test with `isNotFound`).
// - `getRange(key, off, len)` returns at most `len` bytes; a range running past the end is cut at
//   the end, and an offset at or past the end returns an empty array (Thanos' filesystem behaviour;
//   S3 answers 416 there, which we map to the same empty result). `len < 0` means "to the end".
// - `put` replaces the object atomically: readers see the old or the new content, never a prefix.
// - `delete` is idempotent: deleting a missing object succeeds. The Thanos interface comment asks for
//   an error, but its own acceptance test says not to rely on it because S3 (and its filesystem
//   provider, which uses os.RemoveAll) do not report one; we match the real providers.

export interface ObjectAttributes {
  size: number;
  lastModified: Date;
}

/** Upload source: bytes, a readable stream (size unknown), or a local file streamed from disk. */
export type PutBody = Uint8Array | NodeJS.ReadableStream | { path: string };

export interface IterOptions {
  recursive?: boolean;
}

export interface Bucket {
  /** Human-readable bucket name (S3: the bucket; filesystem: "fs: <abs dir>"). */
  name(): string;
  get(key: string): Promise<Uint8Array>;
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  getStream?(key: string): Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean>;
  attributes(key: string): Promise<ObjectAttributes>;
  put(key: string, body: PutBody): Promise<void>;
  delete(key: string): Promise<void>;
  /** Lists keys under prefix ("dir/" semantics like Thanos: without recursive, returns direct children with '/' suffix for dirs). */
  iter(prefix: string, fn: (key: string) => void | Promise<void>, opts?: IterOptions): Promise<void>;
  close(): Promise<void>;
}

export const DIR_DELIM = '/';

/** The object does not exist. Thrown by get, getRange, getStream and attributes. */
export class NotFoundError extends Error {
  readonly key: string;
  constructor(key: string, cause?: unknown) {
    super(`object not found: ${key}`, cause === undefined ? undefined : { cause });
    this.name = 'NotFoundError';
    this.key = key;
  }
}

export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError || (err instanceof Error && err.name === 'NotFoundError');
}

/** A key the bucket refuses (empty, absolute, with "." or ".." segments, or a NUL byte). */
export class InvalidKeyError extends Error {
  constructor(key: string, why: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${why}`);
    this.name = 'InvalidKeyError';
  }
}

/** Validates an object key (not a directory prefix). */
export function validateObjectKey(key: string): void {
  if (key === '') throw new InvalidKeyError(key, 'object name is empty');
  if (key.endsWith(DIR_DELIM)) throw new InvalidKeyError(key, 'object name ends with "/"');
  validatePrefix(key);
}

/** Validates a directory prefix given to iter ("" is the root). */
export function validatePrefix(prefix: string): void {
  if (prefix.includes('\0')) throw new InvalidKeyError(prefix, 'contains a NUL byte');
  if (prefix.startsWith(DIR_DELIM)) throw new InvalidKeyError(prefix, 'starts with "/"');
  const parts = prefix.split(DIR_DELIM);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '.' || p === '..') throw new InvalidKeyError(prefix, `contains a "${p}" segment`);
    if (p === '' && i !== parts.length - 1) throw new InvalidKeyError(prefix, 'contains an empty segment ("//")');
  }
}

/** Normalises an iter prefix: "" stays "", "a" and "a/" both become "a/". */
export function dirPrefix(prefix: string): string {
  if (prefix === '') return '';
  return prefix.endsWith(DIR_DELIM) ? prefix : prefix + DIR_DELIM;
}

/** Orders keys by their UTF-8 bytes (S3 list order). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Reads a whole stream into one Uint8Array. */
export async function readAll(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    parts.push(b);
    total += b.length;
  }
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, total);
}

export function isFileBody(body: PutBody): body is { path: string } {
  return typeof body === 'object' && body !== null && !(body instanceof Uint8Array) && typeof (body as { path?: unknown }).path === 'string' && typeof (body as { pipe?: unknown }).pipe !== 'function';
}

/** Minimal structured logger; the project's observability Logger (pino) satisfies it. */
export interface ObjstoreLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const nopLogger: ObjstoreLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
