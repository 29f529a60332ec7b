// Parses Thanos-style external label flags: --label 'k="v"' (value quoted as a Go string literal).
import { Labels, isLegacyLabelName } from '../labels/labels.ts';

export function parseLabelFlag(s: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`invalid label ${JSON.stringify(s)}: expected name="value"`);
  const name = s.slice(0, eq).trim();
  const raw = s.slice(eq + 1).trim();
  if (!isLegacyLabelName(name)) throw new Error(`invalid label name ${JSON.stringify(name)} in ${JSON.stringify(s)}`);
  let value: string;
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    try {
      value = JSON.parse(raw) as string;
    } catch {
      throw new Error(`invalid label value in ${JSON.stringify(s)}: not a valid quoted string`);
    }
  } else if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
    value = raw.slice(1, -1);
  } else {
    throw new Error(`invalid label ${JSON.stringify(s)}: the value must be quoted, e.g. ${name}="${raw}"`);
  }
  if (value === '') throw new Error(`invalid label ${JSON.stringify(s)}: empty value`);
  return [name, value];
}

export function parseLabelFlags(flags: readonly string[]): Labels {
  const seen = new Set<string>();
  const pairs: [string, string][] = [];
  for (const f of flags) {
    const p = parseLabelFlag(f);
    if (seen.has(p[0])) throw new Error(`label ${p[0]} given twice in --label flags`);
    seen.add(p[0]);
    pairs.push(p);
  }
  return Labels.fromPairs(pairs);
}
