import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';

/**
 * REVIEW-37d L-3. reconcile.refreshInterval '0' means never (values.yaml), so a user sets
 * reconcile.resyncInterval (or git.interval) to 0 too. The chart rendered it
 * (AUDIENCECTL_RESYNC_INTERVAL "0") and the controller refuses it at start
 * (`--resync-interval: "0" is too short (must be more than 0)`): a crash loop after an install
 * that reported success. The chart now refuses it in one line naming the value.
 */
describe('a zero resync or fetch interval', () => {
  it('the controller refuses AUDIENCECTL_RESYNC_INTERVAL=0 at start', async () => {
    const result = await runCli(['run', '--dir', '.', '--dry-run', '--refresh-interval', '0'], {
      env: { AUDIENCECTL_RESYNC_INTERVAL: '0', AUDIENCECTL_LISTEN: '127.0.0.1:0' },
      stopOn: /controller started/,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"0" is too short');
  });

  describe.each(helmBinaries())('helm $major', (bin) => {
    it.concurrent('refuses reconcile.resyncInterval 0 and git.interval 0, naming the value', async () => {
      const resync = await template(bin, {
        values: { ...MINIMAL_VALUES, reconcile: { resyncInterval: 0, refreshInterval: '1h', dryRun: false } },
      });
      expect(resync.code).toBe(1);
      expect(resync.stderr).toContain('reconcile.resyncInterval');
      const fetch = await template(bin, {
        values: {
          ...MINIMAL_VALUES,
          git: { ...MINIMAL_VALUES.git, interval: '0s', branch: 'main', auth: 'none' },
        },
      });
      expect(fetch.code).toBe(1);
      expect(fetch.stderr).toContain('git.interval');
    });

    it.concurrent.each([
      ['git.interval', { git: { ...MINIMAL_VALUES.git, interval: '0m0s' } }, '"0m0s"'],
      ['git.interval', { git: { ...MINIMAL_VALUES.git, interval: 0 } }, '"0"'],
      ['reconcile.resyncInterval', { reconcile: { resyncInterval: '00' } }, '"00"'],
    ])('%s %o: one line saying why, with or without the schema', async (key, override, shown) => {
      for (const args of [[], ['--skip-schema-validation']]) {
        const result = await template(bin, { values: { ...MINIMAL_VALUES, ...override }, args });
        expect(result.code).toBe(1);
        const [line] = result.stderr.split('\n');
        expect(line).toContain(
          `${key} ${shown} is not more than 0: the controller refuses it at start (it would spin); only reconcile.refreshInterval takes 0, for never`,
        );
      }
    });

    it.concurrent('renders reconcile.refreshInterval 0 (never)', async () => {
      const result = await template(bin, {
        values: { ...MINIMAL_VALUES, reconcile: { refreshInterval: 0 } },
      });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('AUDIENCECTL_REFRESH_INTERVAL: "0"');
    });
  });
});
