import path from 'node:path';

/**
 * Whether `relative`, a path.relative() result, leaves the directory it is relative to: `..`,
 * `../…`, or absolute (another drive, on Windows). Not a name that only begins with two dots:
 * `..data` is inside, as a Kubernetes ConfigMap or Secret volume lays its files out
 * (`gold.yaml -> ..data/gold.yaml`, `..data -> ..2026_12_04_01`; review 31, M-1).
 */
export function leavesDirectory(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}
