import type { LoadResult } from '../manifest/load.js';
import type { QuietFiles } from '../manifest/read-source.js';
import type { QuietRecord } from '../state/quiet-record.js';
import type { RecordedState } from '../state/schema.js';
import type { QuietAudience } from './quiet.js';

/** The records the state snapshot served as quiet lines, and their places (SnapshotRead.quiet). */
export type QuietRecords = { records: readonly QuietRecord[]; at: readonly number[] };

/**
 * The load and state split in two kinds (planQuiet): the pairs found quiet from their lines
 * alone, and the rest made objects as before; `whole()` makes every quiet pair an object too
 * and gives what the load and state read without `quiet` would have been (the same objects,
 * in the same order), for a plan the quiet pairs may matter to.
 */
export type QuietSplit = {
  quiet: QuietAudience[];
  rest: LoadResult;
  restState: RecordedState;
  /** The quiet pairs' records, as lines: what a search elsewhere reads of them (RecordPlace). */
  records: readonly QuietRecord[];
  whole(): { desired: LoadResult; recorded: RecordedState };
};

/**
 * Pairs each quiet manifest's file with the quiet record of its sandbox (its own, or the
 * default) and key, when the record's applied hash is the manifest's spec hash, its deletion
 * policy the manifest's and its file the manifest's (or none): what inSync checks, the
 * directory and repository aside (planQuiet compares those with the plan's). A file or record
 * left unpaired is made an object, and planned as before.
 */
export function splitQuiet(
  files: QuietFiles,
  whole: () => LoadResult,
  state: RecordedState,
  records: QuietRecords,
  defaultSandbox: string,
): QuietSplit {
  const bySandbox = new Map<string, Map<string, number>>();
  records.records.forEach((record, n) => {
    const { sandbox, key } = record;
    let keys = bySandbox.get(sandbox);
    if (keys === undefined) bySandbox.set(sandbox, (keys = new Map<string, number>()));
    keys.set(key, n);
  });
  const takenFiles = new Set<number>();
  const takenRecords = new Set<number>();
  const quiet: QuietAudience[] = [];
  for (const { index, line } of files.files) {
    const sandbox = line.sandbox ?? defaultSandbox;
    const n = bySandbox.get(sandbox)?.get(line.key);
    if (n === undefined || takenRecords.has(n)) continue;
    const head = records.records[n]!;
    if (head.hash !== line.hash || head.deletionPolicy !== line.deletionPolicy) continue;
    if (head.manifestFile !== undefined && head.manifestFile !== line.file) continue;
    takenFiles.add(index);
    takenRecords.add(n);
    quiet.push({
      sandbox,
      key: line.key,
      name: line.name,
      file: line.file,
      audienceId: head.audienceId,
      sourceRoot: head.sourceRoot,
      repository: head.repository,
    });
  }
  let made: { desired: LoadResult; recorded: RecordedState } | undefined;
  return {
    quiet,
    rest: files.assemble(takenFiles),
    restState: withRecords(state, records, takenRecords),
    records: [...takenRecords].map((n) => records.records[n]!),
    whole: () => (made ??= { desired: whole(), recorded: withRecords(state, records, new Set()) }),
  };
}

/** `state` with the quiet records not `taken` made objects, each in its place. */
function withRecords(state: RecordedState, quiet: QuietRecords, taken: ReadonlySet<number>): RecordedState {
  if (taken.size === quiet.records.length) return state;
  const audiences: RecordedState['audiences'] = [];
  let n = 0;
  const upTo = (place: number) => {
    for (; n < quiet.records.length && quiet.at[n]! <= place; n += 1)
      if (!taken.has(n)) audiences.push(quiet.records[n]!.record());
  };
  state.audiences.forEach((record, place) => {
    upTo(place);
    audiences.push(record);
  });
  upTo(Number.POSITIVE_INFINITY);
  return { ...state, audiences };
}

/** `state` with every quiet record made an object, each in its place (no quiet manifest to pair them with). */
function wholeState(state: RecordedState, records: QuietRecords): RecordedState {
  return withRecords(state, records, new Set());
}

/**
 * The recorded state a plan starts from: the rest's with a split (its quiet records left as
 * lines), else every record, a quiet one made an object (none of its manifests is quiet).
 */
export function recordedOfRead(
  split: QuietSplit | undefined,
  read: { state: RecordedState; quiet?: QuietRecords | undefined } | undefined,
): RecordedState | undefined {
  if (split) return split.restState;
  return read?.quiet ? wholeState(read.state, read.quiet) : read?.state;
}
