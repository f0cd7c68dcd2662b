import type { Diagnostic } from '../../src/manifest/diagnostics.js';
import { audienceNameKey, type Duplicates, type Position } from '../../src/manifest/duplicates.js';
import type { DesiredManifest } from '../../src/manifest/load.js';
import { specName } from '../../src/manifest/spec-hash-memo.js';

// findDuplicates (src/manifest/duplicates.ts) as it was before the look-alike pass was skipped
// for names that all look as written (commit 1d1529c0): three passes over every manifest. The
// reference test/manifest/duplicates-properties.spec.ts compares it with. Not used by the code.

// How a name looks, worked out in full for every name: not src's audienceLooksKey, whose fast
// path for names that look as written (looksAsWritten) is what the skip relies on, so a wrong
// fast path (a doubled space taken as written) would be wrong here too and go unseen.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;
const looksKey = (name: string): string =>
  audienceNameKey(name.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/gu, ' '));

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

function unicodeFormNote(name: string, other: string): string {
  const nfc = name.normalize('NFC');
  if (nfc !== other.normalize('NFC')) return '';
  const form = (text: string) => (text === text.normalize('NFC') ? 'NFC' : 'NFD');
  return ` (another Unicode form: ${form(name)} here, ${form(other)} there)`;
}

type Placed = { m: DesiredManifest; at: Position };

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

export function referenceFindDuplicates(
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
  const named = new Set(byName.flat());
  sameSpecName(
    candidates.filter((m) => !sameKey.has(m) && !named.has(m)),
    looksKey,
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
