import { escapeText } from '../text/safe-text.js';
import { compareText } from '../text/compare.js';

/** One problem found in the source, pointing at the place a person must edit. */
export type Diagnostic = {
  severity: 'error' | 'warning';
  /** Path relative to the source root, with `/` separators. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  line: number;
  column: number;
  /** Stable identifier of the rule broken, e.g. `schema/invalid-type`. */
  rule: string;
  message: string;
};

/**
 * Rule of the warning for a symlink the reader did not follow (out of the source root, or
 * in a git tree): the path was not read, so what it defined was not removed.
 */
export const SYMLINK_NOT_FOLLOWED = 'source/symlink-outside';

/**
 * Rule of the warning for a git submodule under the directory read that is not checked out (its
 * folder empty: a clone without --recurse-submodules): not read, as a link that is not
 * followed is, so what it defined was not removed.
 */
export const SUBMODULE_NOT_CHECKED_OUT = 'source/submodule-not-checked-out';

/**
 * Rule of the warning for a git submodule under the directory read that is checked out at
 * another commit than the work tree's index records for it (`git submodule status` marks it
 * `+`: a plain `git pull` of the superproject leaves it at the older commit): its manifests
 * are an older (or other) picture, not read, and what it defined is left as it is.
 */
export const SUBMODULE_STALE = 'source/submodule-stale';

/** Something worth knowing that is not a problem, such as a file that is not a manifest. */
export type Note = Omit<Diagnostic, 'severity'> & { severity: 'note' };

/**
 * `file:line:col: severity: message [rule]` — the format editors and CI annotate. File
 * names and messages quote manifest text, so they are escaped (`escapeText`).
 */
export function formatDiagnostic(d: Diagnostic | Note): string {
  const file = escapeText(d.file);
  const where = d.line > 0 ? `${file}:${d.line}:${d.column}` : file;
  return `${where}: ${d.severity}: ${escapeText(d.message)} [${d.rule}]`;
}

export function compareDiagnostics(a: Diagnostic | Note, b: Diagnostic | Note): number {
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column || compareText(a.rule, b.rule);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
