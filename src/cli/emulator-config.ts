import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** What `--emulator` reads of a configuration file: which store (`state:`), nothing of AEP. */
const READ_WITH_EMULATOR: ReadonlySet<string> = new Set(['state']);

/**
 * Refuses `--emulator` beside a `--config` typed on the command line whose file sets more
 * than `state:` (baseUrl, credentials, defaultSandbox, ...): the embedded emulator and its
 * demo client would be used and the file's settings ignored without a word, as the user
 * believed them used. A file of `state:` alone still names the store. AUDIENCECTL_CONFIG
 * from the environment is not refused, as the AEP_* variables --emulator ignores are not:
 * they are the surroundings (a CI job's), not what was typed for this command.
 */
export async function assertEmulatorConfig(
  command: Command,
  flags: { emulator?: boolean | undefined; config?: string | undefined },
): Promise<void> {
  const file = flags.config;
  if (!flags.emulator || file === undefined || file === '') return;
  if (command.getOptionValueSource('config') !== 'cli') return;
  // Loaded only for this pair: a plain --emulator's start-up reads no configuration file.
  const { configFileKeys } = await import('../config/read-file.js');
  const ignored = configFileKeys(file).filter((key) => !READ_WITH_EMULATOR.has(key));
  if (ignored.length === 0) return;
  throw new UsageError(
    'EMULATOR_CONFIG',
    `--emulator uses the embedded emulator and its demo client, and would ignore ${ignored.join(', ')} of --config ${file}: give one of the two (beside --emulator, a --config file may set only state:)`,
  );
}
