import { discoverRecords, type DiscoverRow } from '../../apply/discover.js';
import { escapeText } from '../../text/safe-text.js';
import type { ConnectFlags } from '../connect.js';
import { loadDesired } from '../source-options.js';
import { importRevision } from '../import-revision.js';
import { requireStateStore } from '../../state/presence.js';
import { lockForCommand } from './state-read.js';
import { openStoreFor, stateLocationOf, type StateFlags } from '../state-options.js';

export type DiscoverOptions = StateFlags &
  ConnectFlags & { sandbox?: string; lockTimeout: number; dryRun?: boolean };

function table(rows: readonly DiscoverRow[]): string[] {
  const cells = [
    ['KEY', 'RESULT', 'AUDIENCE', 'FOUND'],
    ...rows.map((row) => [`${row.sandbox}/${row.key}`, row.outcome, row.audienceId ?? '-', row.detail]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * What the summary says of manifests whose record waits for its create (discover.ts waitingRow):
 * nothing was recorded for them, and what is listed under their name is not taken for theirs.
 */
function waitingNote(waiting: number, dir: string): string {
  if (waiting === 0) return '';
  return ` ${waiting} waiting for their create, records kept as they are (the next apply creates them; an audience found under the name is not theirs unless you import it: audiencectl state import <key> ${dir} --sandbox <sandbox> --audience-id <id>).`;
}

/**
 * `audiencectl state import --discover [dir]`: rebuilds lost records by matching every
 * manifest without one to the existing audience of its exact name (the adoption rule), and
 * prints what matched, what is missing and what is ambiguous. `--dry-run` writes nothing.
 */
export async function discoverCommand(dir: string, options: DiscoverOptions): Promise<void> {
  const say = (text: string) => process.stdout.write(`${escapeText(text)}\n`);
  const sandbox = options.sandbox ?? (process.env.AEP_SANDBOX || undefined);
  // The configuration's reader (the yaml library) and the client: `state list` and `show` never load them.
  const { resolveTarget } = await import('../connect.js');
  const target = resolveTarget(options, (warning) => process.stderr.write(`Warning: ${warning}\n`));
  await requireStateStore(await stateLocationOf(options));
  const desired = await loadDesired(dir, { sandbox: sandbox ?? 'prod' });
  const warn = (text: string) => process.stderr.write(`Warning: ${escapeText(text)}\n`);
  const revision = options.dryRun ? undefined : await importRevision(dir, warn);
  const store = await openStoreFor(options);
  const connection = await target.open();
  try {
    // A store of another org is refused; what is recorded binds the sandbox to this one.
    store.useOrgs((name) => connection.client.orgOf(name));
    await lockForCommand(store, options.lockTimeout, 'audiencectl state import --discover');
    const { rows, inactiveUnlisted } = await discoverRecords(desired, store, connection.client, {
      sandbox,
      dryRun: options.dryRun === true,
      now: Date.now(),
      revision,
    });
    for (const [name, said] of inactiveUnlisted) {
      process.stderr.write(
        `Warning: ${escapeText(`the service would not list the inactive audiences of sandbox "${name}" (property=lifecycleState==inactive: ${said}); an audience deactivated in the UI shows as missing: import it with state import <key> ${dir} --audience-id <id>`)}\n`,
      );
    }
    if (rows.length === 0) {
      say('Every manifest already has a record: nothing to discover.');
      return;
    }
    for (const line of table(rows)) say(line);
    const count = (outcome: DiscoverRow['outcome']) => rows.filter((row) => row.outcome === outcome).length;
    const verb = options.dryRun ? 'would be recorded (--dry-run: nothing written)' : 'recorded as imported';
    say('');
    say(
      `${count('matched')} matched and ${verb}, ${count('missing')} missing (the next apply creates them), ${count('ambiguous')} ambiguous (import each with --audience-id).${waitingNote(count('waiting'), dir)}`,
    );
  } finally {
    await store.close();
    await connection.close();
  }
}
