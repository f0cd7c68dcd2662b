import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';
import { parseExposition, sampleValue } from './helpers/prom-text.js';

/**
 * Review controller-48. A failed git sync is retried on the backoff (5cb5bc80), but /status said
 * only the failure: not that a retry was armed, when, nor how many syncs had failed, so an
 * operator could not tell an outage being retried from a controller waiting for its next poll.
 * And each failure was logged twice: 'git sync failed' by the source, then 'sync failed' by the
 * reconciler, with the same code and text.
 */

const BACKOFF_BASE_MS = 3_600_000;
const spec = controllerSpec('audiencectl-sync-retry-status-');

type SourceStatus = {
  lastError: { code: string; at: string } | null;
  failures: number;
  nextAttemptAt: string | null;
};

describe('audiencectl run whose repository cannot be fetched', () => {
  it('logs one line per failed sync, and shows the retry armed on /status and /metrics', async () => {
    const { em: emulator, root } = await spec.setUp();
    const controller = await spec.start(
      [
        ...[
          '--repo',
          path.join(root, 'nowhere.git'),
          '--allow-file-urls',
          '--state',
          path.join(root, 'state'),
        ],
        ...[
          '--work-dir',
          path.join(root, 'work'),
          '--interval',
          '1h',
          '--backoff-base',
          '1h',
          '--backoff-max',
          '2h',
        ],
      ],
      controllerEnv(emulator),
    );
    await controller.waitForLog((line) => line.msg === 'sync failed');

    // The backoff is an hour: this is the only failure the test sees.
    const failures = controller.logs.filter((line) => line['code'] === 'SOURCE_FETCH_FAILED');
    expect(failures.map((line) => line.msg)).toEqual(['sync failed']);

    const source = ((await (await fetch(`${controller.url}/status`)).json()) as { source: SourceStatus })
      .source;
    expect(source.lastError?.code).toBe('SOURCE_FETCH_FAILED');
    expect(source.failures).toBe(1);
    // The first failure waits --backoff-base, from the failure.
    expect(Date.parse(source.nextAttemptAt ?? '') - Date.parse(source.lastError?.at ?? '')).toBe(
      BACKOFF_BASE_MS,
    );
    expect(failures[0]?.['nextAttemptAt']).toBe(source.nextAttemptAt);

    const metrics = parseExposition(await (await fetch(`${controller.url}/metrics`)).text());
    expect(sampleValue(metrics, 'audiencectl_source_sync_failures')).toBe(1);
  });
});
