// A small typed view of the browser DOM for the UI sources. The repository's tsconfig targets Node
// (no "dom" lib, which would change global types for every server file), so the browser code types
// the part of the DOM it uses here and reaches the real objects through globalThis.

export interface UiEvent {
  readonly type: string;
  readonly target: unknown;
  readonly key?: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly shiftKey?: boolean;
  readonly button?: number;
  preventDefault(): void;
}

export interface ClassList {
  add(...c: string[]): void;
  remove(...c: string[]): void;
  toggle(c: string, force?: boolean): boolean;
  contains(c: string): boolean;
}

export interface El {
  readonly tagName: string;
  id: string;
  className: string;
  textContent: string | null;
  title: string;
  readonly classList: ClassList;
  readonly style: { setProperty(name: string, value: string): void; width: string; left: string; height: string; display: string };
  readonly dataset: Record<string, string | undefined>;
  readonly clientWidth: number;
  append(...nodes: (El | string)[]): void;
  replaceChildren(...nodes: (El | string)[]): void;
  remove(): void;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  getAttribute(name: string): string | null;
  addEventListener(type: string, fn: (e: UiEvent) => void): void;
  querySelector(sel: string): El | null;
  focus(): void;
}

export interface InputEl extends El {
  value: string;
  checked: boolean;
  disabled: boolean;
}

interface Doc {
  createElement(tag: string): El;
  getElementById(id: string): El | null;
  readonly body: El;
  title: string;
  querySelector(sel: string): El | null;
}

interface Win {
  readonly location: { pathname: string; search: string; origin: string };
  readonly history: { pushState(state: unknown, title: string, url: string): void; replaceState(state: unknown, title: string, url: string): void };
  addEventListener(type: string, fn: (e: UiEvent) => void): void;
  requestAnimationFrame(fn: () => void): number;
  readonly devicePixelRatio: number;
}

const g = globalThis as unknown as { document: Doc; window: Win };
export const doc: Doc = g.document;
export const win: Win = g.window;

export type Child = El | string | null | undefined | false;

/** Creates an element: h('div', { class: 'x', onclick: fn }, child, …). Text children are text nodes. */
export function h(tag: string, attrs: Record<string, string | number | boolean | ((e: UiEvent) => void) | undefined> = {}, ...children: Child[]): El {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.startsWith('on') ? k.slice(2) : k, v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'value' || k === 'checked') (el as InputEl)[k as 'value'] = v as never;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function input(attrs: Parameters<typeof h>[1]): InputEl {
  return h('input', attrs) as InputEl;
}
