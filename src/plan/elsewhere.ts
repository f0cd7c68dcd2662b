import path from 'node:path';
import type { AudienceRecord } from '../state/schema.js';
import { holdsAudienceRecord } from '../state/current-runs.js';
import { recordId } from '../state/record-id.js';
import { shownExtension, type Unselected } from '../source/file-filter.js';

/**
 * A manifest the plan did not read that names a recorded key: found at the edge (the CLI,
 * the controller: src/manifest/read-elsewhere.ts), only for the records the plan would
 * otherwise remove, and given to the planner as data, which keeps it pure.
 *
 * - `out-of-scope`: under the directory given, in a file --include/--exclude left out (a
 *   manifest moved from `loyalty/` to `partners/`, planned with `--include 'loyalty/**'`).
 * - `not-selected`: wherever the others look (under the directory given, beyond it), a file
 *   that the default selection leaves out (src/source/file-filter.ts unselectedByDefault): its
 *   extension in another case (`git mv b.yaml b.YAML`), or in a dot folder or a dotfile
 *   (`git mv b.yaml .archive/`; applied with `--include '.generated/**'`, planned without).
 *   Still there, so not removed (review 31, H-2). `left` says why it is not read.
 * - `above`: under a directory above the one given (`apply m/loyalty` where the records were
 *   applied from `m`): at the record's file relative to it, or anywhere in it once one
 *   record's file was found there. `dir` is that directory. `under` is the directory given
 *   relative to it, `/`-separated (`loyalty`): the planner keeps the records' files relative
 *   to `dir` with it (src/plan/applied-from.ts).
 *
 * - `beside`: at the record's file under the directory it was applied from (its `sourceRoot`),
 *   neither the directory given nor one above or below it (`apply teams/web` where the records
 *   were applied from `teams/mkt`: a path typo, or a second directory sharing the store). `dir`
 *   is that directory.
 *
 * - `moved`: the record's file is gone from the directory it was applied from (`beside`), and a
 *   manifest elsewhere in the git work tree names the key (`git mv teams/mkt teams/marketing`,
 *   then `apply teams/web` before `apply teams/marketing`), one that did not name it already in
 *   the commit the record was applied from (src/manifest/read-moved.ts: another sandbox's copy
 *   is no move). `dir` is the directory it was applied from.
 *
 * - `moved-out`: the same of a record applied from the directory given: its file gone from the
 *   plan's read, and git shows it removed since the record's commit, while a manifest elsewhere
 *   in the work tree that did not name it then does now (`git mv teams/mkt/b.yaml teams/web/`,
 *   then `apply teams/mkt` before `apply teams/web`, which takes it over; review 31, H-1).
 *
 * - `nested-repository`: `moved` or `moved-out`, the manifest found in a git repository of its
 *   own inside the work tree (`repository`: `git init other`, a clone, a submodule), which a
 *   plan of this repository's directories never reads: its way out is moving it back, not
 *   applying where it is (that plan is another repository's).
 *
 * - `unplaced`: the record's file is gone from the directory it was applied from (`beside`),
 *   named by no other file (`moved`), and git does not show the work tree planned removing it
 *   since the commit the record was applied from (src/manifest/read-moved.ts): another
 *   repository's, sharing the store; a file never committed; a shallow clone's; or no history
 *   to ask (a controller's checkout), or git could not be asked (`why`). Its removal is held. `file` and `dir` are the record's,
 *   from the top of the work tree it was applied from (absolute, outside one).
 *   Outside a git work tree (`why`: `no-work-tree`), the record's file gone from a directory
 *   applied from outside one too (a directory not on this machine any more, another team's
 *   container path): nothing shows the plan's directory removed it, and that directory was not
 *   read, so its removal is held likewise (review 34b, H-1); unless the directory given holds,
 *   at its own file, the manifest of another record applied from there: a copy of that
 *   directory (a CI job's new directory, which a plan outside git never records in place of
 *   the first one's), read completely, whose removals are removals.
 *   Also a record of the directory given itself (`why`: `unnamed-repository`) that names the
 *   repository it was applied from, when the plan's work tree names none (no remote: a second
 *   team's `git init`, not pushed yet) and git does not show it removing the file: nothing tells
 *   that work tree from another repository sharing the store, whose records it would otherwise
 *   delete as its own removed manifests (review scope-41, H-1). Likewise (`why`:
 *   `prefixed-repository`) a record applied from a repository whose path only ends with the
 *   planned one's, or the other way round (`marketing/emea/audiences` and `emea/audiences`): a
 *   mirror's prefix, or another group's repository of the same name (GitLab subgroups); only
 *   git's history tells, and a clone of the same repository shows the removal (review known-42,
 *   H-1). And (`why`: `unnamed-record`) a record of the directory given that names no
 *   repository, applied by a work tree that named none (a second team's `git init`, not pushed
 *   yet), planned by one that names its own: the reverse of `unnamed-repository` (review
 *   scope-44, H-1). And (`why`: `upstream-repository`) a record of the repository a plan is
 *   made as because another remote of its clone names it (a fork's `upstream`): a repository
 *   made from it as a template, with no shared history, is no fork (review scope-44, H-2).
 *
 * - `sparse`: the record's file is not in the directory it was applied from because git keeps it
 *   out of this work tree (a sparse checkout of that directory, or of the one given): still in
 *   the repository, so not removed. `file` and `dir` are the record's, from the top.
 *
 * - `unreachable`: not looked at: the record was applied from a directory of a git work tree
 *   (its `sourceRoot`, from the top), and the plan is in none, so has no top to find it from
 *   (a copy of the manifests, a CI job's unpacked artifact). `file` and `dir` are the record's,
 *   from that top. Its removal is held, as its file may well be there.
 *
 * - `renamed`: found where `out-of-scope`, `above`, `beside` or `moved` look, a manifest of the
 *   record's sandbox under another metadata.name (`as`) whose spec.name is the record's audience
 *   name (as the service compares names): the record's manifest moved and renamed, which a plan
 *   that read it would block as a rename (src/plan/move-steps.ts), never delete.
 *
 * - `broken`: found there too, a file whose text holds the key that fails to parse, or cannot
 *   be read as text (over --max-file-bytes, not UTF-8: its bytes hold the key), or cannot be read
 *   at all (its owner or mode, a name that is not UTF-8, a file or folder git could not read:
 *   what it names is unknown): it may name the record, in any sandbox (`fault`: which of the
 *   three; `detail`: its first error, or why it cannot be read).
 *
 * - `emptied`: the record's own file in the directory it was applied from (`beside`), there
 *   still but holding no manifest: empty or only comments (`how`: `empty`), or no longer read as
 *   an audiencectl manifest (`skipped`: a Git LFS pointer, another tool's YAML). A plan of that
 *   directory holds the audience for it; so does a plan of another. `dir` is that directory.
 *
 * - `writing`: not elsewhere, but the record's own file (the controller with `--dir`), changed
 *   within a watch debounce before the pass read it, or after: what the plan read of it may
 *   be a file half written, and the manifests still to come are not removed (src/daemon/writing.ts).
 *
 * - `applied-from`: no manifest, only the `dir` and `under` of `above`, when nothing found
 *   above says them: a record the plan read names its file `<under>/<the file read>`, and that
 *   file names it (the plan would re-point it to the directory given: src/apply/held-elsewhere.ts).
 *
 * - `copied`: no removal, but a record whose manifest the plan read (its key, in its sandbox)
 *   and would take over from the directory it was applied from (`dir`, beside the directory
 *   given: `apply us` where it was applied from `eu`), while its file there (`file`) still names
 *   it: a copy, no move. The plan holds the audience (copied.ts): taken over, the copy's removal
 *   deleted the audience eu/gold.yaml still defines (review scope-41, H-3).
 *
 * `file` and `dir` are as the user is shown them.
 */
export type ManifestElsewhere =
  NamedElsewhere | { kind: 'applied-from'; dir: string; under: string } | Copied | RemovedIn;

/**
 * No manifest, and no hold: of a record whose file git shows this work tree removing since it
 * was applied (src/manifest/read-moved.ts placeRemovals), the newest commit that removed it
 * (`commit`, whole), or undefined when the removal is not committed yet. The removal step says
 * it (removal-step.ts), so a reviewer sees which change removed the manifest.
 */
export type RemovedIn = { kind: 'removed-in'; sandbox: string; key: string; commit: string | undefined };

/** A manifest read whose record's directory still holds its own file (ManifestElsewhere `copied`). */
export type Copied = { kind: 'copied'; sandbox: string; key: string; file: string; dir: string };

/** What was found elsewhere that names a recorded key, and so may hold its removal. */
export type NamedElsewhere =
  | { kind: 'out-of-scope'; sandbox: string; key: string; file: string }
  | { kind: 'not-selected'; sandbox: string; key: string; file: string; left: Unselected }
  | { kind: 'above'; sandbox: string; key: string; file: string; dir: string; under?: string }
  | { kind: 'beside'; sandbox: string; key: string; file: string; dir: string }
  | { kind: 'unreachable'; sandbox: string; key: string; file: string; dir: string }
  | { kind: 'moved'; sandbox: string; key: string; file: string; dir: string }
  | { kind: 'moved-out'; sandbox: string; key: string; file: string }
  | { kind: 'nested-repository'; sandbox: string; key: string; file: string; repository: string }
  | ({ kind: 'unplaced'; sandbox: string; key: string; file: string; dir: string } & Unplaced)
  | { kind: 'sparse'; sandbox: string; key: string; file: string; dir: string }
  | { kind: 'renamed'; sandbox: string; key: string; file: string; as: string }
  | {
      kind: 'broken';
      sandbox: string;
      key: string;
      file: string;
      fault: 'errors' | 'unreadable' | 'inaccessible';
      detail: string;
    }
  | { kind: 'emptied'; sandbox: string; key: string; file: string; dir: string; how: 'empty' | 'skipped' }
  | { kind: 'writing'; sandbox: string; key: string; file: string };

/** Why git does not place an `unplaced` record's removal (src/manifest/read-moved.ts, Placement). */
export type Unplaced =
  | { why: 'not-removed' | 'no-history' | 'no-work-tree' }
  | { why: 'git-failed'; detail: string }
  | { why: 'unnamed-repository'; repository: string }
  | { why: 'prefixed-repository'; repository: string; planned: string }
  | { why: 'unnamed-record'; planned: string }
  | { why: 'upstream-repository'; repository: string; origin: string };

export function namesKey(m: ManifestElsewhere): m is NamedElsewhere {
  return m.kind !== 'applied-from' && m.kind !== 'copied' && m.kind !== 'removed-in';
}

/**
 * A file being written holds only the records that name it (the others of the same key are
 * not its). Looked at after the manifests found elsewhere: a manifest moved out of scope just
 * now is held for that, which the next pass still says.
 */
function writingReason(record: AudienceRecord, named: readonly NamedElsewhere[]): string | undefined {
  const writing = named.find(
    (m) => m.kind === 'writing' && m.sandbox === record.sandbox && m.file === record.manifestFile,
  );
  return writing
    ? `${writing.file} was being written when the pass read it; the removal waits for the next pass`
    : undefined;
}

/**
 * ` (its name in NFD, not NFC)` when `file` and `other` (the filters shown beside it) are
 * written in two Unicode normalisations (a folder `café` renamed by a tool that decomposes
 * it): the two print alike, and only this says why the filter does not select the file.
 */
function normalisationNote(file: string, other: string): string {
  const nfc = file.normalize('NFC');
  const nfd = file.normalize('NFD');
  if (nfc === nfd) return '';
  if (file !== nfc && other !== other.normalize('NFD')) return ' (its name in NFD, not NFC)';
  if (file === nfc && other !== other.normalize('NFC')) return ' (its name in NFC, not NFD)';
  return '';
}

/**
 * A record's removal held by what was found outside the plan's read: `reason`, and whether it is
 * only that its own file was being written (`writing`: still an audience of this plan's, which
 * its deletion limit counts; any other is not this plan's to remove, plan.ts).
 */
export type ElsewhereHold = { reason: string; writing: boolean };

/**
 * Why a record the plan would remove is held instead: a manifest it did not read still names
 * the record's key, so its manifest was not removed (ARCHITECTURE.md, "only a removed manifest
 * deletes"). One in the record's sandbox is its manifest; one in another sandbox is too when
 * no record holds that sandbox's key, as a plan that read it would block the move rather than
 * delete. A manifest in another sandbox whose key is recorded there is that audience's, and
 * does not keep this one. Failing those, a record whose own file was being written as the
 * pass read it is held (`writing`). Undefined: nothing keeps it, the removal stands.
 */
export function elsewhereReason(
  record: AudienceRecord,
  byKey: ReadonlyMap<string, readonly NamedElsewhere[]>,
  records: ReadonlyMap<string, AudienceRecord>,
  /** Where the filters left a file (leftOutByFilters): "outside --include a/**". */
  filters: string,
): ElsewhereHold | undefined {
  const named = byKey.get(record.key) ?? [];
  const others = named.filter((m) => m.kind !== 'writing');
  const found =
    others.find((m) => m.sandbox === record.sandbox) ??
    others.find((m) => !holdsAudienceRecord(records, recordId(m.sandbox, m.key)));
  if (found) return { reason: foundReason(record, found, filters), writing: false };
  const writing = writingReason(record, named);
  return writing === undefined ? undefined : { reason: writing, writing: true };
}

/** The reason of a hold by a manifest found elsewhere (elsewhereReason). */
function foundReason(
  record: AudienceRecord,
  found: Exclude<NamedElsewhere, { kind: 'writing' }>,
  filters: string,
): string {
  const where = found.sandbox === record.sandbox ? found.file : `${found.file} (sandbox "${found.sandbox}")`;
  if (found.kind === 'out-of-scope')
    return `its manifest is now ${where}${normalisationNote(found.file, filters)}, ${filters}; the audience is left as it is`;
  if (found.kind === 'not-selected' && found.left.why === 'renamed')
    return renamedReason(record, where, found.left.extension);
  if (found.kind === 'not-selected' && found.left.why === 'renamed-dot-folder') {
    const why = `it is in a dot folder, ${found.left.folder}, which only an --include naming it reads, and ${namedClause(found.left.extension)}`;
    return `${wasOf(record)} is now ${where}, which audiencectl does not read (${why}); the audience is left as it is: move it out of that folder and rename it to end in .yaml or .yml to keep it, or remove ${where} to delete the audience`;
  }
  if (found.kind === 'not-selected' && found.left.why === 'renamed-dotfile-in-dot-folder') {
    const why = `it is in a dot folder, ${found.left.folder}, and its name begins with a dot, which only an --include naming them reads, and ${namedClause(found.left.extension)}`;
    return `${wasOf(record)} is now ${where}, which audiencectl does not read (${why}); the audience is left as it is: move it out of that folder and rename it to a name without the leading dot, ending in .yaml or .yml, to keep it, or remove ${where} to delete the audience`;
  }
  if (found.kind === 'not-selected' && found.left.why === 'renamed-dotfile') {
    const why = `its name begins with a dot, which only an --include naming it reads, and ${namedClause(found.left.extension)}`;
    return `${wasOf(record)} is now ${where}, which audiencectl does not read (${why}); the audience is left as it is: rename it to a name without the leading dot, ending in .yaml or .yml, to keep it, or remove ${where} to delete the audience`;
  }
  if (found.kind === 'not-selected') return notSelectedReason(where, found.left);
  if (found.kind === 'moved')
    return `its manifest is now ${where}, outside the directory given and moved from the one it was applied from (${found.dir}); the audience is left as it is: apply the directory it is in now; to delete the audience, remove that file, or, if it is not this audience's manifest (another sandbox's, an example), ${emptyApply(found.dir)}`;
  if (found.kind === 'moved-out')
    return `its manifest is now ${where}, moved out of the directory given, which it was applied from; the audience is left as it is: apply the directory it is in now, which takes it over; to delete the audience, remove that file too, or, if it is not this audience's manifest (another sandbox's copy naming none, an example), give it its metadata.sandbox or take ${record.key} out of it`;
  if (found.kind === 'nested-repository')
    return `its manifest is now ${where}, in ${found.repository}, a git repository of its own inside the work tree; the audience is left as it is: to keep managing it from this repository, move the file back out of ${found.repository}; to delete the audience, remove that file too`;
  if (found.kind === 'unplaced') return unplacedReason(found);
  if (found.kind === 'renamed')
    return `its manifest is now ${found.file} under another metadata.name ("${found.as}", its spec.name this audience's), outside what this plan reads; the audience is left as it is: to keep it, set metadata.name back to ${record.key}; a plan of the directory that holds the file shows the rename as a blocked move`;
  if (found.kind === 'broken') {
    const out = `if it is not this audience's manifest, take ${record.key} out of it`;
    if (found.fault === 'errors')
      return `${found.file} may name it but has errors (${found.detail}); the audience is left as it is: fix the file (validate its directory to see them), or, ${out}`;
    // Not readable at all: what it holds is unknown to the user's command too.
    if (found.fault === 'inaccessible')
      return `${found.file} may name it but cannot be read (${found.detail}); the audience is left as it is: let audiencectl read it (its owner or mode; a name in UTF-8), or, if it is no manifest of this audience, move it out of the work tree or list it in .gitignore`;
    return `${found.file} may name it but cannot be read (${found.detail}); the audience is left as it is: make it UTF-8 text within --max-file-bytes (or give a larger one), or, ${out}`;
  }
  if (found.kind === 'emptied') {
    const holds =
      found.how === 'empty'
        ? 'holds no manifest (it is empty, or only comments)'
        : `is no longer read as an audiencectl manifest (validate ${found.dir} to see why)`;
    return `its manifest ${found.file}, in the directory it was applied from, ${holds}; the audience is left as it is: delete the file to delete the audience`;
  }
  if (found.kind === 'sparse')
    return `its manifest ${found.file} is in this repository but not checked out here (a sparse checkout leaves ${path.posix.dirname(found.file)} out); the audience is left as it is: apply ${found.dir} from a checkout that has it, where removing the file deletes the audience`;
  if (found.kind === 'unreachable')
    return `it was applied from ${found.dir} in a git work tree, which this plan, of a directory in none, cannot look into for ${found.file}; the audience is left as it is: plan and apply from that work tree, where removing the file deletes the audience`;
  if (found.kind === 'beside')
    return `its manifest ${where} is outside the directory given, in the one it was applied from; the audience is left as it is: give that directory (${found.dir}), or remove the file to delete the audience`;
  return `its manifest ${where} is above the directory given; the audience is left as it is: give the directory it was applied from (${found.dir})`;
}

/**
 * The reason of a `not-selected` hold by a renamed file (`gold.yaml.bak`, `gold.json`): both
 * files, as the user who parked or converted the manifest knows them, and both ways out.
 */
function renamedReason(record: AudienceRecord, where: string, extension: string): string {
  const was = wasOf(record);
  const named = extension === '' ? 'not a name without one' : `not ${shownExtension(extension)}`;
  return `${was} is now ${where}, which audiencectl does not read (it reads names ending in .yaml or .yml, ${named}); the audience is left as it is: rename ${where} back to end in .yaml or .yml to keep it, or remove ${where} to delete the audience`;
}

/** `its manifest gold.yaml`: the record's file, as the user who moved it knows it. */
function wasOf(record: AudienceRecord): string {
  return record.manifestFile === undefined ? 'its manifest' : `its manifest ${record.manifestFile}`;
}

/** `its name ends in ".yaml.bak", not .yaml or .yml`: why a renamed name is not read. */
function namedClause(extension: string): string {
  return extension === ''
    ? 'its name has no extension, not .yaml or .yml'
    : `its name ends in ${shownExtension(extension)}, not .yaml or .yml`;
}

/** The reason of a `not-selected` hold: why the file is not read, and the way out. */
function notSelectedReason(where: string, left: Unselected): string {
  let why = 'its name begins with a dot, which only an --include naming it reads';
  let out = 'rename it to keep it';
  if (left.why === 'extension') {
    why = `extension ${shownExtension(left.extension)}: audiencectl reads .yaml and .yml`;
    out = 'rename it to end in .yaml or .yml to keep it';
  } else if (left.why === 'dot-folder') {
    why = `it is in a dot folder, ${left.folder}, which only an --include naming it reads`;
    out = 'move it out of that folder to keep it';
  }
  return `its manifest is now ${where}, which audiencectl does not read (${why}); the audience is left as it is: ${out}, or remove it to delete the audience`;
}

/** The reason of an `unplaced` hold: what git could not say, and the way out that works there. */
function unplacedReason(found: Extract<NamedElsewhere, { kind: 'unplaced' }>): string {
  const top = path.isAbsolute(found.dir) ? '' : ' (from the top of its git work tree)';
  const from = `it was applied from ${found.dir}${top}, where its file ${found.file} is gone`;
  const out = (where: string) =>
    `the audience is left as it is: to delete it, ${emptyApply(found.dir)} ${where}`;
  if (found.why === 'no-history')
    return `${from}, and this checkout has no git history to tell its removal from another repository's file (a controller's checkout); ${out('from a clone of the repository it was applied from')}`;
  if (found.why === 'git-failed')
    return `${from}, and git could not be asked whether this work tree removed it (${found.detail}); ${out('where git answers')}`;
  if (found.why === 'unnamed-repository')
    return `it was applied from ${found.repository} (its directory ${found.dir}), where its file ${found.file} is gone, and this work tree names no repository (it has no remote, or its remote is a path on this machine or a file:// URL) and its history does not show it removing that file: it may be another repository's, sharing the store; the audience is left as it is: if this is ${found.repository}, name its URL as origin (git remote add origin <its URL>, or git remote set-url origin <its URL> where origin is a path) and plan again; to delete the audience, remove its manifest in a clone of ${found.repository}`;
  if (found.why === 'prefixed-repository')
    return `it was applied from ${found.repository} (its directory ${found.dir}), where its file ${found.file} is gone, and this plan is of ${found.planned}, a path that differs from it by a prefix: a mirror's of the same repository, or another repository of the same name in another group (GitLab subgroups), sharing the store; its history does not show it removing that file, so the audience is left as it is: to delete it, remove its manifest in a clone of ${found.repository}`;
  if (found.why === 'upstream-repository')
    return `it was applied from ${found.repository} (its directory ${found.dir}), where its file ${found.file} is gone, and this plan is made as ${found.repository} for a clone of ${found.origin} (another of its remotes names ${found.repository}), whose history does not show it removing that file: a fork's clone without that history, or another repository made from it (a template) sharing the store; the audience is left as it is: to delete it, remove its manifest in a clone of ${found.repository}, or, if ${found.origin} is its fork, apply from a clone of ${found.origin} with its full history (git fetch --unshallow)`;
  if (found.why === 'unnamed-record')
    return `it was applied from ${found.dir}${top} by a work tree that named no repository (it had no remote, or a path on this machine as its remote), where its file ${found.file} is gone, and this plan is of ${found.planned}, whose history does not show it removing that file: it may be another repository's, not pushed yet, sharing the store; the audience is left as it is: to delete it, remove its manifest in the work tree it was applied from, or, if that was this repository before its remote was added, apply from a clone of ${found.planned} with its full history (git fetch --unshallow)`;
  if (found.why === 'no-work-tree')
    return `${from}, and this plan's directory is not in a git work tree, so nothing shows that it removed it (another directory's audience, sharing the store: one no longer on this machine, or another team's); the audience is left as it is: to delete it, ${emptyApply(found.dir)}`;
  return `${from}, and git does not show this work tree removing it since it was applied (another repository's, sharing the store; a file never committed; a shallow clone's history); ${out('in the work tree it was applied from')}`;
}

/**
 * The way out of a hold that only a plan of the directory a record was applied from can lift:
 * that plan deletes every audience applied from there whose file is gone, so the directories
 * the others moved to are applied first (each then records its own).
 */
function emptyApply(dir: string): string {
  return `apply the directories audiences of ${dir} moved to, if any, then ${dir} with --allow-empty-source (made again, empty, if it is gone)`;
}
