import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';

/**
 * chart-44 (review). serviceMonitor.interval and serviceMonitor.scrapeTimeout are each checked as a
 * Prometheus duration, never against each other: `--set serviceMonitor.interval=5s` (the
 * timeout stays 10s) installs a ServiceMonitor the Prometheus Operator rejects ("scrapeTimeout
 * "10s" greater than scrapeInterval "5s"", skipping servicemonitor, in its own log only), so
 * /metrics is never scraped and the documented sync-age alert never fires. The chart refuses
 * it in one line naming both keys; a timeout equal to the interval is what Prometheus takes.
 */
const values = (serviceMonitor: Record<string, unknown>) => ({
  ...MINIMAL_VALUES,
  serviceMonitor: { enabled: true, ...serviceMonitor },
});

describe.each(helmBinaries())('helm $major: a scrape timeout longer than the interval', (bin) => {
  it.concurrent('refuses interval 5s with the default timeout (10s), naming both keys', async () => {
    const result = await template(bin, { values: values({ interval: '5s' }) });
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    expect(`${result.code} ${errors.length}`).toBe('1 1');
    expect(errors[0]?.replace(/^Error: execution error at \([^)]*\): /, '')).toBe(
      'serviceMonitor.scrapeTimeout "10s" is longer than serviceMonitor.interval "5s": the Prometheus Operator rejects such a ServiceMonitor and /metrics is never scraped; give a scrapeTimeout of at most the interval',
    );
  });

  it.concurrent('refuses 1m30s against 1m, each unit summed', async () => {
    const result = await template(bin, { values: values({ interval: '1m', scrapeTimeout: '1m30s' }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'serviceMonitor.scrapeTimeout "1m30s" is longer than serviceMonitor.interval "1m"',
    );
  });

  it.concurrent('renders a timeout equal to the interval, or shorter in another unit', async () => {
    for (const serviceMonitor of [
      { interval: '10s', scrapeTimeout: '10s' },
      { interval: '1m', scrapeTimeout: '59s' },
      { interval: '2m', scrapeTimeout: '1m30s' },
    ]) {
      const result = await template(bin, { values: values(serviceMonitor) });
      expect(`${JSON.stringify(serviceMonitor)} ${result.code} ${result.stderr}`).toBe(
        `${JSON.stringify(serviceMonitor)} 0 `,
      );
    }
  });
});
