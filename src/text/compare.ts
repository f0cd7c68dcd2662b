/**
 * Code-point order (UTF-16 code units, as `<` compares): the same on every machine.
 * `localeCompare` and `Intl.Collator` follow the process's locale (LANG, LC_ALL): under
 * cs_CZ "ch" sorts after "h", under lt_LT "y" before "j", so the order of files,
 * manifests and diagnostics, and with it a saved plan's digest of the manifests, changed
 * with the machine that planned. It is also several times cheaper (a collator's first
 * use loads ICU data, about 10 ms; sorting 10,000 paths took about 30 ms, now about 7).
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
