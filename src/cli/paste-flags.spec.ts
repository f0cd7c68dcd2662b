import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { pasteFlagsOf } from './paste-flags.js';
import { pastedFlags } from '../text/paste-flags.js';

/** A command with the flags that choose the store and configuration, parsed from `argv`. */
function parsed(argv: string[]): Command {
  const command = new Command('apply')
    .exitOverride()
    .option('--state <dir|url>')
    .addOption(new Option('--state-password-file <file>').env('AUDIENCECTL_STATE_PASSWORD_FILE'))
    .addOption(new Option('--config <file>').env('AUDIENCECTL_CONFIG'))
    .option('--emulator')
    .action(() => undefined);
  command.parse(argv, { from: 'user' });
  return command;
}

describe('pasteFlagsOf: what was typed, not what a variable gave', () => {
  it('carries the flags typed on the command line', () => {
    const flags = pasteFlagsOf(parsed(['--state', 'stores/prod', '--config', 'prod.yaml', '--emulator']));
    expect(pastedFlags(flags, 'apply')).toBe(' --state stores/prod --config prod.yaml --emulator');
  });

  it('leaves out --config and --state-password-file that came from their variables', () => {
    const saved = { ...process.env };
    process.env.AUDIENCECTL_CONFIG = 'from-env.yaml';
    process.env.AUDIENCECTL_STATE_PASSWORD_FILE = '/run/secrets/pg';
    try {
      const command = parsed(['--state', 'st']);
      expect(command.opts()).toMatchObject({ config: 'from-env.yaml', statePasswordFile: '/run/secrets/pg' });
      expect(pastedFlags(pasteFlagsOf(command), 'state')).toBe(' --state st');
    } finally {
      process.env = saved;
    }
  });
});
