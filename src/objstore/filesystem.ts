// Filesystem bucket (Thanos `type: FILESYSTEM`, `config.directory`): one file per object under a root
// directory. Writes go to a temporary file in the target's directory, are fsynced, then renamed over the
// target, so readers never see a partial object. Empty directories are invisible and are removed on
// delete, as in thanos-io/objstore providers/filesystem.
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  type Bucket,
  type IterOptions,
  type ObjectAttributes,
  type PutBody,
  DIR_DELIM,
  NotFoundError,
  compareKeys,
  dirPrefix,
  isFileBody,
  validateObjectKey,
  validatePrefix,
} from './bucket.ts';

/** Temporary upload files carry this marker; they are never listed. */
const TMP_MARKER = '.strata-tmp-';
function isTmpName(name: string): boolean {
  return name.startsWith('.') && name.includes(TMP_MARKER);
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? ((err as { code?: unknown }).code as string | undefined) : undefined;
}

function isENOENT(err: unknown): boolean {
  const c = errCode(err);
  return c === 'ENOENT' || c === 'ENOTDIR';
}

export class FilesystemBucket implements Bucket {
  readonly rootDir: string;

  constructor(directory: string) {
    if (!directory) throw new Error('missing directory for filesystem bucket');
    this.rootDir = path.resolve(directory);
  }

  name(): string {
    return `fs: ${this.rootDir}`;
  }

  private file(key: string): string {
    validateObjectKey(key);
    return path.join(this.rootDir, ...key.split(DIR_DELIM));
  }

  async get(key: string): Promise<Uint8Array> {
    const f = this.file(key);
    try {
      const st = await fsp.stat(f);
      if (st.isDirectory()) throw new NotFoundError(key);
      return await fsp.readFile(f);
    } catch (err) {
      if (isENOENT(err) || errCode(err) === 'EISDIR') throw new NotFoundError(key, err);
      throw err;
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
    const f = this.file(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(f, 'r');
    } catch (err) {
      if (isENOENT(err)) throw new NotFoundError(key, err);
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new NotFoundError(key);
      const size = st.size;
      if (offset >= size) return new Uint8Array(0);
      const n = length < 0 ? size - offset : Math.min(length, size - offset);
      const buf = Buffer.allocUnsafe(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
        if (bytesRead === 0) break; // file shrank (should not happen: objects are replaced by rename)
        done += bytesRead;
      }
      return done === n ? buf : buf.subarray(0, done);
    } catch (err) {
      if (errCode(err) === 'EISDIR') throw new NotFoundError(key, err);
      throw err;
    } finally {
      await fh.close();
    }
  }

  async getStream(key: string): Promise<NodeJS.ReadableStream> {
    const f = this.file(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(f, 'r');
      const st = await fh.stat();
      if (st.isDirectory()) {
        await fh.close();
        throw new NotFoundError(key);
      }
    } catch (err) {
      if (isENOENT(err)) throw new NotFoundError(key, err);
      throw err;
    }
    // The stream owns the handle (autoClose); the open file survives a concurrent replace/delete.
    return fh.createReadStream();
  }

  async exists(key: string): Promise<boolean> {
    try {
      const st = await fsp.stat(this.file(key));
      return !st.isDirectory();
    } catch (err) {
      if (isENOENT(err)) return false;
      throw err;
    }
  }

  async attributes(key: string): Promise<ObjectAttributes> {
    try {
      const st = await fsp.stat(this.file(key));
      if (st.isDirectory()) throw new NotFoundError(key);
      return { size: st.size, lastModified: st.mtime };
    } catch (err) {
      if (isENOENT(err)) throw new NotFoundError(key, err);
      throw err;
    }
  }

  async put(key: string, body: PutBody): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    await fsp.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}${TMP_MARKER}${randomBytes(6).toString('hex')}`);
    try {
      if (body instanceof Uint8Array) {
        const fh = await fsp.open(tmp, 'wx');
        try {
          let off = 0;
          while (off < body.byteLength) {
            const { bytesWritten } = await fh.write(body, off, body.byteLength - off);
            off += bytesWritten;
          }
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        const src = isFileBody(body) ? createReadStream(body.path) : (body as NodeJS.ReadableStream);
        const readable = src instanceof Readable ? src : Readable.from(src as AsyncIterable<Uint8Array>);
        const ws = createWriteStream(tmp, { flags: 'wx', flush: true });
        await pipeline(readable, ws);
      }
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.file(key);
    try {
      const st = await fsp.stat(target);
      if (st.isDirectory()) return; // not an object; directories disappear with their last object
      await fsp.rm(target, { force: true });
    } catch (err) {
      if (isENOENT(err)) return;
      throw err;
    }
    // Remove now-empty parent directories up to (not including) the root, as Thanos does.
    let dir = path.dirname(target);
    while (dir !== this.rootDir && dir.startsWith(this.rootDir + path.sep)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break; // not empty (or concurrently re-populated)
      }
      dir = path.dirname(dir);
    }
  }

  async iter(prefix: string, fn: (key: string) => void | Promise<void>, opts?: IterOptions): Promise<void> {
    validatePrefix(prefix);
    const dir = dirPrefix(prefix);
    const abs = dir === '' ? this.rootDir : path.join(this.rootDir, ...dir.slice(0, -1).split(DIR_DELIM));
    if (opts?.recursive) {
      const keys: string[] = [];
      await this.walk(abs, dir, keys);
      keys.sort(compareKeys);
      for (const k of keys) await fn(k);
      return;
    }
    const entries = await this.readDir(abs);
    const out: string[] = [];
    for (const e of entries) {
      if (isTmpName(e.name)) continue;
      if (e.isDirectory()) {
        if (await this.hasObjects(path.join(abs, e.name))) out.push(dir + e.name + DIR_DELIM);
      } else if (e.isFile()) {
        out.push(dir + e.name);
      }
    }
    out.sort(compareKeys);
    for (const k of out) await fn(k);
  }

  private async readDir(abs: string) {
    try {
      return await fsp.readdir(abs, { withFileTypes: true });
    } catch (err) {
      if (isENOENT(err)) return [];
      throw err;
    }
  }

  private async walk(abs: string, keyPrefix: string, out: string[]): Promise<void> {
    for (const e of await this.readDir(abs)) {
      if (isTmpName(e.name)) continue;
      if (e.isDirectory()) await this.walk(path.join(abs, e.name), keyPrefix + e.name + DIR_DELIM, out);
      else if (e.isFile()) out.push(keyPrefix + e.name);
    }
  }

  /** True when the directory holds at least one object somewhere below it. */
  private async hasObjects(abs: string): Promise<boolean> {
    const entries = await this.readDir(abs);
    for (const e of entries) if (e.isFile() && !isTmpName(e.name)) return true;
    for (const e of entries) if (e.isDirectory() && (await this.hasObjects(path.join(abs, e.name)))) return true;
    return false;
  }

  async close(): Promise<void> {}
}
