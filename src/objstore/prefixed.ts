// A bucket view under a key prefix (the `prefix:` of objstore.yml), as objstore.NewPrefixedBucket:
// every key is stored as "<prefix>/<key>" and listed back without it.
import { type Bucket, type IterOptions, type ObjectAttributes, type PutBody, DIR_DELIM, NotFoundError } from './bucket.ts';

export class PrefixedBucket implements Bucket {
  readonly prefix: string;
  readonly inner: Bucket;

  constructor(inner: Bucket, prefix: string) {
    this.inner = inner;
    this.prefix = trimSlashes(prefix);
    if (this.prefix === '') throw new Error('PrefixedBucket needs a non-empty prefix');
    getStreamBinding(this);
  }

  private k(key: string): string {
    return key === '' ? key : this.prefix + DIR_DELIM + key;
  }

  name(): string {
    return this.inner.name();
  }
  /** Re-keys NotFoundError to the caller's (unprefixed) key. */
  private async nf<T>(key: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(key, err);
      throw err;
    }
  }
  get(key: string): Promise<Uint8Array> {
    return this.nf(key, this.inner.get(this.k(key)));
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.nf(key, this.inner.getRange(this.k(key), offset, length));
  }
  getStream?: (key: string) => Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean> {
    return this.inner.exists(this.k(key));
  }
  attributes(key: string): Promise<ObjectAttributes> {
    return this.nf(key, this.inner.attributes(this.k(key)));
  }
  put(key: string, body: PutBody): Promise<void> {
    return this.inner.put(this.k(key), body);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(this.k(key));
  }
  iter(prefix: string, fn: (key: string) => void | Promise<void>, opts?: IterOptions): Promise<void> {
    const p = this.prefix + DIR_DELIM;
    return this.inner.iter(p + prefix, (key) => fn(key.startsWith(p) ? key.slice(p.length) : key), opts);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function getStreamBinding(b: PrefixedBucket): void {
  const inner = b.inner;
  if (inner.getStream) {
    const gs = inner.getStream.bind(inner);
    b.getStream = async (key: string) => {
      try {
        return await gs(key === '' ? key : b.prefix + DIR_DELIM + key);
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError(key, err);
        throw err;
      }
    };
  }
}

function trimSlashes(s: string): string {
  let a = 0;
  let e = s.length;
  while (a < e && s[a] === DIR_DELIM) a++;
  while (e > a && s[e - 1] === DIR_DELIM) e--;
  return s.slice(a, e);
}

/** Wraps `bkt` under `prefix` unless the prefix is empty or only slashes (then returns `bkt`). */
export function withPrefix(bkt: Bucket, prefix: string | undefined): Bucket {
  if (!prefix || trimSlashes(prefix) === '') return bkt;
  return new PrefixedBucket(bkt, prefix);
}
