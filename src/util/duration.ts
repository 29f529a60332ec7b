// Durations as Prometheus/Thanos flags accept them (model.ParseDuration): a sequence of
// <number><unit> with units y, w, d, h, m, s, ms, in that order, e.g. "1h30m", "2h", "5m", "1d", "10s53ms".
// "0" is accepted (zero). Returns milliseconds.
const UNITS: Record<string, number> = {
  y: 365 * 24 * 3600 * 1000,
  w: 7 * 24 * 3600 * 1000,
  d: 24 * 3600 * 1000,
  h: 3600 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
};
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

export function parseDurationFlag(s: string): number {
  const str = s.trim();
  if (str === '0') return 0;
  if (str === '') throw new Error('empty duration string');
  const re = /(\d+)(ms|y|w|d|h|m|s)/y;
  let pos = 0;
  let last = -1;
  let total = 0;
  while (pos < str.length) {
    re.lastIndex = pos;
    const m = re.exec(str);
    if (!m) throw new Error(`not a valid duration string: "${s}" (use e.g. 30s, 5m, 2h, 1d)`);
    const idx = ORDER.indexOf(m[2]!);
    if (idx <= last) throw new Error(`not a valid duration string: "${s}" (units must go from largest to smallest)`);
    last = idx;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw new Error(`duration out of range: "${s}"`);
  return total;
}

/** Formats ms the way Prometheus prints model.Duration (e.g. 7200000 → "2h", 90000 → "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  for (const u of ORDER) {
    const n = Math.floor(rest / UNITS[u]!);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * UNITS[u]!;
    }
  }
  return out;
}

/** Byte sizes as Thanos flags accept them: 32MiB, 512KB, 1GB, 1024 (bytes). */
export function parseBytesFlag(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(s);
  if (!m) throw new Error(`not a valid byte size: "${s}" (use e.g. 32MiB, 250MB, 1GiB)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'B').toUpperCase();
  const pow: Record<string, number> = {
    B: 1,
    KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
    KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4,
  };
  return Math.round(n * pow[unit]!);
}
