import { UsageError } from '../errors.js';
import { shellQuote } from '../text/shell-quote.js';
import { globMatcher, type FileFilters } from '../source/file-filter.js';

/** A named file `--include` leaves out as typed, but selects relative to `dir`, one of its ancestors. */
export type FiltersForDir = { file: string; dir: string };

/**
 * A named file is matched by its path as typed (relative to the current directory), a
 * directory's files by their paths relative to it. `--include 'loyalty/**'` written for
 * `audiences/` (as `plan audiences` takes it) would leave `audiences/loyalty/bad.yaml` out
 * when a pre-commit hook names it, and validate would pass having read nothing. When an
 * include pattern leaves the typed path out but the filters select the path relative to one
 * of its ancestor directories, they were written for that directory: undefined otherwise.
 */
export function filtersForAncestor(typed: string, filters: FileFilters): FiltersForDir | undefined {
  if (filters.include === undefined || typed.startsWith('/') || typed.startsWith('../')) return undefined;
  const include = globMatcher(filters.include);
  if (include(typed)) return undefined;
  const exclude = filters.exclude?.length ? globMatcher(filters.exclude) : () => false;
  const parts = typed.split('/');
  // The outermost ancestor first: the manifests directory, rather than a folder inside it.
  for (let depth = 1; depth < parts.length; depth += 1) {
    const relative = parts.slice(depth).join('/');
    if (include(relative) && !exclude(relative)) return { file: typed, dir: parts.slice(0, depth).join('/') };
  }
  return undefined;
}

/** One line: the flag, the file, and the filters as the named file needs them. */
export function filtersForDirError(found: readonly FiltersForDir[], filters: FileFilters): UsageError {
  const { file, dir } = found[0]!;
  const given = (flag: string, globs: readonly string[] | undefined, prefix = '') =>
    (globs ?? []).map((glob) => `${flag} ${shellQuote(`${prefix}${glob}`)}`);
  const as = [...given('--include', filters.include), ...given('--exclude', filters.exclude)].join(' ');
  const fixed = [
    ...given('--include', filters.include, `${dir}/`),
    ...given('--exclude', filters.exclude, `${dir}/`),
  ].join(' ');
  const more = found.length > 1 ? ` (and ${found.length - 1} more named file(s))` : '';
  return new UsageError(
    'FILTERS_FOR_DIR',
    `${as} selects ${file} only relative to ${dir}/, but a file named on the command line is matched by its path as typed, so it would be skipped${more}: give ${fixed} (or run: audiencectl validate ${shellQuote(dir)} ${as})`,
  );
}
