import { notYet } from './notyet.ts';

export async function runStore(_opts: Record<string, unknown>): Promise<void> {
  notYet('store', 'the store gateway', 6);
}
