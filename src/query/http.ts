// Wire helpers of the Prometheus HTTP API v1 (web/api/v1/api.go, util/jsonutil): parameter parsing
// (times, durations, limits, forms, escaped label names) and byte-exact JSON rendering of values.
import type { IncomingMessage } from 'node:http';
import { isValidUTF8String, type Labels } from '../labels/labels.ts';

/** An API error with Prometheus's errorType. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly errorType: 'bad_data' | 'timeout' | 'canceled' | 'execution' | 'internal' | 'unavailable' | 'not_found' | 'not_acceptable',
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status for an errorType (getDefaultErrorCode). 499 = client closed connection. */
export function statusForErrorType(t: string): number {
  switch (t) {
    case 'bad_data':
      return 400;
    case 'execution':
      return 422;
    case 'canceled':
      return 499;
    case 'timeout':
      return 503;
    case 'internal':
      return 500;
    case 'not_found':
      return 404;
    case 'not_acceptable':
      return 406;
    default:
      return 500;
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Go strconv.ParseFloat(s, 64) (decimal, hex float, inf/infinity/nan, underscores only with a base prefix). */
export function goParseFloat(s: string): number | null {
  if (s === '') return null;
  const lower = s.toLowerCase();
  let sign = 1;
  let body = lower;
  if (body[0] === '+' || body[0] === '-') {
    sign = body[0] === '-' ? -1 : 1;
    body = body.slice(1);
  }
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return sign * Number(body);
  const hx = /^0x(_?[0-9a-f_]*)(?:\.([0-9a-f_]*))?p([+-]?\d+)$/.exec(body);
  if (hx) {
    const int = (hx[1] ?? '').replace(/_/g, '') || '0';
    const frac = (hx[2] ?? '').replace(/_/g, '');
    if (int === '0' && frac === '' && !/[0-9a-f]/.test(hx[1] ?? '')) return null;
    return sign * Number(BigInt('0x' + int + frac)) * Math.pow(2, Number(hx[3]) - 4 * frac.length);
  }
  return null;
}

/**
 * Formats a sample value exactly as Prometheus's jsonutil.MarshalFloat (without the quotes):
 * strconv.AppendFloat(f, 'f', -1, 64) for 1e-6 ≤ |f| < 1e21 (and 0), else 'e' with a two-digit
 * minimum exponent; NaN, +Inf, -Inf.
 */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const abs = Math.abs(f);
  if (abs < 1e-6 || abs >= 1e21) {
    // Shortest round-trip digits in exponent form; Go pads the exponent to two digits.
    const e = f.toExponential();
    const m = /^(-?[0-9.]+)e([+-])(\d+)$/.exec(e)!;
    return `${m[1]}e${m[2]}${m[3]!.length < 2 ? '0' + m[3] : m[3]}`;
  }
  // JS uses plain notation in exactly this range, with the same shortest digits as Go.
  return String(f);
}

/** jsonutil.MarshalTimestamp: ms as seconds with up to 3 decimals, fraction zero-padded (1.500). */
export function formatTimestamp(t: number): string {
  let s = '';
  if (t < 0) {
    s = '-';
    t = -t;
  }
  const sec = Math.trunc(t / 1000);
  const frac = t - sec * 1000;
  s += String(sec);
  if (frac !== 0) s += '.' + String(frac).padStart(3, '0');
  return s;
}

// ---------------------------------------------------------------------------------------------
// Times and durations

/** Default start/end of optional time ranges (api.go MinTime/MaxTime), in ms. */
export const MIN_TIME_MS = -9223309901257974 * 1000;
export const MAX_TIME_MS = 9223309901257974 * 1000 + 999;
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** api.go parseTime: float seconds (rounded to ms) or RFC3339Nano; returns ms. */
export function parseTime(s: string): number {
  const f = goParseFloat(s);
  if (f !== null) {
    if (!Number.isFinite(f)) {
      // time.Unix(int64(±Inf)) saturates; no sensible ms value exists.
      throw new ApiError('bad_data', `cannot parse ${goQuote(s)} to a valid timestamp`);
    }
    // math.Modf, then ns = math.Round(frac*1000)/1000 (half away from zero), time.Unix(sec, ns*1e9),
    // then timestamp.FromTime (floor to ms).
    const sec = Math.trunc(f);
    const x = (f - sec) * 1000;
    const r = Math.sign(x) * Math.round(Math.abs(x));
    const ns = Math.trunc((r / 1000) * 1e9);
    return sec * 1000 + Math.floor(ns / 1e6);
  }
  const m = RFC3339.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, fr, tz] = m;
    const ms0 = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
    const valid =
      Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= 31 && Number(h) <= 23 && Number(mi) <= 59 && Number(se) <= 59 &&
      new Date(ms0).getUTCDate() === Number(d);
    if (valid) {
      let ms = ms0 + Math.trunc(Number((fr ?? '').padEnd(9, '0') || '0') / 1e6);
      if (tz !== 'Z') {
        const sign = tz![0] === '-' ? -1 : 1;
        ms -= sign * (Number(tz!.slice(1, 3)) * 60 + Number(tz!.slice(4, 6))) * 60000;
      }
      return ms;
    }
  }
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  throw new ApiError('bad_data', `cannot parse ${goQuote(s)} to a valid timestamp`);
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 24 * 3600e3, 7 * 24 * 3600e3, 24 * 3600e3, 3600e3, 60e3, 1e3, 1];

/** Prometheus model.ParseDuration in ms, or null. */
export function parsePromDuration(s: string): number | null {
  if (s === '0') return 0;
  if (s === '') return null;
  const m = DURATION_RE.exec(s);
  if (!m) return null;
  let ms = 0;
  for (let i = 0; i < 7; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i]!;
  return ms;
}

/** api.go parseDuration: float seconds or a Prometheus duration; returns ms (ns truncated). */
export function parseDurationParam(s: string): number {
  const f = goParseFloat(s);
  if (f !== null) {
    const ns = f * 1e9;
    if (!(ns <= 9223372036854775807) || !(ns >= -9223372036854775808)) {
      throw new ApiError('bad_data', `cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    }
    return Math.trunc(Math.trunc(ns) / 1e6);
  }
  const d = parsePromDuration(s);
  if (d !== null) return d;
  throw new ApiError('bad_data', `cannot parse ${goQuote(s)} to a valid duration`);
}

/** api.go parseLimitParam: 0 = no limit. Error texts as Go's strconv.Atoi. */
export function parseLimit(s: string): number {
  if (s === '') return 0;
  if (!/^[+-]?\d+$/.test(s)) throw new ApiError('bad_data', `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new ApiError('bad_data', `strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  if (n < 0) throw new ApiError('bad_data', 'limit must be non-negative');
  return n;
}

/** Go's %q for the ASCII/UTF-8 strings we quote in messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1').replace(/\\u007f/g, '\\x7f');
}

// ---------------------------------------------------------------------------------------------
// Label name escaping (model.UnescapeName with ValueEncodingEscaping, "U__" prefix)

export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const esc = name.slice(3);
  let out = '';
  for (let i = 0; i < esc.length; i++) {
    const c = esc[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    if (esc[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    let j = i + 1;
    while (j < esc.length && /[0-9a-fA-F]/.test(esc[j]!)) j++;
    // At most 6 hex digits, closed by '_'; anything else is invalid: keep the name as given.
    if (j === i + 1 || j - i - 1 > 6 || esc[j] !== '_') return name;
    const cp = parseInt(esc.slice(i + 1, j), 16);
    if (!(cp >= 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requests

/** Request parameters: form body values first (they take precedence), then URL query values. */
export class Params {
  constructor(readonly entries: [string, string][]) {}
  /** First value of `name` ('' when absent), like Go's Request.FormValue. */
  get(name: string): string {
    for (const [k, v] of this.entries) if (k === name) return v;
    return '';
  }
  getAll(name: string): string[] {
    return this.entries.filter(([k]) => k === name).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.entries.some(([k]) => k === name);
  }
  toURLSearchParams(): URLSearchParams {
    return new URLSearchParams(this.entries);
  }
}

const MAX_FORM_BYTES = 10 << 20;

/** Reads GET query parameters merged with a POST/PUT/PATCH `application/x-www-form-urlencoded` body. */
export async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const entries: [string, string][] = [];
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if ((req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') && ct === 'application/x-www-form-urlencoded') {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_FORM_BYTES) throw new ApiError('bad_data', 'error parsing form values: http: POST too large');
      chunks.push(c);
    }
    for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) entries.push([k, v]);
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    // Drain any other body so the connection can be reused.
    for await (const _ of req as AsyncIterable<Buffer>) void _;
  }
  for (const [k, v] of url.searchParams) entries.push([k, v]);
  return new Params(entries);
}

// ---------------------------------------------------------------------------------------------
// JSON rendering

/** Labels as a JSON object in label order (marshalLabelsJSON). */
export function labelsJSON(l: Labels): string {
  const f = l.flat;
  let s = '{';
  for (let i = 0; i < f.length; i += 2) {
    if (i) s += ',';
    s += jsonString(f[i]!) + ':' + jsonString(f[i + 1]!);
  }
  return s + '}';
}

/**
 * A JSON string as Go's encoding/json / jsoniter (ConfigCompatibleWithStandardLibrary) writes it:
 * HTML-escapes <, >, & and escapes U+2028/U+2029; invalid UTF-16 becomes U+FFFD.
 */
export function jsonString(s: string): string {
  return JSON.stringify(wellFormed(s))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/(?<!\\)((?:\\\\)*)\\([bf])/g, (_m, pre: string, c: string) => `${pre}\\u000${c === 'b' ? '8' : 'c'}`)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Replaces lone surrogates with U+FFFD (as Go does for invalid UTF-8). */
function wellFormed(s: string): string {
  return isValidUTF8String(s) ? s : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** `[ts,"v"]`. */
export function pointJSON(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatFloat(v)}"]`;
}
