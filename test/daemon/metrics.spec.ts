import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/daemon/metrics.js';
import { parseExposition, sampleValue } from './helpers/prom-text.js';

describe('daemon metrics', () => {
  it('exposes every controller metric as valid Prometheus text', async () => {
    const metrics = createMetrics();
    metrics.reconcileDuration.observe({ result: 'success' }, 0.3);
    metrics.reconcileDuration.observe({ result: 'success' }, 12);
    metrics.steps.inc({ kind: 'create', result: 'ok' });
    metrics.steps.inc({ kind: 'create', result: 'ok' });
    metrics.steps.inc({ kind: 'patch', result: 'failed' });
    metrics.apiRequests.inc({ endpoint: 'POST /external-audience/', status: '202' });
    metrics.queueDepth.set(4);
    metrics.rateLimitWaits.inc({ reason: 'retry-after' });
    metrics.runBudgetRemaining.set({ sandbox: 'prod' }, 97);
    metrics.recordSync('0123abc', new Date('2026-01-02T03:04:05Z'));

    expect(metrics.registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(await metrics.registry.metrics());
    expect(exposition.types.get('audiencectl_reconcile_duration_seconds')).toBe('histogram');
    expect(exposition.types.get('audiencectl_steps_total')).toBe('counter');
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(exposition, name, labels);
    expect(v('audiencectl_reconcile_duration_seconds_count', { result: 'success' })).toBe(2);
    expect(v('audiencectl_reconcile_duration_seconds_bucket', { result: 'success', le: '0.5' })).toBe(1);
    expect(v('audiencectl_reconcile_duration_seconds_bucket', { result: 'success', le: '+Inf' })).toBe(2);
    expect(v('audiencectl_steps_total', { kind: 'create', result: 'ok' })).toBe(2);
    expect(v('audiencectl_steps_total', { kind: 'patch', result: 'failed' })).toBe(1);
    expect(v('audiencectl_api_requests_total', { endpoint: 'POST /external-audience/', status: '202' })).toBe(
      1,
    );
    expect(v('audiencectl_queue_depth')).toBe(4);
    expect(v('audiencectl_rate_limit_waits_total', { reason: 'retry-after' })).toBe(1);
    expect(v('audiencectl_run_budget_remaining', { sandbox: 'prod' })).toBe(97);
    expect(v('audiencectl_last_successful_sync_timestamp_seconds')).toBe(1767323045);
    expect(v('audiencectl_source_revision_info', { revision: '0123abc' })).toBe(1);
    // Default process metrics are on the same registry.
    expect(v('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(v('nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
  });

  it('keeps a single revision series', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordSync('first');
    metrics.recordSync('second');
    const revisions = parseExposition(await metrics.registry.metrics()).samples.filter(
      (s) => s.name === 'audiencectl_source_revision_info',
    );
    expect(revisions).toEqual([
      { name: 'audiencectl_source_revision_info', labels: { revision: 'second' }, value: 1 },
    ]);
  });

  it('uses its own registry, so two instances do not collide', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.queueDepth.set(1);
    b.queueDepth.set(2);
    expect(sampleValue(parseExposition(await a.registry.metrics()), 'audiencectl_queue_depth')).toBe(1);
    expect(sampleValue(parseExposition(await b.registry.metrics()), 'audiencectl_queue_depth')).toBe(2);
  });

  it('has no AEP clock offset sample until one is measured, then the latest', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const offsets = async () =>
      parseExposition(await metrics.registry.metrics()).samples.filter(
        (s) => s.name === 'audiencectl_aep_clock_offset_seconds',
      );
    expect(await offsets()).toEqual([]);
    metrics.recordClockOffset(-93_600);
    metrics.recordClockOffset(2);
    expect(await offsets()).toEqual([{ name: 'audiencectl_aep_clock_offset_seconds', labels: {}, value: 2 }]);
  });

  it('has a parser that rejects malformed exposition', () => {
    expect(() => parseExposition('# TYPE x counter\nx 1')).toThrow(/newline/);
    expect(() => parseExposition('y 1\n')).toThrow(/without a TYPE/);
    expect(() => parseExposition('# TYPE x counter\nx{a="1} 1\n')).toThrow(/not a sample/);
    expect(() => parseExposition('# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() => parseExposition('# TYPE x widget\n')).toThrow(/bad type/);
  });
});
