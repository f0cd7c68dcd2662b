import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/**
 * cli-45 item 2: `run --backoff-base 10m --backoff-max 1s` was taken silently (the maximum was
 * raised to the base), and a configuration file's `retry.baseDelayMs` over its
 * `retry.maxDelayMs` was capped silently. Each is refused before anything runs, in one line
 * naming both settings as given and their values.
 */
describe('a first wait longer than the longest', () => {
  // The directory does not exist: before the fix, run got that far (and no controller starts).
  const run = (dir: string) => ['run', '--dir', path.join(dir, 'missing')];
  const noEnv = { AUDIENCECTL_BACKOFF_BASE: undefined, AUDIENCECTL_BACKOFF_MAX: undefined };

  it.each([
    [
      ['--backoff-base', '10m', '--backoff-max', '1s'],
      {},
      '--backoff-base (10m) is longer than --backoff-max (1s): lower --backoff-base or raise --backoff-max',
    ],
    [
      ['--backoff-base', '20m'],
      {},
      '--backoff-base (20m) is longer than --backoff-max (10m, its default): lower --backoff-base or raise --backoff-max',
    ],
    [
      [],
      { AUDIENCECTL_BACKOFF_BASE: '2h', AUDIENCECTL_BACKOFF_MAX: '90m' },
      'AUDIENCECTL_BACKOFF_BASE (2h) is longer than AUDIENCECTL_BACKOFF_MAX (90m): lower AUDIENCECTL_BACKOFF_BASE or raise AUDIENCECTL_BACKOFF_MAX',
    ],
    [
      ['--backoff-max', '5s'],
      {},
      '--backoff-base (10s, its default) is longer than --backoff-max (5s): lower --backoff-base or raise --backoff-max',
    ],
  ])('run %j %j: refused in one line, exit 1', async (flags, env, line) => {
    await withTempDir(async (dir) => {
      const result = await runCliInProcess([...run(dir), ...flags], { cwd: dir, env: { ...noEnv, ...env } });
      expect(result.stderr).toBe(`Error: ${line}\n`);
      expect(result.stdout).toBe('');
      expect(result.code).toBe(1);
    });
  });

  it.each([
    [
      'a configuration file whose retry.baseDelayMs is over retry.maxDelayMs: named with its line',
      ['  baseDelayMs: 30s', '  maxDelayMs: 1000'],
      'aep.yaml:5:16 retry.baseDelayMs: 30000 ms is longer than retry.maxDelayMs (1000 ms): lower retry.baseDelayMs or raise retry.maxDelayMs',
    ],
    [
      'a retry.maxDelayMs under the default retry.baseDelayMs (300 ms): named at maxDelayMs',
      ['  maxDelayMs: 100'],
      'aep.yaml:5:15 retry.maxDelayMs: 100 ms is shorter than retry.baseDelayMs (300 ms, its default): lower retry.baseDelayMs or raise retry.maxDelayMs',
    ],
  ])('%s', async (_case, retry, line) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/.keep': '',
        'aep.yaml': [
          'credentials:',
          '  clientId: id',
          '  orgId: ABC123@AdobeOrg',
          'retry:',
          ...retry,
          '',
        ].join('\n'),
      });
      const result = await runCliInProcess(['plan', 'm', '--config', 'aep.yaml', '--state', 'st'], {
        cwd: dir,
      });
      expect(result.stderr).toBe(`Error: Invalid AEP configuration: ${line}\n`);
      expect(result.code).toBe(1);
    });
  });
});
