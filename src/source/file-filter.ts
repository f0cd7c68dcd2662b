import picomatch from 'picomatch';
import type { PlanScope } from '../plan/removals.js';
import { quoted } from '../text/safe-text.js';

/** Which files of a source are manifests: globs relative to its root. */
export type FileFilters = {
  /** Default DEFAULT_INCLUDE. */
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
};

export const DEFAULT_INCLUDE: readonly string[] = ['**/*.yaml', '**/*.yml'];

/**
 * picomatch as every reader of `--include`/`--exclude` compiles globs. With the regex flag `s`,
 * the `.` that `**` compiles to takes line terminators too: without it, a folder named `mkt\r`
 * (made from a CRLF list), `a\nb` or with U+2028 was never read, and its audiences were deleted
 * as removed manifests (review 32, M-5). Dot folders stay out (`dot: false`).
 */
export function globMatcher(globs: readonly string[]): (file: string) => boolean {
  return picomatch([...globs], { dot: false, flags: 's' });
}

/** The filters as given on the command line (`--include a --exclude b`); empty when none were. */
export function filtersGiven(filters: FileFilters): string[] {
  return [
    ...(filters.include ?? []).map((glob) => `--include ${glob}`),
    ...(filters.exclude ?? []).map((glob) => `--exclude ${glob}`),
  ];
}

/**
 * One reading of `--include`/`--exclude` for everything that uses them: the directory
 * and git readers choose files with it, and a plan's scope decides with it which
 * records those files cover. Paths are relative to the source root, with `/`.
 */
export function fileSelector(filters: FileFilters): (file: string) => boolean {
  if (filters.include === undefined && !filters.exclude?.length) {
    // Compiled for the first path that is not plain, if any (a plan's listing has none).
    let include: ((file: string) => boolean) | undefined;
    return defaultSelector((file) => (include ??= globMatcher(DEFAULT_INCLUDE))(file));
  }
  const include = globMatcher(filters.include ?? DEFAULT_INCLUDE);
  const exclude = filters.exclude?.length ? globMatcher(filters.exclude) : () => false;
  return (file) => include(file) && !exclude(file);
}

/** Segments of letters, digits, `_`, `-` and `.`, none starting with `.`, none empty. */
const PLAIN_PATH = /^[\w-][\w.-]*(\/[\w-][\w.-]*)*$/;

/**
 * DEFAULT_INCLUDE without picomatch for plain paths (a tenth of a second per 10,000
 * files): such a path matches exactly when it ends in `.yaml` or `.yml`. Any other
 * path is left to picomatch (test/source/file-filter.spec.ts compares the two).
 */
function defaultSelector(include: (file: string) => boolean): (file: string) => boolean {
  return (file) => (PLAIN_PATH.test(file) ? file.endsWith('.yaml') || file.endsWith('.yml') : include(file));
}

/** The scope of a plan: every record without filters; with them, the records of the files they read. */
export function planScopeOf(filters: FileFilters): PlanScope | undefined {
  const include = filters.include ?? [];
  const exclude = filters.exclude ?? [];
  if (include.length === 0 && exclude.length === 0) return undefined;
  return { include: [...include], exclude: [...exclude], covers: fileSelector(filters) };
}

/**
 * A glob that may reach a dot folder although `dot: false`: one naming a segment that begins
 * with `.` (`.github/*.yaml`), or with brackets, braces or an extglob (`!(a)` matches `..a`).
 * `*`, `**` and `?` alone never do.
 */
const REACHES_DOTS = /(^|\/)\.|[([{!+@\\]/;

/** The literal folder every match of `glob` is under ('' when none, or when the glob is not plainly read). */
function literalBase(glob: string): string {
  const { base, negated } = picomatch.scan(glob);
  return negated || base.includes('\\') ? '' : base;
}

/** `folder` and `base` on one line: the one is the other, or under it. */
function onOnePath(folder: string, base: string): boolean {
  return base === '' || folder === base || folder.startsWith(`${base}/`) || base.startsWith(`${folder}/`);
}

/** A path under `base` (or base itself) that passes through a dot folder below it. */
function dotBelow(folder: string, base: string): boolean {
  const below = base === '' ? folder : folder.slice(base.length + 1);
  return folder.length > base.length && below.split('/').some((segment) => segment.startsWith('.'));
}

/**
 * Whether the filters may select a file under `folder` (relative to the root, `/`-separated):
 * false only when none of them can (`--include 'loyalty/**'` and `partners`; `--exclude
 * 'partners/**\/*'`; a dot folder that no include names). A folder that cannot be listed is then no
 * doubt, as a file they do not select is never opened; when unsure, true.
 */
export function mayHoldSelected(folder: string, filters: FileFilters): boolean {
  const include = filters.include ?? DEFAULT_INCLUDE;
  const dotNamed = include.some((glob) => REACHES_DOTS.test(glob));
  const included = include.some((glob) => {
    const base = literalBase(glob);
    return onOnePath(folder, base) && (dotNamed || !dotBelow(folder, base));
  });
  if (!included) return false;
  // A glob that takes every path under its folder (but dot folders', which an include may name).
  // Only the form `**/*` is taken for every name there; any other is left to the match per file.
  const excluded = (filters.exclude ?? []).some((glob) => {
    const { base, glob: rest, negated } = picomatch.scan(glob);
    if (negated || base.includes('\\') || rest !== '**/*') return false;
    return (base === '' || folder === base || folder.startsWith(`${base}/`)) && !dotNamed;
  });
  return !excluded;
}

/** Why the default selection leaves out a file named like a manifest (unselectedByDefault). */
export type Unselected =
  | { why: 'dot-folder'; folder: string }
  | { why: 'dotfile' }
  | { why: 'extension'; extension: string }
  | { why: 'renamed'; extension: string }
  /**
   * Only of unreadClaimant: a renamed name (`renamed`) in a dot folder (`.archive/gold.yaml.bak`),
   * or itself a dotfile (`.gold.yaml.bak`): renamed back, it is still not read (review scope-43, L-3).
   */
  | { why: 'renamed-dot-folder'; extension: string; folder: string }
  | { why: 'renamed-dotfile'; extension: string }
  /**
   * Both: a renamed dotfile in a dot folder (`.archive/.gold.yaml.bak`). Told only to move it out
   * and rename it, `.gold.yaml` was still a dotfile, not read (review verify-43, L-1).
   */
  | { why: 'renamed-dotfile-in-dot-folder'; extension: string; folder: string };

/**
 * A manifest renamed so that the default no longer reads it, its text whole: a suffix after its
 * extension that parks or backs it up (`b.yaml.bak`, `b.yaml.disabled`, an editor's `b.yaml~`, a
 * merge tool's `b.yaml.orig`), or JSON (`b.json`, which YAML reads). Its removal is held while it
 * claims to be an audiencectl manifest (review scope-41, H-2). Not an editor's swap file.
 */
const RENAMED_NAME = /(?:\.ya?ml(?:\.[^./]+|~)|\.json)$/i;
const SWAP_FILE = /\.sw[a-p]$/;

/** An editor's swap file (vim's `.gold.yaml.swp`): the text of a file being edited, never a manifest moved. */
export function isSwapFile(relative: string): boolean {
  return SWAP_FILE.test(relative);
}

/**
 * Why the default selection leaves out `relative`, a file whose text claims to be an audiencectl
 * manifest whatever its name (read-elsewhere.ts): unselectedByDefault's reason; else `renamed`,
 * the suffix of its name from its first dot as the extension (`gold.ymal`, `gold.yaml.1.bak`,
 * `gold.bak`; none: `gold`), `renamed-dot-folder` in a dot folder (`.archive/gold.yaml.bak`),
 * `renamed-dotfile` of a name that begins with a dot, `renamed-dotfile-in-dot-folder` of both.
 * Undefined when the default reads it.
 */
export function unreadClaimant(relative: string): Unselected | undefined {
  const left = unselectedByDefault(relative);
  if (left !== undefined || byDefault(relative)) return left;
  const segments = relative.split('/');
  const name = segments.at(-1) ?? relative;
  const dot = name.indexOf('.', 1);
  const extension = dot === -1 ? '' : name.slice(dot);
  const folder = segments.slice(0, -1).find((segment) => /^\.(?!\.?$)/.test(segment));
  if (folder !== undefined)
    return name.startsWith('.')
      ? { why: 'renamed-dotfile-in-dot-folder', extension, folder }
      : { why: 'renamed-dot-folder', extension, folder };
  return name.startsWith('.') ? { why: 'renamed-dotfile', extension } : { why: 'renamed', extension };
}

/** unselectedByDefault of a name that does not end like a manifest: renamed (RENAMED_NAME), or not. */
function renamedManifest(relative: string): Unselected | undefined {
  const renamed = RENAMED_NAME.exec(relative);
  if (renamed === null || SWAP_FILE.test(relative)) return undefined;
  const segments = relative.split('/');
  if (segments.some((segment) => SKIPPED_DIRS.has(segment) || segment.startsWith('.'))) return undefined;
  return { why: 'renamed', extension: renamed[0] };
}

/**
 * `.yaml` or `.yml` in any case, and any blanks or line breaks after it: `b.yaml\r` and `b.yaml `
 * are what a script reading names from a CRLF list (or pasting one) makes of `b.yaml`, the same
 * mistake as `b.YAML` (review 32, M-5).
 */
const YAML_NAME = /\.ya?ml[\s\u0085]*$/i;

/** An extension as messages show it: `.YAML`; in quotes and escaped when blanks or a line break follow it (`".yaml\u000D"`). */
export function shownExtension(extension: string): string {
  return /^\.ya?ml$/i.test(extension) ? extension : quoted(extension);
}

/**
 * Folders never walked into, by name (whatever they are reached through). The one rule: the
 * reader (read-dir.ts) and the git-tree reader of `plan --base` walk with it, the daemon's cache
 * uses it, and a file in one is never said to be left out (unselectedByDefault).
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/**
 * Why the default selection leaves out a file named like a manifest (relative to the root read,
 * `/`-separated): its extension is `.yaml` or `.yml` but in another case (`.YAML`, `.Yml`) or
 * followed by blanks or a line break (`.yaml\r`), or a
 * folder on its path or its own name begins with a dot (`.archive/b.yaml`, `.b.yaml`). Undefined
 * for a file the default reads, one named otherwise, or one in a folder never walked (`.git`,
 * `node_modules`). A user's `git mv b.yaml b.YAML` or `git mv b.yaml .archive/` keeps the file:
 * its removal is held, and validate says it is not read (review 31, H-2).
 */
export function unselectedByDefault(relative: string): Unselected | undefined {
  const named = YAML_NAME.exec(relative);
  if (named === null) return renamedManifest(relative);
  const segments = relative.split('/');
  if (segments.some((segment) => SKIPPED_DIRS.has(segment))) return undefined;
  const folder = segments.slice(0, -1).find((segment) => segment.startsWith('.'));
  if (folder !== undefined) return { why: 'dot-folder', folder };
  if (segments[segments.length - 1]!.startsWith('.')) return { why: 'dotfile' };
  const extension = named[0];
  return extension === '.yaml' || extension === '.yml' ? undefined : { why: 'extension', extension };
}

const byDefault = fileSelector({});

/**
 * A file a manifest may be in: one the default selection reads, or one it leaves out that is
 * named like one (unselectedByDefault: `b.YAML`, `.archive/b.yaml`). What a plan's listing keeps
 * of the files its filters leave out, for the search of removed records' manifests
 * (src/manifest/read-elsewhere.ts).
 */
export function namedLikeManifest(relative: string): boolean {
  return byDefault(relative) || unselectedByDefault(relative) !== undefined;
}
