import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/**
 * cli-45 item 1: `audiencectl help nosuch` printed the whole usage on stderr without naming
 * the word, `help state nosuch` exited 0 with the usage of `state`, and `help state list`
 * showed `state`'s help, not `list`'s. Each word after `help` is a command of the one before.
 */
describe('audiencectl help <command...>', () => {
  it.each([
    [['help', 'nosuch'], "unknown command 'nosuch' (see audiencectl --help)"],
    [['help', 'plann'], "unknown command 'plann' (did you mean plan?) (see audiencectl --help)"],
    [['help', 'state', 'nosuch'], "unknown command 'nosuch' (see audiencectl state --help)"],
    [['help', 'state', 'lst'], "unknown command 'lst' (did you mean list?) (see audiencectl state --help)"],
    [['state', 'help', 'nosuch'], "unknown command 'nosuch' (see audiencectl state --help)"],
    [['--color', 'never', 'help', 'nosuch'], "unknown command 'nosuch' (see audiencectl --help)"],
    [
      ['help', 'plan', 'nosuch'],
      "unknown command 'nosuch': audiencectl plan has no subcommands (see audiencectl plan --help)",
    ],
    // cli-46 (a): a word before --help that names no command showed the help and exited 0.
    [['state', 'nosuch', '--help'], "unknown command 'nosuch' (see audiencectl state --help)"],
    [['state', 'lst', '-h'], "unknown command 'lst' (did you mean list?) (see audiencectl state --help)"],
    [['state', '--help', 'nosuch'], "unknown command 'nosuch' (see audiencectl state --help)"],
    [['nosuch', '--help'], "unknown command 'nosuch' (see audiencectl --help)"],
    [
      ['--color', 'never', 'plann', '--help'],
      "unknown command 'plann' (did you mean plan?) (see audiencectl --help)",
    ],
    // cli-46 (b): --version printed the version whatever followed it; `version extra` is refused.
    [['--version', 'extra'], "--version takes no arguments, but was given 'extra' (see audiencectl --help)"],
    [['-V', 'plan'], "--version takes no arguments, but was given 'plan' (see audiencectl --help)"],
    [
      ['--color', 'never', '--version', '--no-color', 'x'],
      "--version takes no arguments, but was given 'x' (see audiencectl --help)",
    ],
  ])('%j: one line naming the word, exit 1 as other usage errors', async (args, line) => {
    const result = await runCliInProcess(args);
    expect(result.stderr).toBe(`Error: ${line}\n`);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  });

  it.each([
    [['help'], 'Usage: audiencectl [options] [command]\n'],
    [['help', 'plan'], 'Usage: audiencectl plan [options] [dir]\n'],
    [['help', 'state'], 'Usage: audiencectl state [options] [command]\n'],
    [['help', 'state', 'list'], 'Usage: audiencectl state list [options]\n'],
    [['state', 'help', 'import'], 'Usage: audiencectl state import [options]'],
    [['state', 'list', '--help'], 'Usage: audiencectl state list [options]\n'],
    [['--color', 'never', 'state', '--help'], 'Usage: audiencectl state [options] [command]\n'],
    [['--help'], 'Usage: audiencectl [options] [command]\n'],
  ])('%j: the help of the command named, on stdout, exit 0', async (args, first) => {
    const result = await runCliInProcess(args);
    expect(result.stdout.startsWith(first)).toBe(true);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([[['--version']], [['-V']], [['--color', 'never', '--version']], [['--version', '--no-color']]])(
    '%j: the version alone, exit 0',
    async (args) => {
      const result = await runCliInProcess(args);
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    },
  );
});
