import { notYet } from './notyet.ts';

export async function runCompact(_opts: Record<string, unknown>): Promise<void> {
  notYet('compact', 'the compactor', 7);
}
