import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventually, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec, startedOnDir } from './helpers/controller-spec.js';
import { parseExposition } from './helpers/prom-text.js';

/**
 * Review 41 (controller-41), F-3. docs/controller.md: `audiencectl_run_budget_remaining`
 * is per sandbox, "ingestion runs the daily budget still allows". A sandbox whose last manifest
 * is removed (its audiences deleted) keeps its series on /metrics at the value of its last pass
 * for as long as the controller runs: a dashboard and an alert still see a sandbox the controller
 * no longer manages, as a Prometheus user expects of a vanished series it should drop.
 */
const spec = controllerSpec('audiencectl-review-41-budget-');

const budgetSeries = async (url: string) =>
  parseExposition(await (await fetch(`${url}/metrics`)).text())
    .samples.filter((s) => s.name === 'audiencectl_run_budget_remaining')
    .map((s) => `${s.labels['sandbox']} ${s.value}`)
    .sort();

describe('run: the run budget gauge of a sandbox left without manifests', () => {
  it('drops the series once the sandbox has no manifest and no audience', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    const noRun = { ingestion: { onCreate: false } };
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { ...noRun, metadata: { sandbox: 'dev' } }),
    );
    const ctl = await startedOnDir(spec, { em, root, dir });
    await eventually(
      () => budgetSeries(ctl.url),
      (series) => series.length === 2,
      20_000,
      'both sandboxes measured',
    );
    expect(await budgetSeries(ctl.url)).toEqual(['dev 100', 'prod 100']);

    await rm(path.join(dir, 'silver.yaml'));
    await eventually(
      () => em.control.listAudiences(DEMO_CLIENT.orgId, 'dev').length,
      (n) => n === 0,
      20_000,
      "dev's audience deleted",
    );
    // The pass that deleted it has published its figures.
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.audiences.length === 1 && s.reconcile.lastResult === 'success',
      20_000,
      'the pass finished',
    );
    expect(await budgetSeries(ctl.url), 'dev still on /metrics at its last value').toEqual(['prod 100']);
  });
});
