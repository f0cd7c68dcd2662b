import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { escapeText } from '../text/safe-text.js';
import { pastedFlags, type PasteFlags } from '../text/paste-flags.js';
import { shellQuote } from '../text/shell-quote.js';
import { refuseInterruptedSwap } from './dir-swap.js';
import { isAbsence } from './errors.js';
import type { StateLocation } from './location.js';
import { refuseForeignDirectory } from './store-dir.js';

/**
 * The command that creates a store, for messages: runs as written, pasted into a POSIX shell,
 * with the configuration (`--config`, `--emulator`) this process was given (`paste`).
 */
export function initCommandFor(dir: string, paste?: PasteFlags): string {
  return `audiencectl init --state ${shellQuote(dir)}${pastedFlags(paste, 'init', { withState: false })}`;
}

/**
 * Whether the state store exists. An existing empty directory is a valid, empty store;
 * a missing one is most often a typo, which must not read as "nothing was ever
 * applied". A PostgreSQL store checks its own schema when opened. `from` is where the location
 * came from (locateState), named in the refusals as the missing-store messages name it.
 */
export async function stateStoreExists(location: StateLocation, from?: string): Promise<boolean> {
  if (location.kind !== 'dir') return true;
  const given = givenAs(location.dir, from);
  // Moved aside by a migrate killed mid-swap (missing, or an empty folder in its place): no
  // plan of every manifest as a create.
  await refuseInterruptedSwap(location.dir);
  const info = await stat(location.dir).catch((error: NodeJS.ErrnoException) => {
    // A path under a file (`--state notes.txt/state`) is no missing store: planned as one, every
    // manifest showed as a create beside a suggested `init` that cannot make it.
    if (error.code === 'ENOTDIR')
      throw new UsageError(
        'STATE_NOT_A_DIRECTORY',
        `${given}: a part of the path is a file, not a directory`,
      );
    if (isAbsence(error)) return undefined;
    throw new UsageError('STATE_UNREADABLE', `${given}: cannot read it: ${error.message}`);
  });
  if (info === undefined) return false;
  if (!info.isDirectory())
    throw new UsageError('STATE_NOT_A_DIRECTORY', `${given} is a file, not a state directory`);
  await refuseForeignDirectory(location.dir);
  return true;
}

/**
 * The one setting that gave the location, when `from` (locateState's) names one a user may not
 * think of: a configuration file's `state:` (`state: in <file>`, escaped), or the older
 * AUDIENCECTL_STATE_DIR (the image sets it), which "--state or AUDIENCECTL_STATE" sent the
 * user looking past (review-36a L-3). Undefined: --state, AUDIENCECTL_STATE or the default.
 */
function namedSetting(from: string | undefined): string | undefined {
  if (from === 'AUDIENCECTL_STATE_DIR') return from;
  return from?.startsWith('state: in ') === true ? escapeText(from) : undefined;
}

/**
 * The location as the user gave it, for a refusal: `--state <dir>`, or `<dir> (<setting>)` when
 * a configuration file's `state:` or AUDIENCECTL_STATE_DIR gave it (the image sets that one): a
 * refusal saying `--state` sent the user to fix a flag they never gave.
 */
function givenAs(dir: string, from: string | undefined): string {
  const setting = namedSetting(from);
  return setting === undefined ? `--state ${escapeText(dir)}` : `${escapeText(dir)} (${setting})`;
}

/**
 * Writers refuse a store that does not exist, and say how to create it; `from` is where the
 * location came from (locateState), named as plan's warning names it (missingStoreWarning).
 */
export async function requireStateStore(
  location: StateLocation,
  paste?: PasteFlags,
  from?: string,
): Promise<void> {
  if (location.kind !== 'dir' || (await stateStoreExists(location, from))) return;
  const setting = namedSetting(from);
  throw new UsageError(
    'STATE_NOT_FOUND',
    `no state store at ${escapeText(location.dir)} (${setting ?? '--state or AUDIENCECTL_STATE'}): if it is new, create it with \`${initCommandFor(location.dir, paste)}\`; otherwise fix ${setting ?? 'the location'}`,
  );
}

/**
 * `plan` only reads: it may plan without a store, but must say so loudly. `from` is where
 * the location came from; a configuration file's `state:` (`state: in audiencectl.yaml`) and
 * AUDIENCECTL_STATE_DIR are named, any other is set with --state or AUDIENCECTL_STATE.
 */
export function missingStoreWarning(dir: string, paste?: PasteFlags, from?: string): string {
  const setting = namedSetting(from);
  return [
    `WARNING: no state store at ${escapeText(dir)} (${setting ?? '--state or AUDIENCECTL_STATE'}).`,
    'WARNING: planning as if nothing was ever applied: every manifest shows as a create.',
    `WARNING: if this is a typo, fix ${setting ?? '--state'}; to start a new store, run \`${initCommandFor(dir, paste)}\`.`,
    '',
  ].join('\n');
}
