import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './run-cli.js';

/** The full help of `path` (`['state', 'list']`), as `--help` prints it. */
async function helpOf(path: string[]): Promise<string> {
  const program = await buildProgram(() => undefined, ['node', 'audiencectl', ...path]);
  let command: Command = program;
  for (const name of path) command = command.commands.find((c) => c.name() === name)!;
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

/** The shell pattern characters of `line` outside quotes, before its comment. */
function unquotedGlobs(line: string): string[] {
  const bare = line.replace(/'[^']*'|"[^"]*"/g, '').replace(/\s#.*$/, '');
  return bare.match(/[?*[]/g) ?? [];
}

const COMMANDS = [
  ['validate'],
  ['plan'],
  ['apply'],
  ['init'],
  ['state'],
  ['state', 'list'],
  ['state', 'show'],
  ['state', 'import'],
  ['state', 'forget'],
  ['state', 'settle-run'],
  ['state', 'migrate'],
  ['emulator'],
];

describe('--help', () => {
  it.each(COMMANDS.map((path) => ({ name: path.join(' '), path })))(
    'of $name shows examples a person can copy',
    async ({ path }) => {
      const help = await helpOf(path);
      const examples = help.split('Examples:\n')[1];
      expect(examples, help).toBeDefined();
      const lines = examples!.split('\n').filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^ {2}audiencectl /);
      // Pasted into zsh (or bash with failglob), an unquoted ?, * or [ is a pattern that matches
      // no file: the command is refused as copied (a postgres:// URL's ?schema=).
      for (const line of lines) expect(unquotedGlobs(line), line).toEqual([]);
      expect(lines.some((line) => line.startsWith(`  audiencectl ${path.join(' ')}`))).toBe(true);
    },
  );
});

describe('state migrate --help', () => {
  it('says a directory --to is created and a PostgreSQL one is made with init first', async () => {
    const program = await buildProgram(() => undefined, ['node', 'audiencectl', 'state', 'migrate']);
    const migrate = program.commands
      .find((c) => c.name() === 'state')!
      .commands.find((c) => c.name() === 'migrate')!;
    expect(migrate.options.find((option) => option.long === '--to')?.description).toBe(
      'the store to fill: a directory (created if missing) or a postgres:// URL (made with `audiencectl init` first)',
    );
  });
});
