// The PromQL expression editor: CodeMirror 6 with codemirror-promql (highlighting, autocompletion of
// metric/label names, label values and functions from our own API, and linting).
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder, drawSelection, highlightSpecialChars } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import type { El } from './dom.ts';

export interface QueryEditor {
  value(): string;
  set(expr: string): void;
  focus(): void;
}

const theme = EditorView.theme({
  '&': { fontSize: '14px', border: '1px solid #ced4da', borderRadius: '4px', background: '#fff' },
  '&.cm-focused': { outline: 'none', borderColor: '#80bdff', boxShadow: '0 0 0 2px rgba(0,123,255,.2)' },
  '.cm-content': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', padding: '6px 0' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', maxHeight: '16em' },
  '.cm-completionDetail': { color: '#6c757d', marginLeft: '1em', fontStyle: 'normal' },
});

export function createEditor(parent: El, opts: { initial: string; apiPrefix: string; onExecute: () => void; onApiError?: (e: unknown) => void }): QueryEditor {
  const promql = new PromQLExtension()
    .activateCompletion(true)
    .activateLinter(true)
    .setComplete({
      remote: {
        apiPrefix: opts.apiPrefix,
        httpMethod: 'GET',
        lookbackInterval: 12 * 60 * 60 * 1000,
        cache: { maxAge: 5 * 60 * 1000 },
        httpErrorHandler: (e: unknown) => opts.onApiError?.(e),
      },
      maxMetricsMetadata: 10_000,
    });
  const execKeys = keymap.of([
    {
      key: 'Enter',
      run: () => {
        opts.onExecute();
        return true;
      },
    },
    { key: 'Shift-Enter', run: insertNewlineAndIndent },
  ]);
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.initial,
      extensions: [
        theme,
        highlightSpecialChars(),
        history(),
        drawSelection(),
        bracketMatching(),
        closeBrackets(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('Expression (press Shift+Enter for newlines)'),
        EditorView.lineWrapping,
        promql.asExtension(),
        // The completion popup's own Enter binding (highest precedence) wins while it is open;
        // otherwise Enter runs the query.
        autocompletion({ activateOnTyping: true }),
        Prec.high(execKeys),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        EditorView.contentAttributes.of({ 'aria-label': 'PromQL expression', 'data-testid': 'expr' }),
      ],
    }),
  });
  return {
    value: () => view.state.doc.toString(),
    set: (expr) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: expr } }),
    focus: () => view.focus(),
  };
}
