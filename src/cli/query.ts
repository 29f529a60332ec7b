import { notYet } from './notyet.ts';

export async function runQuery(_opts: Record<string, unknown>): Promise<void> {
  notYet('query', 'the distributed querier', 6);
}
