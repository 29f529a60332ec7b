// Calls to the Prometheus/Thanos-compatible HTTP API. Every failure becomes an ApiError carrying the
// HTTP status and the API's `error` text so pages can show it verbatim.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
  /** "HTTP 400 (bad_data): parse error: …" */
  describe(): string {
    const head = this.status ? `HTTP ${this.status}` : 'network error';
    return `${head}${this.errorType ? ` (${this.errorType})` : ''}: ${this.message}`;
  }
}

export interface ApiResult<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

let prefix = '/api/v1';

export function setApiPrefix(p: string): void {
  prefix = p.replace(/\/+$/, '') || '/api/v1';
}

export function apiPrefix(): string {
  return prefix;
}

interface Envelope {
  status?: string;
  data?: unknown;
  error?: string;
  errorType?: string;
  warnings?: string[];
  infos?: string[];
}

/** GET (params in the URL) or POST (form body) to `<prefix><path>`. */
export async function api<T>(path: string, params?: URLSearchParams, opts: { post?: boolean; signal?: AbortSignal } = {}): Promise<ApiResult<T>> {
  let url = prefix + path;
  const init: RequestInit = { signal: opts.signal, headers: { Accept: 'application/json' } };
  if (opts.post) {
    init.method = 'POST';
    init.body = params ?? new URLSearchParams();
  } else if (params && [...params.keys()].length) {
    url += `?${params}`;
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, '', (e as Error).message);
  }
  const text = await res.text();
  let env: Envelope | null = null;
  try {
    env = JSON.parse(text) as Envelope;
  } catch {
    env = null;
  }
  if (!res.ok || !env || env.status !== 'success') {
    const msg = env?.error ?? (text.trim() || res.statusText || 'empty response');
    throw new ApiError(res.status, env?.errorType ?? '', msg);
  }
  return { data: env.data as T, warnings: env.warnings ?? [], infos: env.infos ?? [] };
}

/** Parses "1h30m", "15s", "2d", "500ms" (Prometheus duration) or plain seconds into milliseconds. */
export function parseDuration(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    if (m.index !== pos) return null;
    total += Number(m[1]) * unit[m[2]!]!;
    pos = m.index + m[0].length;
  }
  return pos === t.length && total > 0 ? total : null;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
    [1, 'ms'],
  ];
  let out = '';
  for (const [u, n] of parts) {
    if (ms >= u) {
      out += `${Math.floor(ms / u)}${n}`;
      ms %= u;
    }
  }
  return out;
}

/** Prometheus' metric text form: name{a="b", c="d"}. */
export function formatSeries(metric: Record<string, string>): string {
  const name = metric.__name__ ?? '';
  const rest = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return rest.length ? `${name}{${rest.join(', ')}}` : name || '{}';
}

export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
}
