// `--min-time` / `--max-time` values as Thanos parses them (pkg/model TimeOrDurationValue): either an
// RFC3339 timestamp, or a Prometheus duration (optionally negative, e.g. "-2w") taken relative to the
// moment it is evaluated — so a long-running store gateway's window keeps sliding with the clock.
import { parseDurationFlag } from '../util/duration.ts';

/** Thanos' defaults for the store gateway's time partition flags. */
export const DEFAULT_MIN_TIME = '0000-01-01T00:00:00Z';
export const DEFAULT_MAX_TIME = '9999-12-31T23:59:59Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class TimeOrDuration {
  private constructor(
    /** Absolute time in ms, when given as RFC3339. */
    readonly time: number | null,
    /** Offset from now in ms, when given as a duration. */
    readonly dur: number | null,
    readonly text: string,
  ) {}

  static parse(s: string): TimeOrDuration {
    const t = parseRFC3339(s);
    if (t !== null) return new TimeOrDuration(t, null, s);
    if (s === '') throw new Error('empty time or duration');
    const minus = s.startsWith('-');
    let d: number;
    try {
      d = parseDurationFlag(minus ? s.slice(1) : s);
    } catch {
      throw new Error(`invalid time or duration ${JSON.stringify(s)}: expected RFC3339 (2006-01-02T15:04:05Z) or a duration like -2w, -36h, 1d`);
    }
    return new TimeOrDuration(null, minus ? -d : d, s);
  }

  static absolute(ms: number): TimeOrDuration {
    return new TimeOrDuration(ms, null, new Date(ms).toISOString());
  }

  /** Milliseconds since the epoch (Prometheus timestamp); durations are resolved against `now`. */
  ms(now: number = Date.now()): number {
    if (this.time !== null) return this.time;
    return now + (this.dur ?? 0);
  }

  toString(): string {
    return this.text;
  }
}

/** Parses Go's time.RFC3339 layout (fractional seconds accepted, as Go's parser does); null if not one. */
export function parseRFC3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  // Date.UTC maps years 0–99 to 1900–1999; set the full year explicitly.
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), mo - 1, d);
  if (date.getUTCMonth() !== mo - 1) return null; // e.g. Feb 30
  date.setUTCHours(h, mi, se, 0);
  let ms = date.getTime();
  if (m[7]) ms += Math.floor(Number('0' + m[7]) * 1000);
  const z = m[8]!;
  if (z !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    ms -= sign * (oh * 3_600_000 + om * 60_000);
  }
  return ms;
}
