import { describe, expect, it } from 'vitest';
import { find, helmBinaries, MINIMAL_VALUES, template, type K8sObject } from './helm.js';

/**
 * chart-44 (review). The ServiceMonitor selects Services by the chart's selector labels, and the
 * `helm test` hook's headless Service of the pods ready or not (`<fullname>-pods`) carries
 * them too. While it exists Prometheus scrapes every pod twice, under two `service` (and
 * `job`) labels: a `sum(rate(audiencectl_steps_total[5m]))` doubles. A failed `helm test`
 * leaves it (hook-succeeded deletes it only on success) until the next test: the doubled
 * series last. The ServiceMonitor selects the release's own Service alone.
 */
function selects(selector: Record<string, string>, object: K8sObject): boolean {
  const labels = object.metadata.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe.each(helmBinaries())('helm $major: what the ServiceMonitor scrapes', (bin) => {
  it.concurrent("selects the release's Service, not the helm test's Service of the pods", async () => {
    const result = await template(bin, { values: { ...MINIMAL_VALUES, serviceMonitor: { enabled: true } } });
    expect(result.stderr).toBe('');
    const monitor = find(result.objects, 'ServiceMonitor');
    const selector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector
      .matchLabels;
    const services = result.objects.filter((object) => object.kind === 'Service');
    expect(services.map((service) => service.metadata.name).sort()).toEqual([
      'audiencectl',
      'audiencectl-pods',
    ]);
    expect(
      services.filter((service) => selects(selector, service)).map((service) => service.metadata.name),
    ).toEqual(['audiencectl']);
  });
});
