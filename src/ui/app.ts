// Strata web UI entry point: a small client-side router over the query, stores, blocks, tenants and
// status pages. Bundled by scripts/build-ui.mjs into src/ui/dist/.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { setApiPrefix } from './web/api.ts';
import { doc, h, win, type El, type UiEvent } from './web/dom.ts';
import { graphHref, graphPage } from './web/graphpage.ts';
import { blocksPage, statusPage, storesPage, tenantsPage } from './web/pages.ts';

const meta = doc.querySelector('meta[name="strata-api-prefix"]');
setApiPrefix(meta?.getAttribute('content') || '/api/v1');

const ROUTES: { path: string; title: string; render: (root: El) => (() => void) | Promise<void> }[] = [
  { path: '/graph', title: 'Query', render: graphPage },
  { path: '/stores', title: 'Stores', render: storesPage },
  { path: '/blocks', title: 'Blocks', render: blocksPage },
  { path: '/tenants', title: 'Tenants', render: tenantsPage },
  { path: '/status', title: 'Status', render: statusPage },
];

const main = h('main', { id: 'page' });
const nav = h('nav', { class: 'nav' });
let cleanup: (() => void) | null = null;

function current(): (typeof ROUTES)[number] {
  const p = win.location.pathname.replace(/\/+$/, '') || '/graph';
  return ROUTES.find((r) => r.path === p) ?? ROUTES[0]!;
}

function render(): void {
  cleanup?.();
  cleanup = null;
  const route = current();
  doc.title = `Strata · ${route.title}`;
  nav.replaceChildren(
    h('a', { class: 'brand', href: graphHref(), onclick: go(graphHref()) }, 'Strata'),
    ...ROUTES.map((r) => {
      const href = r.path === '/graph' ? graphHref() : r.path;
      return h('a', { href, class: r === route ? 'active' : '', 'data-testid': `nav-${r.path.slice(1)}`, onclick: go(href) }, r.title);
    }),
  );
  const res = route.render(main);
  if (typeof res === 'function') cleanup = res;
}

function go(path: string): (e: UiEvent) => void {
  return (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || (e.button ?? 0) !== 0) return;
    e.preventDefault();
    if (win.location.pathname + win.location.search !== path) win.history.pushState(null, '', path);
    render();
  };
}

win.addEventListener('popstate', render);
doc.body.replaceChildren(h('header', {}, nav), main);
render();
