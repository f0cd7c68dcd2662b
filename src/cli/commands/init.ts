import { Command, Option } from 'commander';
import { assertEmulatorConfig } from '../emulator-config.js';
import type { ConnectFlags } from '../connect.js';
import { addStateOptions, openStoreFor, stateLocationOf, type StateFlags } from '../state-options.js';
import { boolOption } from '../typed-options.js';
import { assertSameOrgs } from '../../state/org-binding.js';
import { describeLocation } from '../../state/location.js';

export type Flags = ConnectFlags & StateFlags & { stateOnly?: boolean };

async function init(flags: Flags): Promise<void> {
  // Credentials first: a store made with credentials that do not work helps nobody. A
  // deployment's init step (the chart's initContainer) skips them: the controller checks
  // them itself, and a dry run without refresh has none.
  // The HTTP client and IMS token code load for the check only (init-credentials.ts): not for
  // --state-only, --help, or flags refused.
  const checked = flags.stateOnly
    ? undefined
    : await (await import('../init-credentials.js')).credentialsCheck(flags);
  for (const line of checked?.lines ?? []) process.stdout.write(`${line}\n`);
  const store = await openStoreFor(flags);
  try {
    const lines = await store.init();
    // A store bound to another org is refused as apply refuses it: init said it was ready for
    // credentials the next apply refused (review 38c L-4).
    if (checked)
      assertSameOrgs(await store.meta(), checked.orgOf, describeLocation(await stateLocationOf(flags)));
    for (const line of lines) process.stdout.write(`${line}\n`);
  } finally {
    await store.close();
  }
}

/**
 * `audiencectl init`: checks the AEP credentials with one IMS token request, then creates
 * the state store, or applies the PostgreSQL schema migrations it lacks; `--state-only`
 * (AUDIENCECTL_INIT_STATE_ONLY) skips the credentials, as the chart's initContainer does. Every other
 * command only checks the schema and refuses an outdated one, so a schema change is
 * always a step someone chose to take; `apply` refuses a directory that does not exist.
 */
export function initCommand(_setExit: (code: number) => void): Command {
  return addStateOptions(
    new Command('init').description(
      'Check the AEP credentials (one IMS token request), then create the state store or migrate its PostgreSQL schema',
    ),
  )
    .addOption(
      new Option('--config <file>', 'AEP configuration file (YAML or JSON)').env('AUDIENCECTL_CONFIG'),
    )
    .option('--emulator', 'check the embedded emulator demo credentials instead (as apply --emulator)')
    .addOption(
      boolOption(
        '--state-only',
        'create or migrate the state store only: no credentials check, no IMS request (a deployment init step)',
      ).env('AUDIENCECTL_INIT_STATE_ONLY'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Running it again is harmless: an existing store is kept as it is.',
        '',
        'Examples:',
        '  audiencectl init                                   # the directory .audiencectl-state',
        '  audiencectl init --state .audiencectl-state --config audiencectl.yaml',
        '  audiencectl init --state "$(mktemp -d)/state" --emulator',
        "  audiencectl init --state 'postgres://audiencectl@db.internal:5432/audiences?schema=audiencectl'",
        '  audiencectl init --state-only                      # AUDIENCECTL_STATE from the environment, as a pod',
      ].join('\n'),
    )
    .action(async (flags: Flags, command: Command) => {
      await assertEmulatorConfig(command, flags);
      await init(flags);
    });
}
