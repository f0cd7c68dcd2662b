import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { RefusedFileError, readRegularText, readRegularTextSync } from '../files/read-regular.js';
import { KEY_PATTERN, SANDBOX_PATTERN } from '../manifest/patterns.js';
import { shellQuote } from '../text/shell-quote.js';
import { COMMIT_ID } from './commit-id.js';
import { StateReadError, reasonOf } from './errors.js';
import { META_FORMATS } from './meta-format.js';
import type { RepositoryMark, SandboxMark, StateMeta } from './schema.js';
import {
  AUDIENCE_ID,
  NO_PASTE_FLAGS,
  forgetCommand,
  manifestsDirNote,
  stateImportCommand,
  type PasteFlags,
} from '../text/paste-flags.js';

/**
 * What to do about a corrupt record file, `<store>/audiences/<sandbox>/<key>.json`: the exact
 * forget and import commands, with the key, sandbox and store its path names (the audience's
 * id was in the lost file: the person finds it in AEP), and the other flags (`--config`) this
 * process was given (`paste`).
 */
export function recordRepairHint(file: string, paste?: PasteFlags): string {
  const key = path.basename(file, '.json');
  const sandbox = path.basename(path.dirname(file));
  const audiences = path.dirname(path.dirname(file));
  if (path.basename(audiences) !== 'audiences') return RECORD_REPAIR_WORDS;
  // The store this file is in, whatever named it.
  const flags = { ...NO_PASTE_FLAGS, ...paste, state: ` --state ${shellQuote(path.dirname(audiences))}` };
  return recordRepairCommands(sandbox, key, flags);
}

/** What to do about a corrupt record whose sandbox and key are not known: the commands, unfilled. */
const RECORD_REPAIR_WORDS =
  'restore it from a backup, or drop it with `audiencectl state forget` and record the audience again with `audiencectl state import`';

/**
 * What to do about the corrupt record of `key` in `sandbox`, in the store `flags` reach (a
 * PostgreSQL store's row: pgStoreFlags): the exact forget and import commands (the audience's
 * id was in the lost record: the person finds it in AEP). A sandbox or key no manifest could
 * name (a row written by hand) gets the commands unfilled: neither would accept it.
 */
export function recordRepairCommands(sandbox: string, key: string, flags: PasteFlags): string {
  if (!KEY_PATTERN.test(key) || !SANDBOX_PATTERN.test(sandbox)) return RECORD_REPAIR_WORDS;
  // No manifests directory is known where a record is read: the placeholder names it.
  const known = { ...flags };
  delete known.dir;
  return (
    `restore it from a backup, or drop it with \`${forgetCommand(key, sandbox, known)}\` ` +
    `and record the audience again with \`${stateImportCommand(key, sandbox, known)}\`${manifestsDirNote(known, `${AUDIENCE_ID}: its id from AEP`)}`
  );
}

/**
 * What a state read names in its refusals: a file by its path (`state file <path>`), or what
 * is read from elsewhere (a PostgreSQL store's row) by the words given, which never hold a
 * password.
 */
export type StateSource = string | { readonly said: string };

function sourceWords(source: StateSource): string {
  return typeof source === 'string' ? `state file ${source}` : source.said;
}

/** The hint of a record read from `source` when the caller gives none. */
function defaultHint(source: StateSource): string {
  return typeof source === 'string' ? recordRepairHint(source) : RECORD_REPAIR_WORDS;
}
/** What to do about a corrupt meta.json: removing it starts a new lineage, so saved plans are refused. */
export const META_REPAIR_HINT = 'restore it from a backup, or remove it to start a new lineage';

/**
 * Read without blocking (a FIFO in a record's place hung plan and state list): anything
 * but a regular file is refused, naming what it is.
 */
function unreadable(file: string, error: unknown): StateReadError | undefined {
  if (error instanceof StateReadError) return error;
  if (error instanceof RefusedFileError)
    return new StateReadError('STATE_UNREADABLE', `cannot read state file ${file}: ${error.reason}`);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    // A symlink to a missing file is no absent record: skipped, plan proposed creating
    // the audience again. Looked at only on this path, so a good read costs nothing more.
    if (!lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
    return new StateReadError(
      'STATE_UNREADABLE',
      `cannot read state file ${file}: it is a symlink to a missing file; restore the file or remove the link`,
    );
  }
  return new StateReadError('STATE_UNREADABLE', `cannot read state file ${file}: ${reasonOf(error)}`, {
    cause: error,
  });
}

/** Reads and validates one JSON state file; a missing file is `undefined`. */
export async function readJsonFile<T>(
  file: string,
  schema: z.ZodType<T>,
  hint = recordRepairHint(file),
  /** The `schemaVersion`s this release reads, for a file that has one (a newer one is refused as such). */
  formats?: readonly number[],
): Promise<T | undefined> {
  const text = await readStateText(file);
  return text === undefined ? undefined : parseStateJson(file, text, schema, hint, formats);
}

/** A state file's text; undefined when it does not exist. */
export async function readStateText(file: string): Promise<string | undefined> {
  try {
    return await readRegularText(file);
  } catch (error) {
    const failure = unreadable(file, error);
    if (failure) throw failure;
    return undefined;
  }
}

/**
 * Synchronous read, for bulk reads of many small files: fs/promises readFile costs
 * several thread-pool round trips per file and reads 10,000 records 5x slower.
 */
export function readTextSync(file: string, opened?: (info: Stats) => void): string | undefined {
  try {
    return readRegularTextSync(file, opened ? { opened } : {});
  } catch (error) {
    const failure = unreadable(file, error);
    if (failure) throw failure;
    return undefined;
  }
}

/** Parses state file text; errors name the file and the first schema issue. */
export function parseStateJson<T>(
  file: StateSource,
  text: string,
  schema: z.ZodType<T>,
  hint = defaultHint(file),
  /** As readJsonFile's. */
  formats?: readonly number[],
): T {
  return validateStateJson(file, parseJsonText(file, text, hint), schema, hint, formats);
}

/** Parses state file text; text that is not JSON is refused naming the file, with `hint`. */
export function parseJsonText(file: StateSource, text: string, hint: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StateReadError(
      'STATE_CORRUPT',
      `${sourceWords(file)} is not valid JSON (${reasonOf(error)}); ${hint}`,
      { cause: error },
    );
  }
}

function validateStateJson<T>(
  file: StateSource,
  json: unknown,
  schema: z.ZodType<T>,
  hint: string,
  formats?: readonly number[],
): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    // Looked at only once the schema refused it, so a good read costs nothing more.
    if (formats) refuseNewerFormat(file, json, formats);
    const first = parsed.error.issues[0];
    const where = first ? ` at ${first.path.join('.') || '(root)'}: ${first.message}` : '';
    throw new StateReadError(
      'STATE_CORRUPT',
      `${sourceWords(file)} does not match the state schema${where}; ${hint}`,
    );
  }
  return parsed.data;
}

/**
 * What `StateMeta.parse(json)` returns, when `json` is a meta.json it accepts (the fields
 * in the schema's order, other keys left out); undefined for anything else. Checked without
 * zod: a plan served by the state snapshot reads no other state file and needs no zod.
 */
export function plainStateMeta(json: unknown): StateMeta | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { schemaVersion, lineage, serial, nonce, orgs, revisions } = json as Record<string, unknown>;
  if ((schemaVersion !== 1 && schemaVersion !== 2) || typeof lineage !== 'string') return undefined;
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 0) return undefined;
  if (nonce !== undefined && typeof nonce !== 'string') return undefined;
  const orgMap = orgs === undefined ? {} : stringMap(orgs);
  const revisionMap = revisions === undefined ? {} : revisionsMap(revisions);
  if (!orgMap || !revisionMap) return undefined;
  return {
    schemaVersion,
    lineage,
    serial,
    ...(nonce === undefined ? {} : { nonce }),
    ...(orgs === undefined ? {} : { orgs: orgMap }),
    ...(revisions === undefined ? {} : { revisions: revisionMap }),
  };
}

/**
 * StateMeta.revisions as zod reads it: each value's commit, committedAt, repository (a
 * string, when there), roots (commit ids, when there), shallow (true, when there), rolledBackFrom (rolledBackMap) and otherRepositories (marks with a
 * repository), other keys left out.
 */
function revisionsMap(value: unknown): StateMeta['revisions'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const map: NonNullable<StateMeta['revisions']> = {};
  for (const [sandbox, item] of Object.entries(value)) {
    if (sandbox === '__proto__') continue;
    const mark = plainMark(item);
    if (mark === undefined) return undefined;
    const { otherRepositories } = item as Record<string, unknown>;
    if (otherRepositories === undefined) {
      map[sandbox] = mark;
      continue;
    }
    if (!Array.isArray(otherRepositories)) return undefined;
    const others: RepositoryMark[] = [];
    for (const other of otherRepositories as unknown[]) {
      const read = plainMark(other);
      if (read?.repository === undefined) return undefined;
      others.push({ ...read, repository: read.repository });
    }
    map[sandbox] = { ...mark, otherRepositories: others };
  }
  return map;
}

/** A SandboxMark's own fields as zod reads them (otherRepositories left out); undefined if not one. */
function plainMark(item: unknown): SandboxMark | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const { commit, committedAt, repository } = item as Record<string, unknown>;
  if (typeof commit !== 'string' || !COMMIT_ID.test(commit) || typeof committedAt !== 'string')
    return undefined;
  if (repository !== undefined && typeof repository !== 'string') return undefined;
  const { rolledBackFrom, roots, shallow } = item as Record<string, unknown>;
  const rollbacks = rolledBackFrom === undefined ? [] : rolledBackMap(rolledBackFrom);
  if (rollbacks === undefined) return undefined;
  if (roots !== undefined && !isCommitList(roots)) return undefined;
  if (shallow !== undefined && shallow !== true) return undefined;
  return {
    commit,
    committedAt,
    ...(repository === undefined ? {} : { repository }),
    ...(roots === undefined ? {} : { roots: [...roots] }),
    ...(shallow === true ? { shallow } : {}),
    ...(rolledBackFrom === undefined ? {} : { rolledBackFrom: rollbacks }),
  };
}

/** SandboxMark.roots as zod reads it: an array of commit ids. */
function isCommitList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && COMMIT_ID.test(item));
}

/** SandboxMark.rolledBackFrom as zod reads it: an array of commit, committedAt, to and at. */
function rolledBackMap(value: unknown): NonNullable<SandboxMark['rolledBackFrom']> | undefined {
  if (!Array.isArray(value)) return undefined;
  const rollbacks: NonNullable<SandboxMark['rolledBackFrom']> = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const { commit, committedAt, to, at } = item as Record<string, unknown>;
    if (typeof commit !== 'string' || !COMMIT_ID.test(commit) || typeof committedAt !== 'string')
      return undefined;
    if (typeof to !== 'string' || !COMMIT_ID.test(to) || typeof at !== 'string') return undefined;
    rollbacks.push({ commit, committedAt, to, at });
  }
  return rollbacks;
}

/**
 * A record of strings as zod reads it: an object whose values are strings, copied, a
 * `__proto__` key (an own property once JSON.parse made it) left out whatever its value.
 */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([key]) => key !== '__proto__');
  if (!entries.every(([, item]) => typeof item === 'string')) return undefined;
  return Object.fromEntries(entries);
}

/**
 * A state file (meta.json, a record) of a format this release does not know, from a newer
 * one: read as corrupt, the advice would be to restore or remove it (and `state forget` would
 * drop the record); what it needs is a newer audiencectl.
 */
function refuseNewerFormat(file: StateSource, json: unknown, formats: readonly number[]): void {
  const format = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof format !== 'number' || !Number.isInteger(format) || format <= Math.max(...formats)) return;
  throw new StateReadError(
    'STATE_FORMAT_NEWER',
    `${sourceWords(file)} is in format ${format}, written by a newer audiencectl; this one reads formats ${formats.join(' and ')}: upgrade audiencectl (nothing was read or written)`,
  );
}

/**
 * Reads and validates meta.json (as `readJsonFile` with StateMeta); a missing file is
 * `undefined`. zod is loaded only for a file that plainStateMeta does not accept, to
 * report its first issue as readJsonFile would.
 */
export async function readMetaFile(file: string): Promise<StateMeta | undefined> {
  const text = await readStateText(file);
  if (text === undefined) return undefined;
  const json = parseJsonText(file, text, META_REPAIR_HINT);
  const plain = plainStateMeta(json);
  if (plain) return plain;
  refuseNewerFormat(file, json, META_FORMATS);
  const { StateMeta } = await import('./schema.js');
  return validateStateJson(file, json, StateMeta, META_REPAIR_HINT);
}
