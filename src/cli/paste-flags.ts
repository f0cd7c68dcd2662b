import type { Command } from 'commander';
import { NO_PASTE_FLAGS, pasteFlags, type PasteFlags } from '../text/paste-flags.js';

/**
 * The flags of `command`'s invocation that a command it prints for a person to paste
 * carries (src/text/paste-flags.ts): those typed on the command line only (`--sandbox`,
 * `--include` and `--exclude`, for the `apply` and `plan` of the manifests it prints). A value commander
 * took from a variable (AUDIENCECTL_CONFIG, AUDIENCECTL_STATE_PASSWORD_FILE) or a default
 * is inherited by the pasted command as it was by this one.
 */
export function pasteFlagsOf(command: Command | undefined): PasteFlags {
  if (!command) return NO_PASTE_FLAGS;
  const typed = (name: string): unknown =>
    command.getOptionValueSource(name) === 'cli' ? command.getOptionValue(name) : undefined;
  const text = (name: string): string | undefined => {
    const value = typed(name);
    return typeof value === 'string' ? value : undefined;
  };
  const globs = (name: string): string[] | undefined => {
    const value = typed(name);
    return Array.isArray(value)
      ? value.filter((glob): glob is string => typeof glob === 'string')
      : undefined;
  };
  return pasteFlags({
    state: text('state'),
    statePasswordFile: text('statePasswordFile'),
    config: text('config'),
    emulator: typed('emulator') === true,
    sandbox: text('sandbox'),
    include: globs('include'),
    exclude: globs('exclude'),
  });
}
