// Stores, Blocks, Tenants and Status pages. Each loads its endpoint and shows API errors verbatim;
// endpoints a component does not serve (404) are shown as "not available" rather than as failures.
import { api, ApiError, formatDuration, formatTime } from './api.ts';
import { h, type El } from './dom.ts';

function errorBox(e: unknown, what: string): El {
  if (e instanceof ApiError && e.status === 404) return h('div', { class: 'alert info', 'data-testid': 'not-available' }, `${what} is not available on this server (HTTP 404).`);
  const text = e instanceof ApiError ? e.describe() : (e as Error).message;
  return h('div', { class: 'alert error', role: 'alert', 'data-testid': 'alert-error' }, `Error loading ${what}: ${text}`);
}

function table(head: string[], rows: (El | string)[][], testid: string): El {
  return h(
    'table',
    { class: 'data-table', 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

function labelChips(ls: Record<string, string>): El {
  const keys = Object.keys(ls).sort();
  return h('span', { class: 'labels' }, ...keys.map((k) => h('span', { class: 'chip' }, `${k}="${ls[k]}"`)));
}

function msTime(v: unknown): string {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= -9e15 || n >= 9e15) return n < 0 ? '-∞' : '+∞';
  return formatTime(n);
}

// ---- Stores ----

interface StoreStatus {
  name: string;
  lastCheck?: string;
  lastError?: string | null;
  labelSets?: Record<string, string>[];
  minTime?: number;
  maxTime?: number;
}

export async function storesPage(root: El): Promise<void> {
  root.replaceChildren(h('h2', {}, 'Stores'), h('div', { class: 'loading' }, 'Loading…'));
  try {
    const r = await api<Record<string, StoreStatus[] | null>>('/stores');
    const out: El[] = [h('h2', {}, 'Stores')];
    const types = Object.keys(r.data ?? {}).sort();
    if (types.length === 0) out.push(h('div', { class: 'empty' }, 'No store endpoints.'));
    for (const type of types) {
      const list = r.data[type] ?? [];
      out.push(h('h3', {}, `${type} (${list.length})`));
      out.push(
        table(
          ['Endpoint', 'Health', 'Last check', 'Label sets', 'Min time', 'Max time', 'Last error'],
          list.map((s) => [
            s.name,
            h('span', { class: `health ${s.lastError ? 'down' : 'up'}` }, s.lastError ? 'DOWN' : 'UP'),
            s.lastCheck ? formatTime(Date.parse(s.lastCheck)) : '-',
            h('div', {}, ...(s.labelSets ?? []).map((ls) => h('div', {}, labelChips(ls)))),
            msTime(s.minTime),
            msTime(s.maxTime),
            s.lastError ?? '',
          ]),
          'stores-table',
        ),
      );
    }
    root.replaceChildren(...out);
  } catch (e) {
    root.replaceChildren(h('h2', {}, 'Stores'), errorBox(e, 'the stores list (/api/v1/stores)'));
  }
}

// ---- Blocks ----

export interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats?: { numSeries?: number; numSamples?: number };
  compaction?: { level?: number };
  thanos?: { labels?: Record<string, string>; downsample?: { resolution?: number }; source?: string };
}

function streamKey(ls: Record<string, string>): string {
  const keys = Object.keys(ls).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${ls[k]}"`).join(', ')}}` : '{}';
}

const RES_CLASS: Record<number, string> = { 0: 'raw', 300000: 'res5m', 3600000: 'res1h' };

export async function blocksPage(root: El): Promise<void> {
  root.replaceChildren(h('h2', {}, 'Blocks'), h('div', { class: 'loading' }, 'Loading…'));
  try {
    const r = await api<{ blocks?: BlockMeta[]; refreshedAt?: string; label?: string }>('/blocks');
    const blocks = r.data?.blocks ?? [];
    const out: El[] = [h('h2', {}, `Blocks (${blocks.length})`)];
    if (r.data?.refreshedAt) out.push(h('div', { class: 'muted' }, `Last refreshed ${r.data.refreshedAt}`));
    if (blocks.length === 0) {
      out.push(h('div', { class: 'empty', 'data-testid': 'blocks-empty' }, 'No blocks in the bucket yet.'));
      root.replaceChildren(...out);
      return;
    }
    let min = Infinity;
    let max = -Infinity;
    const streams = new Map<string, BlockMeta[]>();
    for (const b of blocks) {
      min = Math.min(min, b.minTime);
      max = Math.max(max, b.maxTime);
      const k = streamKey(b.thanos?.labels ?? {});
      let l = streams.get(k);
      if (!l) streams.set(k, (l = []));
      l.push(b);
    }
    const span = Math.max(1, max - min);
    const detail = h('div', { class: 'block-detail', 'data-testid': 'block-detail' }, 'Click a block for details.');
    out.push(
      h('div', { class: 'legend-row' }, h('span', { class: 'block raw swatch' }), ' raw ', h('span', { class: 'block res5m swatch' }), ' 5m ', h('span', { class: 'block res1h swatch' }), ' 1h '),
      h('div', { class: 'muted' }, `${formatTime(min)} — ${formatTime(max)}`),
    );
    const timeline = h('div', { class: 'timeline', 'data-testid': 'blocks-timeline' });
    for (const [key, list] of [...streams].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      // One row per (resolution, level) inside the stream so overlapping blocks stay visible.
      const rows = new Map<string, BlockMeta[]>();
      for (const b of list) {
        const rk = `${b.thanos?.downsample?.resolution ?? 0}/${b.compaction?.level ?? 1}`;
        let l = rows.get(rk);
        if (!l) rows.set(rk, (l = []));
        l.push(b);
      }
      const streamEl = h('div', { class: 'stream', 'data-testid': 'stream' }, h('div', { class: 'stream-name' }, key));
      for (const [rk, bl] of [...rows].sort()) {
        const [res, level] = rk.split('/');
        const row = h('div', { class: 'stream-row', title: `resolution ${formatDuration(Number(res)) || 'raw'}, level ${level}` });
        for (const b of bl) {
          const resMs = b.thanos?.downsample?.resolution ?? 0;
          const el = h('div', {
            class: `block ${RES_CLASS[resMs] ?? 'raw'}`,
            'data-testid': 'block',
            title: `${b.ulid}\n${formatTime(b.minTime)} — ${formatTime(b.maxTime)}\nlevel ${b.compaction?.level ?? 1}, resolution ${resMs ? formatDuration(resMs) : 'raw'}`,
            onclick: () =>
              detail.replaceChildren(
                table(
                  ['ULID', 'Min time', 'Max time', 'Duration', 'Level', 'Resolution', 'Series', 'Samples', 'Source'],
                  [[b.ulid, formatTime(b.minTime), formatTime(b.maxTime), formatDuration(b.maxTime - b.minTime), String(b.compaction?.level ?? 1), resMs ? formatDuration(resMs) : 'raw', String(b.stats?.numSeries ?? '-'), String(b.stats?.numSamples ?? '-'), b.thanos?.source ?? '-']],
                  'block-detail-table',
                ),
              ),
          });
          el.style.left = `${((b.minTime - min) / span) * 100}%`;
          el.style.width = `max(2px, ${((b.maxTime - b.minTime) / span) * 100}%)`;
          el.textContent = `L${b.compaction?.level ?? 1}`;
          row.append(el);
        }
        streamEl.append(row);
      }
      timeline.append(streamEl);
    }
    out.push(timeline, detail);
    root.replaceChildren(...out);
  } catch (e) {
    root.replaceChildren(h('h2', {}, 'Blocks'), errorBox(e, 'the bucket blocks list (/api/v1/blocks)'));
  }
}

// ---- Tenants ----

interface TenantStat {
  tenant: string;
  activeSeries: number;
  samplesPerSecond: number;
}

export async function tenantsPage(root: El): Promise<void> {
  root.replaceChildren(h('h2', {}, 'Tenants'), h('div', { class: 'loading' }, 'Loading…'));
  try {
    const r = await api<TenantStat[]>('/status/tenants');
    const list = [...(r.data ?? [])].sort((a, b) => b.activeSeries - a.activeSeries || (a.tenant < b.tenant ? -1 : 1));
    root.replaceChildren(
      h('h2', {}, `Tenants (${list.length})`),
      table(
        ['Tenant', 'Active series', 'Ingest rate (samples/s)'],
        list.map((t) => [t.tenant, String(t.activeSeries), (Math.round(t.samplesPerSecond * 100) / 100).toString()]),
        'tenants-table',
      ),
    );
  } catch (e) {
    root.replaceChildren(h('h2', {}, 'Tenants'), errorBox(e, 'tenant statistics (/api/v1/status/tenants)'));
  }
}

// ---- Status ----

async function kvSection(title: string, path: string, testid: string): Promise<El> {
  try {
    const r = await api<Record<string, unknown>>(path);
    const keys = Object.keys(r.data ?? {});
    return h('section', {}, h('h3', {}, title), table(['Name', 'Value'], keys.map((k) => [k, typeof r.data[k] === 'string' ? (r.data[k] as string) : JSON.stringify(r.data[k])]), testid));
  } catch (e) {
    return h('section', {}, h('h3', {}, title), errorBox(e, title.toLowerCase()));
  }
}

export async function statusPage(root: El): Promise<void> {
  root.replaceChildren(h('h2', {}, 'Status'), h('div', { class: 'loading' }, 'Loading…'));
  const parts = await Promise.all([
    kvSection('Build information', '/status/buildinfo', 'buildinfo'),
    kvSection('Runtime information', '/status/runtimeinfo', 'runtimeinfo'),
    kvSection('Command-line flags', '/status/flags', 'flags'),
  ]);
  root.replaceChildren(h('h2', {}, 'Status'), ...parts);
}
