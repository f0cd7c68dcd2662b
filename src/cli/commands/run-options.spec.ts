import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { typedOptionProblems } from '../typed-options.js';
import { defineRunOptions } from './run-options.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** `run`'s options as commander and the typed-option check leave them, with `env` set. */
function parsed(env: Record<string, string>, args: string[] = []) {
  process.env = { ...saved, ...env };
  const command = defineRunOptions(new Command('run').exitOverride()).action(() => undefined);
  command.parse(args, { from: 'user' });
  return { problems: typedOptionProblems(command), flags: command.opts() };
}

describe("run's environment variables of the options shared with plan and apply", () => {
  it('are read and converted as their flags are', () => {
    const { problems, flags } = parsed({
      AUDIENCECTL_MAX_DELETES: '0',
      AUDIENCECTL_MAX_FILE_BYTES: '2048',
      AUDIENCECTL_RUNS_PER_DAY: '7',
      AUDIENCECTL_RUNS_PER_AUDIENCE: '3',
      AUDIENCECTL_INCLUDE: 'loyalty/** web.yaml',
      AUDIENCECTL_EXCLUDE: 'drafts/**',
    });
    expect(problems).toEqual([]);
    expect(flags).toMatchObject({
      maxDeletes: 0,
      maxFileBytes: 2048,
      runsPerDay: 7,
      runsPerAudience: 3,
      // As given: the command reads the variables' globs (src/cli/filter-env.ts, one per line).
      include: ['loyalty/** web.yaml'],
      exclude: ['drafts/**'],
    });
  });

  it('a flag wins over its variable', () => {
    const { problems, flags } = parsed({ AUDIENCECTL_MAX_DELETES: 'abc' }, ['--max-deletes', '2']);
    expect(problems).toEqual([]);
    expect(flags.maxDeletes).toBe(2);
  });

  it.each([
    ['AUDIENCECTL_MAX_DELETES', 'abc', '"abc" is not a whole number (0 or more)'],
    ['AUDIENCECTL_MAX_FILE_BYTES', 'abc', '"abc" is not a whole number from 1 to 268435456'],
    ['AUDIENCECTL_RUNS_PER_DAY', '0', '"0" is not a positive whole number'],
    ['AUDIENCECTL_RUNS_PER_AUDIENCE', '1e3', '"1e3" is not a positive whole number'],
    ['AUDIENCECTL_LOG_LEVEL', 'loud', '"loud" is not one of trace, debug, info, warn, error, fatal, silent'],
    ['AUDIENCECTL_GIT_STRICT_HOST_KEY_CHECKING', 'no', '"no" is not one of yes, accept-new'],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    expect(parsed({ [name]: value }).problems).toEqual([`${name}: ${message}`]);
  });
});
