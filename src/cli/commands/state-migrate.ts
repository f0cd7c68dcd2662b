import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { leavesDirectory } from '../../files/leaves-directory.js';
import { AudiencectlError, UsageError } from '../../errors.js';
import { StateError } from '../../state/errors.js';
import { CONNECT_STOPPED } from '../../state/pg/connect-stopped.js';
import { restoreRetired } from '../../state/dir-swap.js';
import { describeLocation, parseStateLocation } from '../../state/location.js';
import { missingDirs, removeEmptyDirs } from '../../state/made-dirs.js';
import { migrateState } from '../../state/migrate.js';
import { openStateStore } from '../../state/open.js';
import { assertStateDir } from '../../state/repair.js';
import type { StateStore } from '../../state/store.js';
import { escapeText } from '../../text/safe-text.js';
import { stateAccessOf, type StateFlags } from '../state-options.js';
import { lockForCommand } from './state-read.js';

export type MigrateFlags = {
  from: string;
  to: string;
  force?: boolean;
  /** ms */ lockTimeout: number;
} & StateFlags;

/** A migrate stopped by SIGINT or SIGTERM, before its copy replaced anything: 130 or 143, as a shell reports it. */
class MigrateInterrupted extends AudiencectlError {
  override readonly name = 'MigrateInterrupted';
  override readonly exitCode: number;

  constructor(signal: NodeJS.Signals, target: string) {
    super(
      'STATE_MIGRATE_INTERRUPTED',
      `interrupted (${signal}): nothing was copied, ${target} is as it was; run the command again`,
    );
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}

/**
 * Aborts `stop` on the first SIGINT or SIGTERM: a wait for either lock ends at once, a copy at
 * its next record, staged copy removed.
 */
function watchSignals(stop: AbortController, target: string): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) stop.abort(new MigrateInterrupted(signal, target));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
}

export async function migrate(flags: MigrateFlags): Promise<void> {
  const from = parseStateLocation(flags.from, '--from');
  const to = parseStateLocation(flags.to, '--to');
  if (describeLocation(from) === describeLocation(to)) throw sameStore();
  if (from.kind === 'dir' && to.kind === 'dir') await refuseNested(from.dir, to.dir, flags);
  if (from.kind === 'dir') await assertStateDir(from.dir, '--from');
  const stop = new AbortController();
  const dispose = watchSignals(stop, describeLocation(to));
  try {
    // A target a killed migrate left missing (moved aside, the copy not yet in): put it back.
    const notes = to.kind === 'dir' ? await restoreRetired(to.dir) : [];
    for (const note of notes) process.stderr.write(`${escapeText(note)}\n`);
    // Made by the target's lock: removed again if the migrate fails, so that a refused or
    // interrupted migrate leaves no empty folder every command would read as an empty store.
    const made = to.kind === 'dir' ? await missingDirs(to.dir) : [];
    const access = stateAccessOf(flags);
    // Each store closed whatever happens after it is opened: the target's open may refuse it
    // (a directory another program owns, or a swap a killed migrate left).
    // Each named by its flag in its refusals (a folder that is no store, a schema init never
    // made): the command has no --state, and the same line for either side said not which.
    const source = await openStateStore(from, { ...access, flag: '--from' });
    try {
      const target = await openStateStore(to, { ...access, flag: '--to' });
      try {
        // An alias (a symlink, another spelling of the host) is refused before either lock is taken.
        if (await stoppable(sameIdentity(source, target, stop.signal), stop.signal)) throw sameStore();
        const result = await migrateState(source, target, {
          force: flags.force === true,
          // Ctrl-C while waiting for either lock ends the wait (STATE_LOCK_WAIT_STOPPED), as apply's.
          // A stale lock taken over is said, as by the other state commands (an apply that died
          // holding the store is news to whoever migrates it), naming which of the two stores.
          lock: async (store) => {
            await stoppable(
              lockForCommand(store, flags.lockTimeout, 'audiencectl state migrate', stop.signal, true),
              stop.signal,
            );
          },
          signal: stop.signal,
        });
        const lineage = result.lineage
          ? `lineage ${result.lineage}, serial ${result.serial}`
          : 'no lineage yet';
        process.stdout.write(
          `Copied ${result.audiences} audience(s) from ${escapeText(source.location)} to ${escapeText(target.location)} (${lineage}).\n` +
            `Verified: ${result.audiences} record(s) read back, ${result.digest} on both sides.\n`,
        );
      } catch (error) {
        if (made.length > 0) {
          // Its lock let go first: the folders it made are then empty again.
          await target.close();
          await removeEmptyDirs(made);
        }
        throw error;
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  } finally {
    dispose();
  }
}

/** `dir` through its links: its nearest existing folder's real path, the rest as written. */
async function realPathOf(dir: string): Promise<string> {
  const missing: string[] = [];
  let existing = path.resolve(dir);
  for (;;) {
    try {
      return path.join(await realpath(existing), ...missing.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(dir);
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

/** `inner` is under `outer`, not `outer` itself (read-dir.ts isInside counts the root in). */
function strictlyInside(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative !== '' && !leavesDirectory(relative);
}

/**
 * A store copied into a folder of itself (`--from st --to st/sub`), or around itself: the copy
 * would hold, or replace, the store it reads. Refused before anything is locked or copied.
 */
async function refuseNested(fromDir: string, toDir: string, flags: MigrateFlags): Promise<void> {
  const [source, target] = await Promise.all([realPathOf(fromDir), realPathOf(toDir)]);
  const from = escapeText(flags.from);
  const to = escapeText(flags.to);
  if (strictlyInside(source, target))
    throw new UsageError(
      'STATE_MIGRATE_NESTED',
      `--to ${to} is inside --from ${from}: a store cannot be copied into itself; give --to a folder outside it`,
    );
  if (strictlyInside(target, source))
    throw new UsageError(
      'STATE_MIGRATE_NESTED',
      `--from ${from} is inside --to ${to}: a store cannot be copied around itself; give --to a folder outside it`,
    );
}

function sameStore(): UsageError {
  return new UsageError('STATE_MIGRATE_SAME', '--from and --to name the same store');
}

async function sameIdentity(source: StateStore, target: StateStore, signal: AbortSignal): Promise<boolean> {
  if (!source.identity || !target.identity) return false;
  const [a, b] = await Promise.all([source.identity(signal), target.identity(signal)]);
  return a === b;
}

/**
 * `step`, whose connect a signal ended (STATE_CONNECT_STOPPED, exit 1, "nothing was changed"),
 * said as the migrate's interruption: 130 or 143, "nothing was copied", as its later phases.
 */
async function stoppable<T>(step: Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof StateError && error.code === CONNECT_STOPPED && signal.aborted) throw signal.reason;
    throw error;
  }
}
