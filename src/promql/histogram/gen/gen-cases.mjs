#!/usr/bin/env node
// Transcribes the table-driven test cases of Prometheus'
// model/histogram/float_histogram_test.go into testdata/float-histogram-cases.json
// so our tests check against Prometheus' own expected values.
// The Go composite literals are translated token by token into JavaScript
// (keyed literals -> objects, unkeyed -> arrays, type names dropped,
// FloatHistogram literals tagged), evaluated in a sandbox and stored as JSON
// (NaN/±Inf as {"$f":"NaN"|"+Inf"|"-Inf"}).
// Usage: node src/promql/histogram/gen/gen-cases.mjs [path/to/prometheus/git/dir]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const repo = process.argv[2] ?? '/work/.mirror/prometheus+prometheus/repo';
const FILE = 'model/histogram/float_histogram_test.go';
const commit = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const src = execFileSync('git', ['-C', repo, 'show', `HEAD:${FILE}`], { encoding: 'utf8', maxBuffer: 64 << 20 });

const TESTS = [
  'TestFloatHistogramMul', 'TestFloatHistogramCopy', 'TestFloatHistogramDiv', 'TestFloatHistogramDetectReset',
  'TestFloatHistogramCompact', 'TestFloatHistogramAdd', 'TestKahanAddWithCompHistogram', 'TestFloatHistogramSub',
  'TestFloatHistogramCopyToSchema', 'TestAllFloatBucketIterator', 'TestAllReverseFloatBucketIterator',
  'TestFloatBucketIteratorTargetSchema', 'TestFloatCustomBucketsIterators', 'TestFloatHistogramString',
  'TestFloatHistogramReduceResolution', 'TestFloatHistogramValidateNegativeHistogram',
];

function tokenize(s) {
  const toks = [];
  const re = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|`[^`]*`|[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?|:=|&&|\|\||<<|>>|==|!=|<=|>=|[{}()[\],:;.&*+\-/<>!=%|^]/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    m = re.exec(s);
    if (!m) throw new Error(`cannot tokenize at ${s.slice(at, at + 40)}`);
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith('//') || t.startsWith('/*')) continue;
    toks.push(t);
  }
  return toks;
}

const isIdent = (t) => /^[A-Za-z_]/.test(t);

// Finds the matching close brace index for toks[i] === '{'.
function matchBrace(toks, i) {
  let d = 0;
  for (let k = i; k < toks.length; k++) {
    if (toks[k] === '{') d++;
    else if (toks[k] === '}') { d--; if (d === 0) return k; }
  }
  throw new Error('unbalanced');
}

// Recursive translator of one Go value (composite literal or plain expression).
function tr(toks) {
  let i = 0;
  function typeAt(k) {
    // returns [typeString, indexOfBrace] or null
    let j = k;
    let typ = '';
    if (toks[j] === '&') { typ += '&'; j++; }
    while ((toks[j] === '[' && toks[j + 1] === ']') || toks[j] === '*' || (toks[j] === 'map' && toks[j + 1] === '[')) {
      if (toks[j] === '*') { typ += '*'; j++; }
      else if (toks[j] === 'map') { typ += 'map[' + toks[j + 2] + ']'; j += 4; }
      else { typ += '[]'; j += 2; }
    }
    if (!isIdent(toks[j] ?? '')) return null;
    let name = toks[j]; j++;
    if (toks[j] === '.' && isIdent(toks[j + 1] ?? '')) { name += '.' + toks[j + 1]; j += 2; }
    if (toks[j] === '[' && isIdent(toks[j + 1] ?? '') && toks[j + 2] === ']') j += 3;
    if (toks[j] !== '{') return null;
    if (typ === '' && !/^[A-Z]/.test(name)) return null;
    return [typ + name, j];
  }
  function value(elemType) {
    const ty = typeAt(i);
    if (ty) { i = ty[1]; return composite(ty[0]); }
    if (toks[i] === '{') return composite(elemType);
    // plain expression up to , or } at depth 0
    let s = '';
    let depth = 0;
    if (toks[i] === 'make' && toks[i + 1] === '(') {
      let d = 0;
      for (; i < toks.length; i++) {
        if (toks[i] === '(') d++;
        if (toks[i] === ')' && --d === 0) { i++; break; }
      }
      return '[]';
    }
    while (i < toks.length) {
      const t = toks[i];
      if (depth === 0 && (t === ',' || t === '}')) break;
      if (t === '(' || t === '[') depth++;
      if (t === ')' || t === ']') depth--;
      if (t === 'nil') s += 'null';
      else if (t.startsWith('`')) s += JSON.stringify(t.slice(1, -1));
      else if (/^\d/.test(t)) s += t.replace(/_/g, '');
      else s += t;
      i++;
    }
    return s;
  }
  function elemTypeOf(typ) {
    if (typ.startsWith('&')) typ = typ.slice(1);
    if (typ.startsWith('[]')) return typ.slice(2);
    const m = /^map\[[^\]]*\](.*)$/.exec(typ);
    if (m) return m[1];
    return '';
  }
  function composite(typ) {
    // toks[i] === '{'
    i++;
    const keyed = toks[i] !== '}' && (isIdent(toks[i]) || toks[i].startsWith('"')) && toks[i + 1] === ':';
    const isSlice = typ.replace(/^&/, '').startsWith('[]');
    const base = typ.replace(/^[&*]+/, '').replace(/^\[\]\*?/, '');
    const et = elemTypeOf(typ);
    const parts = [];
    while (toks[i] !== '}') {
      if (keyed) {
        const k = toks[i]; i += 2;
        parts.push(`${k.startsWith('"') ? k : JSON.stringify(k)}: ${value(fieldType(base, k))}`);
      } else {
        parts.push(value(et));
      }
      if (toks[i] === ',') i++;
    }
    i++;
    let s;
    if (keyed || (!isSlice && parts.length === 0 && !typ.startsWith('map'))) s = `{${parts.join(', ')}}`;
    else if (typ.startsWith('map')) s = `{${parts.join(', ')}}`;
    else s = `[${parts.join(', ')}]`;
    if (!isSlice && /(^|\.)FloatHistogram$/.test(base)) s = `fh(${s})`;
    if (!isSlice && /(^|\.)Span$/.test(base) && !keyed) s = `sp(${s})`;
    return s;
  }
  function fieldType(base, k) {
    if (/FloatHistogram$/.test(base)) {
      return { PositiveSpans: '[]Span', NegativeSpans: '[]Span' }[k] ?? '';
    }
    return '';
  }
  const v = value('');
  return v;
}

function extractTable(name) {
  const toks = tokenize(src);
  const fi = toks.findIndex((t, k) => t === 'func' && toks[k + 1] === name && toks[k + 2] === '(');
  if (fi < 0) throw new Error(`no ${name}`);
  // first ':=' followed by []struct or map[string]struct
  let k = fi;
  while (!(toks[k] === ':=' && (toks[k + 1] === '[' || toks[k + 1] === 'map'))) k++;
  const start = k + 1;
  const sIdx = toks.indexOf('struct', start);
  const declOpen = sIdx + 1;
  const declClose = matchBrace(toks, declOpen);
  const fields = parseFields(name);
  const litOpen = declClose + 1;
  const isMap = toks[start] === 'map';
  const litClose = matchBrace(toks, litOpen);
  const body = toks.slice(litOpen, litClose + 1);
  return { fields, isMap, js: trWithType(body, isMap) };
}

// Field names and types of the case struct, from the source text.
function parseFields(name) {
  const fi = src.indexOf(`func ${name}(`);
  const si = src.indexOf('struct {', fi);
  const ei = src.indexOf('\n\t}', si);
  const fields = [];
  for (let line of src.slice(si + 'struct {'.length, ei).split('\n')) {
    line = line.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    const m = /^([\w, ]+?)\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`cannot parse field line ${line}`);
    for (const n of m[1].split(',')) fields.push({ name: n.trim(), type: m[2] });
  }
  return fields;
}

function trWithType(body, isMap) {
  // Wrap the literal so that tr() sees "[]Case{...}" / "map[string]Case{...}".
  const prefix = isMap ? ['map', '[', 'string', ']', 'Case'] : ['[', ']', 'Case'];
  return tr([...prefix, ...body]);
}

const ctx = {
  fh: (o) => ({ $fh: true, ...o }),
  sp: (a) => ({ Offset: a[0], Length: a[1] }),
  math: { NaN: () => NaN, Inf: (s) => (s >= 0 ? Infinity : -Infinity), MaxFloat64: Number.MAX_VALUE, MaxInt: Number.MAX_SAFE_INTEGER, MaxInt32: 2147483647, SmallestNonzeroFloat64: 5e-324 },
  CustomBucketsSchema: -53, ExponentialSchemaMax: 8, ExponentialSchemaMin: -4,
  UnknownCounterReset: 'unknown', CounterReset: 'reset', NotCounterReset: 'not_reset', GaugeType: 'gauge',
  true: true, false: false, uint32: (x) => x, int32: (x) => x, float64: (x) => x, int: (x) => x,
};
vm.createContext(ctx);

const encode = (_k, v) => {
  if (typeof v === 'number' && !Number.isFinite(v)) return { $f: Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf' };
  return v;
};

const out = { source: `prometheus/prometheus@${commit} ${FILE}`, tests: {} };
for (const name of TESTS) {
  const t = extractTable(name);
  let cases;
  try {
    cases = vm.runInContext(`(${t.js})`, ctx);
  } catch (e) {
    console.error(name, e.message, t.js.slice(0, 2000));
    throw e;
  }
  const list = [];
  const norm = (c, key) => {
    if (Array.isArray(c)) {
      const o = {};
      t.fields.forEach((f, k) => { o[f.name] = c[k]; });
      c = o;
    }
    if (key !== undefined) c.name = key;
    list.push(c);
  };
  if (t.isMap) for (const [k, c] of Object.entries(cases)) norm(c, k);
  else for (const c of cases) norm(c);
  out.tests[name] = { fields: t.fields, cases: list };
  console.log(name, list.length, 'cases; fields', t.fields.map((f) => `${f.name}:${f.type}`).join(' '));
}
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata', 'float-histogram-cases.json'), JSON.stringify(out, encode, 1) + '\n');
