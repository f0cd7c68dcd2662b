import type { Diagnostic } from './diagnostics.js';
import type { DesiredManifest } from './load.js';
import { specName } from './spec-hash-memo.js';

export type Position = { line: number; column: number };

export type Duplicates = { diagnostics: Diagnostic[]; files: Set<string> };

/**
 * The items sharing a key within their sandbox (groups of two or more, in the order of
 * their first item). Maps by sandbox, then key: no joined key string, and no array for
 * an item alone (10,000 of each showed in a plan's profile).
 */
function groupBy<T extends { sandbox: string }>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const first = new Map<string, Map<string, T>>();
  const shared = new Map<T, T[]>();
  for (const item of items) {
    let keys = first.get(item.sandbox);
    if (keys === undefined) first.set(item.sandbox, (keys = new Map<string, T>()));
    const key = keyOf(item);
    const earlier = keys.get(key);
    if (earlier === undefined) keys.set(key, item);
    else {
      const group = shared.get(earlier);
      if (group) group.push(item);
      else shared.set(earlier, [earlier, item]);
    }
  }
  if (shared.size === 0) return [];
  const groups: T[][] = [];
  for (const item of items) {
    const group = shared.get(item);
    if (group) groups.push(group);
  }
  return groups;
}

/** The service compares audience names ignoring case and surrounding blanks. */
export function audienceNameKey(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Printable ASCII without a doubled space: a name that looks as it is written (most names;
 * 10,000 in a plan), whose audienceLooksKey is its audienceNameKey.
 */
export function looksAsWritten(name: string): boolean {
  return !/[^\x20-\x7E]| {2}/.test(name);
}

/** Invisible characters that make two different names look the same (as text/safe-text.ts escapes them). */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;

/**
 * A name as it looks: compatibility-normalised (NFKC: `e` + U+0301 is `é`, a no-break space a
 * space), invisible characters dropped, runs of spaces one, then as the service compares names
 * (audienceNameKey: case and surrounding blanks aside). Two names of one such key but two
 * service keys are two audiences the service makes and nobody can tell apart.
 */
export function audienceLooksKey(name: string): string {
  if (looksAsWritten(name)) return audienceNameKey(name);
  return audienceNameKey(name.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/gu, ' '));
}

/** ` (another Unicode form: NFD here, NFC there)` when that is all `name` and `other` differ in, else ''. */
function unicodeFormNote(name: string, other: string): string {
  const nfc = name.normalize('NFC');
  if (nfc !== other.normalize('NFC')) return '';
  const form = (text: string) => (text === text.normalize('NFC') ? 'NFC' : 'NFD');
  return ` (another Unicode form: ${form(name)} here, ${form(other)} there)`;
}

/**
 * Where `spec.name` of a manifest is written, for the rare duplicate: the first
 * `name:` line below a `spec:` line of its document (the document starting at line
 * `start`), as manifests are written; else the document's first line. (A textual
 * search keeps the YAML library out of the main thread.) Only the lines from `start`
 * on are cut, up to the name: the text is not split into lines.
 */
export function specNamePositionInText(start: number, text: string): Position {
  const fallback = { line: start, column: 1 };
  // A start before the first line is read from the first.
  let index = Math.max(start, 1) - 1;
  let at = 0;
  for (let skipped = 0; skipped < index; skipped += 1) {
    const eol = text.indexOf('\n', at);
    if (eol < 0) return fallback;
    at = eol + 1;
  }
  let inSpec = false;
  let indent: string | undefined;
  for (; ; index += 1) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol < 0 ? text.length : eol);
    // A line that starts with a letter (most) is neither a marker nor indented.
    const lower = line.charCodeAt(0) | 32;
    const letter = lower >= 97 && lower <= 122;
    if (!letter && /^(---|\.\.\.)(\s|$)/.test(line)) break;
    if (letter || /^\S/.test(line)) {
      inSpec = line.startsWith('spec:') && /^spec:\s*(#.*)?$/.test(line);
      indent = undefined;
    } else if (inSpec && !/^\s*(#.*)?$/.test(line)) {
      indent ??= /^\s*/.exec(line)![0];
      const name = /^(\s*name\s*:\s*)\S/.exec(line);
      if (name && line.startsWith(`${indent}name`)) return { line: index + 1, column: name[1]!.length + 1 };
    }
    if (eol < 0) break;
    at = eol + 1;
  }
  return fallback;
}

/** A manifest and where its spec.name is written. */
type Placed = { m: DesiredManifest; at: Position };

/**
 * The manifests whose spec.name shares a key (`keyOf`) in their sandbox: each fails with
 * `rule` at its spec.name, its message naming the others (`message`). Returns the groups.
 */
function sameSpecName(
  candidates: readonly DesiredManifest[],
  keyOf: (name: string) => string,
  rule: string,
  message: (m: DesiredManifest, others: Placed[]) => string,
  namePosition: (manifest: DesiredManifest) => Position,
  out: Duplicates,
): DesiredManifest[][] {
  const groups = groupBy(candidates, (m) => keyOf(specName(m.manifest)));
  for (const list of groups) {
    const positioned = list.map((m) => ({ m, at: namePosition(m) }));
    for (const { m, at } of positioned) {
      out.files.add(m.file);
      const others = positioned.filter((other) => other.m !== m);
      out.diagnostics.push({
        severity: 'error',
        file: m.file,
        line: at.line,
        column: at.column,
        rule,
        message: message(m, others),
      });
    }
  }
  return groups;
}

/**
 * Two manifests for one audience: the same `metadata.name` in a sandbox (the same
 * key), or the same `spec.name` ignoring case and blanks (the service refuses the
 * second audience), or names that look the same (audienceLooksKey: the service makes both).
 * Every file involved fails, naming the others.
 */
export function findDuplicates(
  candidates: readonly DesiredManifest[],
  /** Where a manifest's spec.name is written (see specNamePositionInText). */
  namePosition: (manifest: DesiredManifest) => Position,
): Duplicates {
  const diagnostics: Diagnostic[] = [];
  const files = new Set<string>();
  const sameKey = new Set<DesiredManifest>();

  for (const list of groupBy(candidates, (m) => m.key)) {
    const places = list.map((m) => `${m.file}:${m.line}`).join(' and ');
    for (const dup of list) {
      sameKey.add(dup);
      files.add(dup.file);
      diagnostics.push({
        severity: 'error',
        file: dup.file,
        line: dup.line,
        column: 1,
        rule: 'manifest/duplicate-name',
        message: `metadata.name "${dup.key}" is defined more than once in sandbox "${dup.sandbox}": ${places}`,
      });
    }
  }

  const byName = sameSpecName(
    sameKey.size === 0 ? candidates : candidates.filter((m) => !sameKey.has(m)),
    audienceNameKey,
    'manifest/duplicate-spec-name',
    (m, others) =>
      `spec.name ${JSON.stringify(m.manifest.spec.name)} is also used by ${others
        .map((other) => `${other.m.file}:${other.at.line}`)
        .join(' and ')} in sandbox "${m.sandbox}"; the service refuses a second audience of the same name`,
    namePosition,
    { diagnostics, files },
  );

  // Names the service takes for two, that show the same (another Unicode form, a no-break or a
  // doubled space, an invisible character): both are created, and no person can tell them apart.
  // Names that look as written share a look only when they share a name, and those were
  // grouped above: only a set with another kind of name can hold a look-alike (most plans
  // have none, and group 10,000 manifests once less).
  const named = new Set(byName.flat());
  const rest =
    sameKey.size === 0 && named.size === 0
      ? candidates
      : candidates.filter((m) => !sameKey.has(m) && !named.has(m));
  if (rest.every((m) => looksAsWritten(specName(m.manifest)))) return { diagnostics, files };
  sameSpecName(
    rest,
    audienceLooksKey,
    'manifest/look-alike-spec-name',
    (m, others) => {
      const name = specName(m.manifest);
      const listed = others
        .map((other) => {
          const otherName = specName(other.m.manifest);
          return `${JSON.stringify(otherName)} of ${other.m.file}:${other.at.line}${unicodeFormNote(name, otherName)}`;
        })
        .join(' and ');
      return `spec.name ${JSON.stringify(name)} looks the same as ${listed} in sandbox "${m.sandbox}": the service takes them for two names and would make two audiences nobody can tell apart; give one another name`;
    },
    namePosition,
    { diagnostics, files },
  );
  return { diagnostics, files };
}
