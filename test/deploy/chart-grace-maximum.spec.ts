import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { controllerEnv } from './pod-env.js';
import { MINIMAL_VALUES, helmBinaries, template } from './helm.js';

/**
 * refusals-38. values.schema.json gives terminationGracePeriodSeconds no maximum, and neither
 * does Kubernetes (an int64). The chart writes the controller's shutdown grace 5 s under it
 * (AUDIENCECTL_SHUTDOWN_GRACE), and the controller refuses a grace over 24d (a Node.js timer
 * holds no longer) at start: a pod grace over 2147488 s installed, and every pod crash-looped.
 * The chart refuses it in one line naming the key; 2147488 itself still renders.
 */
describe('a terminationGracePeriodSeconds over 24d', () => {
  it('the controller refuses AUDIENCECTL_SHUTDOWN_GRACE=2147484s at start', async () => {
    const result = await runCli(['run', '--dir', '.', '--dry-run', '--refresh-interval', '0'], {
      env: { AUDIENCECTL_SHUTDOWN_GRACE: '2147484s', AUDIENCECTL_LISTEN: '127.0.0.1:0' },
      stopOn: /controller started/,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"2147484s" is too long (at most 24d)');
  });

  describe.each(helmBinaries())('helm $major', (bin) => {
    it.concurrent.each([2_147_489, 3_000_000])('refuses %d in one line naming the key', async (grace) => {
      const result = await template(bin, {
        values: { ...MINIMAL_VALUES, terminationGracePeriodSeconds: grace },
      });
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
      expect(`${result.code} ${errors.length}`).toBe('1 1');
      expect(errors[0]?.replace(/^Error: execution error at \([^)]*\): /, '')).toBe(
        `terminationGracePeriodSeconds ${grace} is too long (at most 2147488, about 24.8 days): the controller's shutdown grace, 5 s less (AUDIENCECTL_SHUTDOWN_GRACE), would be over 24d, which it refuses at start (a Node.js timer holds no longer)`,
      );
    });

    it.concurrent('renders 2147488, a grace the controller takes', async () => {
      const result = await template(bin, {
        values: { ...MINIMAL_VALUES, terminationGracePeriodSeconds: 2_147_488 },
      });
      expect(result.stderr).toBe('');
      expect(controllerEnv(result.objects).get('AUDIENCECTL_SHUTDOWN_GRACE')).toEqual({
        value: '2147483s',
      });
    });
  });
});
