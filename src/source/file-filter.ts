import picomatch from 'picomatch';
import type { PlanScope } from '../plan/removals.js';

/** Which files of a source are manifests: globs relative to its root. */
export type FileFilters = {
  /** Default DEFAULT_INCLUDE. */
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
};

export const DEFAULT_INCLUDE: readonly string[] = ['**/*.yaml', '**/*.yml'];

/**
 * One reading of `--include`/`--exclude` for everything that uses them: the directory
 * and git readers choose files with it, and a plan's scope decides with it which
 * records those files cover. Paths are relative to the source root, with `/`.
 */
export function fileSelector(filters: FileFilters): (file: string) => boolean {
  const include = picomatch([...(filters.include ?? DEFAULT_INCLUDE)], { dot: false });
  const exclude = filters.exclude?.length ? picomatch([...filters.exclude]) : () => false;
  return (file) => include(file) && !exclude(file);
}

/** The scope of a plan: every record without filters; with them, the records of the files they read. */
export function planScopeOf(filters: FileFilters): PlanScope | undefined {
  const include = filters.include ?? [];
  const exclude = filters.exclude ?? [];
  if (include.length === 0 && exclude.length === 0) return undefined;
  return { include: [...include], exclude: [...exclude], covers: fileSelector(filters) };
}
