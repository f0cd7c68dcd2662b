/**
 * How a file the plan's filters left out is described: outside the `--include` globs (it
 * matches none of them), or excluded by an `--exclude` glob (it matches one). One phrase for
 * both ("outside --exclude drafts/**") said the opposite of what happened to an excluded
 * file. `code` wraps each group of flags (Markdown's backticks).
 */
export function leftOutByFilters(
  include: readonly string[],
  exclude: readonly string[],
  code: (text: string) => string = (text) => text,
): string {
  const groups: string[] = [];
  if (include.length > 0)
    groups.push(`outside ${code(include.map((glob) => `--include ${glob}`).join(' '))}`);
  if (exclude.length > 0)
    groups.push(`excluded by ${code(exclude.map((glob) => `--exclude ${glob}`).join(' '))}`);
  return groups.join(' or ');
}
