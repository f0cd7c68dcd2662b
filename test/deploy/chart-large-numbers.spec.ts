import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { find, helmBinaries, MINIMAL_VALUES, template } from './helm.js';

/**
 * A number from a values file (-f, not --set) reaches the templates as float64: from
 * 1,000,000 on, `| quote` wrote it as "2e+06", which the controller refuses at start (a crash
 * loop after an install that reported success). The chart now writes such a number whole, and
 * the sizes too (a quantity in bytes); a number with a fraction is refused in one line.
 * template() passes its values as a values file.
 */
const LARGE = {
  ...MINIMAL_VALUES,
  git: { ...MINIMAL_VALUES.git, interval: 1234567 },
  reconcile: { resyncInterval: 1000000, refreshInterval: 2000000, dryRun: false },
  persistence: { enabled: true, size: 2000000000 },
  workDir: { sizeLimit: 3000000000 },
};

describe('a number of 1,000,000 or more from a values file', () => {
  it('the controller refuses AUDIENCECTL_REFRESH_INTERVAL=2e+06 at start', async () => {
    const result = await runCli(['run', '--dir', '.', '--dry-run'], {
      env: { AUDIENCECTL_REFRESH_INTERVAL: '2e+06', AUDIENCECTL_LISTEN: '127.0.0.1:0' },
      stopOn: /controller started/,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"2e+06"');
  });

  describe.each(helmBinaries())('helm $major', (bin) => {
    it.concurrent('writes the intervals and sizes whole', async () => {
      const rendered = await template(bin, { values: LARGE });
      expect(rendered.stderr).toBe('');
      const data = find(rendered.objects, 'ConfigMap', 'audiencectl').data as Record<string, string>;
      expect([
        data.AUDIENCECTL_INTERVAL,
        data.AUDIENCECTL_RESYNC_INTERVAL,
        data.AUDIENCECTL_REFRESH_INTERVAL,
      ]).toEqual(['1234567', '1000000', '2000000']);
      const pvc = find(rendered.objects, 'PersistentVolumeClaim') as unknown as {
        spec: { resources: { requests: unknown } };
      };
      expect(pvc.spec.resources.requests).toEqual({ storage: '2000000000' });
      expect(rendered.stdout).toContain('sizeLimit: 3000000000\n');
    });

    it.concurrent.each([
      [
        'reconcile.refreshInterval',
        { reconcile: { resyncInterval: '5m', refreshInterval: 1.5, dryRun: false } },
      ],
      ['git.interval', { git: { ...MINIMAL_VALUES.git, interval: 90.25 } }],
      ['persistence.size', { persistence: { enabled: true, size: 1000.5 } }],
    ])('refuses %s with a fraction in one line naming the key', async (key, override) => {
      const result = await template(bin, { values: { ...MINIMAL_VALUES, ...override } });
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
      expect(`${result.code} ${errors.length} ${errors.join('').includes(`${key} `)}`).toBe('1 1 true');
      expect(errors.join('')).toContain('is not a whole number');
    });
  });
});
