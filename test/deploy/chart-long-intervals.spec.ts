import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { MINIMAL_VALUES, helmBinaries, template } from './helm.js';

/**
 * REVIEW-37v L-1 (with 2d9e561, review-37d L-3, and chart-zero-intervals.spec.ts): the chart now refuses an interval of 0 that
 * the controller would refuse at start. The other end of the same range renders too: an
 * interval over 24d (a Node timer's limit) is accepted by the schema and the chart's duration
 * rule, written to the ConfigMap, and the controller refuses it at start ("is too long (at most
 * 24d)"): the same crash loop after an install that reported success.
 */
const BASE = MINIMAL_VALUES;

describe('an interval longer than the controller takes', () => {
  it('the controller refuses AUDIENCECTL_RESYNC_INTERVAL=30d at start', async () => {
    const result = await runCli(['run', '--dir', '.', '--dry-run', '--refresh-interval', '0'], {
      env: { AUDIENCECTL_RESYNC_INTERVAL: '30d', AUDIENCECTL_LISTEN: '127.0.0.1:0' },
      stopOn: /controller started/,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"30d" is too long (at most 24d)');
  });

  describe.each(helmBinaries())('helm $major', (bin) => {
    it.concurrent.each([
      ['reconcile.resyncInterval', { reconcile: { resyncInterval: '30d' } }],
      ['git.interval', { git: { ...BASE.git, interval: '25d' } }],
      ['reconcile.refreshInterval', { reconcile: { refreshInterval: 3_000_000 } }],
    ])('refuses %s over 24d in one line naming the key', async (key, override) => {
      const result = await template(bin, { values: { ...BASE, ...override } });
      expect(`${result.code} ${result.stderr.includes(key)}`).toBe('1 true');
    });
  });
});
