// The query page: expression editor, Graph and Table tabs, Thanos query options (deduplication,
// partial response, max source resolution), range/end/step controls, and visible API errors.
import { api, ApiError, apiPrefix, formatDuration, formatSeries, formatTime, parseDuration } from './api.ts';
import { h, input, win, type El, type InputEl } from './dom.ts';
import { createEditor, type QueryEditor } from './editor.ts';
import { legendNotice, parseSampleValue, renderGraph, type GraphHandle, type MatrixSeries } from './graph.ts';

/** At most this many series are drawn / rows rendered; the rest are counted in a notice. */
export const MAX_GRAPH_SERIES = 100;
export const MAX_TABLE_ROWS = 1000;

type Tab = 'graph' | 'table';

interface PanelState {
  expr: string;
  tab: Tab;
  range: string;
  end: string; // '' = now, else a date/time text
  step: string; // '' = auto
  stacked: boolean;
  dedup: boolean;
  partial: boolean;
  resolution: string; // auto | 0s | 5m | 1h
}

let lastSearch = '';

/** The query page's URL with its current state, for navigation links back to it. */
export function graphHref(): string {
  return `/graph${lastSearch}`;
}

function readState(): PanelState {
  const q = new URLSearchParams(win.location.search || lastSearch);
  return {
    expr: q.get('g0.expr') ?? '',
    tab: q.get('g0.tab') === '1' ? 'table' : 'graph',
    range: q.get('g0.range_input') ?? '1h',
    end: q.get('g0.end_input') ?? '',
    step: q.get('g0.step_input') ?? '',
    stacked: q.get('g0.stacked') === '1',
    dedup: q.get('g0.deduplicate') !== '0',
    partial: q.get('g0.partial_response') === '1',
    resolution: q.get('g0.max_source_resolution') ?? 'auto',
  };
}

function writeState(s: PanelState): void {
  const q = new URLSearchParams();
  q.set('g0.expr', s.expr);
  q.set('g0.tab', s.tab === 'table' ? '1' : '0');
  q.set('g0.stacked', s.stacked ? '1' : '0');
  q.set('g0.range_input', s.range);
  if (s.end) q.set('g0.end_input', s.end);
  if (s.step) q.set('g0.step_input', s.step);
  q.set('g0.max_source_resolution', s.resolution);
  q.set('g0.deduplicate', s.dedup ? '1' : '0');
  q.set('g0.partial_response', s.partial ? '1' : '0');
  lastSearch = `?${q}`;
  win.history.replaceState(null, '', `${win.location.pathname}${lastSearch}`);
}

/** Parses the end-time field: empty = now; else an ISO-ish date/time (UTC unless it has an offset). */
function parseEnd(s: string): number | null {
  const t = s.trim();
  if (!t) return Date.now();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

const RANGE_STEPS = ['1m', '5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d', '2d', '1w', '2w', '4w', '8w'].map((s) => parseDuration(s)!);

/** A native histogram as the API renders it: count, sum, [boundary rule, lower, upper, count] buckets. */
interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

interface VectorSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
  histogram?: [number, ApiHistogram];
  histograms?: [number, ApiHistogram][];
}

export function graphPage(root: El): () => void {
  const st = readState();
  let graph: GraphHandle | null = null;
  let inflight: AbortController | null = null;

  const alerts = h('div', { class: 'alerts', 'data-testid': 'alerts' });
  const statusLine = h('div', { class: 'query-stats', 'data-testid': 'query-stats' });
  const body = h('div', { class: 'tab-body' });
  const editorHost = h('div', { class: 'editor' });
  const execBtn = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'execute', onclick: () => void run() }, 'Execute');

  const dedup = input({ type: 'checkbox', id: 'opt-dedup', checked: st.dedup, 'data-testid': 'dedup', onchange: () => ((st.dedup = dedup.checked), void run()) });
  const partial = input({ type: 'checkbox', id: 'opt-partial', checked: st.partial, 'data-testid': 'partial-response', onchange: () => ((st.partial = partial.checked), void run()) });
  const resolution = h(
    'select',
    { id: 'opt-resolution', 'data-testid': 'max-source-resolution', onchange: () => ((st.resolution = (resolution as InputEl).value), void run()) },
    h('option', { value: 'auto' }, 'Auto downsampled'),
    h('option', { value: '0s' }, 'Only raw data'),
    h('option', { value: '5m' }, 'Max 5m downsampling'),
    h('option', { value: '1h' }, 'Max 1h downsampling'),
  ) as InputEl;
  resolution.value = st.resolution;

  const rangeIn = input({ type: 'text', class: 'range-input', value: st.range, 'data-testid': 'range', size: 6, onchange: () => ((st.range = rangeIn.value), void run()) });
  const stepRange = (dir: -1 | 1): void => {
    const cur = parseDuration(rangeIn.value) ?? 3_600_000;
    const i = RANGE_STEPS.findIndex((r) => r >= cur);
    const next = dir < 0 ? RANGE_STEPS[Math.max(0, (i < 0 ? RANGE_STEPS.length : i) - 1)]! : RANGE_STEPS[Math.min(RANGE_STEPS.length - 1, i < 0 ? RANGE_STEPS.length - 1 : RANGE_STEPS[i] === cur ? i + 1 : i)]!;
    rangeIn.value = formatDuration(next);
    st.range = rangeIn.value;
    void run();
  };
  const endIn = input({ type: 'text', class: 'end-input', value: st.end, placeholder: 'End time (UTC, empty = now)', 'data-testid': 'end', onchange: () => ((st.end = endIn.value), void run()) });
  const stepIn = input({ type: 'text', class: 'step-input', value: st.step, placeholder: 'Res. (s)', size: 8, 'data-testid': 'step', onchange: () => ((st.step = stepIn.value), void run()) });
  const stackedIn = input({ type: 'checkbox', id: 'opt-stacked', checked: st.stacked, 'data-testid': 'stacked', onchange: () => ((st.stacked = stackedIn.checked), void run()) });

  const graphControls = h(
    'div',
    { class: 'controls graph-controls' },
    h('button', { class: 'btn', type: 'button', title: 'Shrink range', onclick: () => stepRange(-1) }, '−'),
    rangeIn,
    h('button', { class: 'btn', type: 'button', title: 'Grow range', onclick: () => stepRange(1) }, '+'),
    endIn,
    stepIn,
    h('label', { for: 'opt-stacked' }, stackedIn, ' Stacked'),
  );

  const tabBtn = (t: Tab, label: string): El =>
    h('button', { type: 'button', class: `tab${st.tab === t ? ' active' : ''}`, 'data-testid': `tab-${t}`, onclick: () => switchTab(t) }, label);
  const tabs = h('div', { class: 'tabs' }, tabBtn('graph', 'Graph'), tabBtn('table', 'Table'));

  const switchTab = (t: Tab): void => {
    st.tab = t;
    tabs.replaceChildren(tabBtn('graph', 'Graph'), tabBtn('table', 'Table'));
    graphControls.style.display = t === 'graph' ? '' : 'none';
    void run();
  };
  graphControls.style.display = st.tab === 'graph' ? '' : 'none';

  let editor: QueryEditor | null = null;
  const showAlert = (kind: 'error' | 'warning' | 'info', text: string): void => {
    alerts.append(h('div', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': `alert-${kind}` }, text));
  };

  const clearGraph = (): void => {
    graph?.destroy();
    graph = null;
  };

  async function run(): Promise<void> {
    const expr = editor?.value().trim() ?? '';
    st.expr = expr;
    writeState(st);
    if (!expr) return;
    inflight?.abort();
    const ac = new AbortController();
    inflight = ac;
    alerts.replaceChildren();
    statusLine.textContent = 'Loading…';
    execBtn.setAttribute('disabled', '');
    const t0 = performance.now();
    try {
      const endMs = parseEnd(st.end);
      if (endMs === null) throw new Error(`invalid end time ${JSON.stringify(st.end)}`);
      const params = new URLSearchParams();
      params.set('query', expr);
      params.set('dedup', String(st.dedup));
      params.set('partial_response', String(st.partial));
      params.set('max_source_resolution', st.resolution);
      if (st.tab === 'graph') {
        const rangeMs = parseDuration(st.range);
        if (rangeMs === null) throw new Error(`invalid range ${JSON.stringify(st.range)}`);
        const end = Math.floor(endMs / 1000);
        const start = end - Math.floor(rangeMs / 1000);
        let step = st.step.trim() ? (parseDuration(st.step) ?? NaN) / 1000 : Math.max(Math.floor((end - start) / 250), 1);
        if (!(step > 0)) throw new Error(`invalid resolution ${JSON.stringify(st.step)}`);
        step = Math.max(step, 0.001);
        params.set('start', String(start));
        params.set('end', String(end));
        params.set('step', String(step));
        const r = await api<{ resultType: string; result: MatrixSeries[] }>('/query_range', params, { post: true, signal: ac.signal });
        if (ac !== inflight) return;
        showAnnotations(r.warnings, r.infos);
        clearGraph();
        const all = r.data.result;
        const shown = all.slice(0, MAX_GRAPH_SERIES);
        const host = h('div', { class: 'graph', 'data-testid': 'graph' });
        body.replaceChildren(host);
        const notice = legendNotice(shown.length, all.length);
        if (notice) body.append(notice);
        if (all.length === 0) host.append(h('div', { class: 'empty' }, 'Empty query result'));
        else graph = renderGraph(host, shown, start, end, step, st.stacked, Math.max(320, body.clientWidth || 800));
        host.dataset.series = String(shown.length);
        statusLine.textContent = `Load time: ${Math.round(performance.now() - t0)}ms   Resolution: ${step}s   Result series: ${all.length}`;
      } else {
        params.set('time', String(endMs / 1000));
        const r = await api<{ resultType: string; result: unknown }>('/query', params, { post: true, signal: ac.signal });
        if (ac !== inflight) return;
        showAnnotations(r.warnings, r.infos);
        clearGraph();
        const { rows, total } = tableRows(r.data.resultType, r.data.result, MAX_TABLE_ROWS);
        const tbody = h('tbody');
        for (const [k, v] of rows) tbody.append(h('tr', {}, h('td', { class: 'series' }, k), h('td', { class: 'value' }, v)));
        if (total === 0) tbody.append(h('tr', {}, h('td', { colspan: 2, class: 'empty' }, 'Empty query result')));
        body.replaceChildren(h('table', { class: 'data-table', 'data-testid': 'table', 'data-rows': rows.length }, tbody));
        if (total > rows.length) body.append(h('div', { class: 'alert warning', 'data-testid': 'series-limit' }, `Showing the first ${rows.length} of ${total} results.`));
        statusLine.textContent = `Load time: ${Math.round(performance.now() - t0)}ms   Result series: ${total}`;
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      clearGraph();
      body.replaceChildren();
      statusLine.textContent = '';
      showAlert('error', e instanceof ApiError ? `Error executing query: ${e.describe()}` : `Error: ${(e as Error).message}`);
    } finally {
      if (ac === inflight) execBtn.removeAttribute('disabled');
    }
  }

  function showAnnotations(warnings: string[], infos: string[]): void {
    for (const w of warnings) showAlert('warning', `Warning: ${w}`);
    for (const i of infos) showAlert('info', `Info: ${i}`);
  }

  root.replaceChildren(
    h(
      'div',
      { class: 'panel' },
      h('div', { class: 'expr-row' }, editorHost, execBtn),
      h(
        'div',
        { class: 'controls options' },
        h('label', { for: 'opt-dedup' }, dedup, ' Use deduplication'),
        h('label', { for: 'opt-partial' }, partial, ' Use partial response'),
        h('label', { for: 'opt-resolution' }, 'Max source resolution: ', resolution),
      ),
      alerts,
      tabs,
      graphControls,
      statusLine,
      body,
    ),
  );
  editor = createEditor(editorHost, {
    initial: st.expr,
    apiPrefix: apiPrefix(),
    onExecute: () => void run(),
    onApiError: (e) => showAlert('error', `Autocomplete request failed: ${(e as Error).message ?? String(e)}`),
  });
  editor.focus();
  if (st.expr) void run();
  return () => {
    inflight?.abort();
    clearGraph();
  };
}

function fmtValue(v: string): string {
  const f = parseSampleValue(v);
  return Number.isNaN(f) ? 'NaN' : v;
}

/** A native histogram in the table: count and sum, then its populated buckets as intervals. */
function fmtHistogram(h: ApiHistogram): string {
  const open = ['(', '[', '(', '['];
  const close = [']', ')', ')', ']'];
  const buckets = (h.buckets ?? []).map(([b, lo, hi, c]) => `${open[b] ?? '('}${lo},${hi}${close[b] ?? ']'}: ${c}`);
  return `count=${h.count} sum=${h.sum}${buckets.length > 0 ? `\n${buckets.join('\n')}` : ''}`;
}

function fmtSample(s: VectorSample): string {
  if (s.histogram) return fmtHistogram(s.histogram[1]);
  return s.value ? fmtValue(s.value[1]) : '';
}

/** The first `limit` rows of a result (series text, value text) and the total count. */
export function tableRows(type: string, result: unknown, limit: number): { rows: [string, string][]; total: number } {
  switch (type) {
    case 'vector': {
      const list = result as VectorSample[];
      return { rows: list.slice(0, limit).map((s) => [formatSeries(s.metric), fmtSample(s)]), total: list.length };
    }
    case 'matrix': {
      const list = result as VectorSample[];
      const points = (s: VectorSample): string =>
        [
          ...(s.values ?? []).map(([t, v]) => ({ t, text: fmtValue(v) })),
          ...(s.histograms ?? []).map(([t, h]) => ({ t, text: fmtHistogram(h).replace(/\n/g, ' ') })),
        ]
          .sort((a, b) => a.t - b.t)
          .map((p) => `${p.text} @${p.t}`)
          .join('\n');
      return { rows: list.slice(0, limit).map((s) => [formatSeries(s.metric), points(s)]), total: list.length };
    }
    case 'scalar':
    case 'string': {
      const [t, v] = result as [number, string];
      return { rows: [[`${type} @${formatTime(t * 1000)}`, v]], total: 1 };
    }
    default:
      return { rows: [], total: 0 };
  }
}
