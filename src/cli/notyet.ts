/** Exits with a clear message for a command whose component has not landed yet. */
export function notYet(cmd: string, what: string, issue: number): never {
  process.stderr.write(`strata ${cmd}: ${what} is not available in this version yet (tracked in issue #${issue}). Use \`strata all\` for a single-process setup.\n`);
  process.exit(2);
}
