import { KEY_PATTERN, SANDBOX_PATTERN } from '../manifest/patterns.js';
import { StateError } from './errors.js';
import type { StateLocation } from './location.js';
import { quotedStart } from '../text/safe-text.js';

/** What a manifest's metadata.name may be, as the refusals say it. */
const KEY_RULE = 'lowercase letters, digits and "-", at most 63';
const SANDBOX_RULE = 'lowercase letters, digits and "-"';

const manifestSandbox = (sandbox: string) => SANDBOX_PATTERN.test(sandbox) && sandbox.length <= 63;
const manifestKey = (key: string) => KEY_PATTERN.test(key) && key.length <= 63;

/** Sandbox and key become path segments and row keys: only the manifest's own patterns may pass. */
export function assertValidId(sandbox: string, key: string): void {
  if (!manifestSandbox(sandbox)) {
    throw new StateError(
      'STATE_BAD_SANDBOX',
      `invalid sandbox name ${quotedStart(sandbox)}: use ${SANDBOX_RULE}`,
    );
  }
  assertValidKey(key);
}

/** assertValidId's check of the key alone: before a store is opened (`state show`, no --sandbox). */
export function assertValidKey(key: string): void {
  if (!manifestKey(key)) {
    throw new StateError(
      'STATE_BAD_KEY',
      `invalid audience key ${quotedStart(key)}: use the manifest's metadata.name (${KEY_RULE})`,
    );
  }
}

/**
 * Which of a stored record's sandbox and key no manifest can have (`its key "Bad Key" is not
 * one a manifest can have (…)`); undefined when a manifest can have both. Such a record was
 * not written by audiencectl (every write checks assertValidId): a row inserted or edited by
 * hand, a record file renamed.
 */
export function strayIdText(sandbox: string, key: string): string | undefined {
  if (!manifestSandbox(sandbox))
    return `its sandbox ${quotedStart(sandbox)} is not one a manifest can have (${SANDBOX_RULE})`;
  if (!manifestKey(key)) return `its key ${quotedStart(key)} is not one a manifest can have (${KEY_RULE})`;
  return undefined;
}

/** A name no folder or file of a directory store's records can have: a separator, a NUL, a leading dot. */
const NO_RECORD_NAME = /^$|^\.|[/\\\0]/;

/**
 * For removing a stored record whose sandbox or key no manifest can have (`state forget`, which
 * checks first that the store lists exactly that id): as assertValidId, but any name a record
 * of either store can be stored under passes, and nothing that could leave a directory store's
 * folder of records (`..`, `a/b`) or name a hidden file does.
 */
export function assertStrayId(sandbox: string, key: string): void {
  // No manifest's sandbox or key is such a name: assertValidId refuses it, as it refuses any.
  if (NO_RECORD_NAME.test(sandbox) || NO_RECORD_NAME.test(key)) assertValidId(sandbox, key);
}

/**
 * Why a state command refuses `sandbox`/`key` unless the store lists a record under exactly that
 * id (`state forget`, `state show`): a manifest cannot have it (assertValidId's refusal).
 * Undefined when a manifest can. Not thrown at once even for an id no record file can have
 * (`team/bronze`): a PostgreSQL row can, and the store decides (a directory store lists none).
 */
export function strayIdRefusal(sandbox: string, key: string): StateError | undefined {
  try {
    assertValidId(sandbox, key);
    return undefined;
  } catch (error) {
    return error as StateError;
  }
}

/**
 * assertValidKey for a command that also takes the key of a record stored under an id no
 * manifest can have (`state show 'Bad Key'`), before the store of `kind` is opened: refuses at
 * once only a key no record of it can be stored under (`../etc`).
 */
export function assertStoredKey(key: string, kind: StateLocation['kind']): void {
  // A PostgreSQL row's key is a value, never a path: one holding a '/' (`team/bronze`, edited by
  // hand) is looked for, as `state forget` takes it; a part that could lead out of a folder
  // (`../etc`, empty, a leading dot) is refused first on every store, as before.
  const parts = kind === 'postgres' ? key.split('/') : [key];
  if (parts.some((part) => NO_RECORD_NAME.test(part))) assertValidKey(key);
}

/**
 * Whether `state forget` can drop a record listed under this id, on whichever store listed it: a
 * PostgreSQL row under any id (a value, never a path), a directory store's record under any id it
 * lists (no separator, leading dot or NUL: it lists no such file) but one holding a backslash,
 * which it lists on POSIX and assertStrayId refuses. Such an id is told to be removed by hand,
 * whatever its store.
 */
export function forgettableId(sandbox: string, key: string): boolean {
  return !sandbox.includes('\\') && !key.includes('\\');
}

/** `sandbox/key`: unique across a store. */
export function recordId(sandbox: string, key: string): string {
  return `${sandbox}/${key}`;
}

/**
 * The ids a write may name: a manifest's (every write), or a stored record's no manifest can
 * have, only to remove it (RecordWrites.deleteStray, assertStrayId).
 */
export type WriteIds = 'manifest' | 'stray';

/** assertValidId, or assertStrayId for a removal of a stray record. */
export function assertWriteId(sandbox: string, key: string, ids: WriteIds): void {
  if (ids === 'stray') assertStrayId(sandbox, key);
  else assertValidId(sandbox, key);
}
