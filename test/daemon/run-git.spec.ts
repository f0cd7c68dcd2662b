import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import type { GitFixture } from '../source/helpers/git-fixture.js';
import { controllerEnv, eventually, eventuallyLogged, type ControllerProcess } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';
import { parseExposition, sampleValue } from './helpers/prom-text.js';

const noRun = { ingestion: { onCreate: false } };

const spec = controllerSpec('audiencectl-run-');

function audiences(em: RunningEmulator) {
  return em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
}

function requests(
  em: RunningEmulator,
  endpoint: 'createAudience' | 'patchAudience' | 'deleteAudience',
): number {
  return em.control.counters().byEndpoint[endpoint].requests;
}

async function setup(
  interval: string,
  extra: string[] = [],
): Promise<[RunningEmulator, GitFixture, ControllerProcess]> {
  const { em, root } = await spec.setUp();
  const repo = await spec.gitFixture();
  await repo.commit({ 'audiences/README.md': 'Audiences managed by audiencectl.\n' });
  const args = [
    ...['--repo', repo.bare, '--allow-file-urls', '--branch', 'main', '--path', 'audiences'],
    ...['--work-dir', repo.workDir, '--state', path.join(root, 'state'), '--interval', interval],
    ...extra,
  ];
  return [em, repo, await spec.start(args, controllerEnv(em))];
}

describe('audiencectl run against a git repository', () => {
  it('creates, PATCHes and deletes as commits are pushed; holds an invalid file', async () => {
    const [em, repo, ctl] = await setup('1s');
    await eventuallyLogged(
      [ctl],
      () => fetch(`${ctl.url}/readyz`).then((r) => r.status),
      (s) => s === 200,
    );

    // Added.
    const pushed = Date.now();
    await repo.commit({
      'audiences/gold.yaml': manifestYaml('gold', noRun),
      'audiences/silver.yaml': manifestYaml('silver', noRun),
    });
    await eventually(
      () => audiences(em).length,
      (n) => n === 2,
      20_000,
      'two audiences',
    );
    expect(requests(em, 'createAudience')).toBe(2);

    // Changed: PATCHed, not re-created.
    await repo.commit({
      'audiences/gold.yaml': manifestYaml('gold', { ...noRun, spec: { description: 'Gold, revised' } }),
    });
    const gold = await eventually(
      () => audiences(em).find((a) => a.audienceName === 'Audience gold'),
      (a) => a?.description === 'Gold, revised',
      20_000,
      'the PATCH',
    );
    expect(requests(em, 'patchAudience')).toBe(1);
    expect(requests(em, 'createAudience')).toBe(2);

    // Invalid: reported in /status, nothing deleted.
    const broken = manifestYaml('silver', noRun).replace('description:', 'descripton:');
    const brokenSha = await repo.commit({ 'audiences/silver.yaml': broken });
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === brokenSha,
      20_000,
      'the broken revision',
    );
    expect(status.diagnostics.some((d) => d.file.endsWith('silver.yaml') && d.severity === 'error')).toBe(
      true,
    );
    const silver = status.audiences.find((a) => a.key === 'silver');
    expect(silver).toMatchObject({ state: 'blocked', lastError: { code: 'MANIFEST_INVALID' } });
    expect(status.audiences.find((a) => a.key === 'gold')).toMatchObject({
      state: 'in-sync',
      audienceId: gold?.audienceId,
    });
    expect(audiences(em)).toHaveLength(2);
    expect(requests(em, 'deleteAudience')).toBe(0);

    // Deleted: the manifest is removed, so is the audience.
    const deletion = await repo.commit({ 'audiences/gold.yaml': null });
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === deletion,
      20_000,
      'the deletion',
    );
    expect(audiences(em).map((a) => a.audienceName)).toEqual(['Audience silver']);
    expect(requests(em, 'deleteAudience')).toBe(1);

    // The plan and the metrics of all that.
    const plan = await fetch(`${ctl.url}/plan`);
    expect(plan.headers.get('content-type')).toMatch(/^text\/markdown/);
    const metrics = await fetch(`${ctl.url}/metrics`).then((r) => r.text());
    const exposition = parseExposition(metrics);
    for (const name of [
      'audiencectl_reconcile_duration_seconds',
      'audiencectl_steps_total',
      'audiencectl_api_requests_total',
      'audiencectl_queue_depth',
      'audiencectl_rate_limit_waits_total',
      'audiencectl_run_budget_remaining',
      'audiencectl_last_successful_sync_timestamp_seconds',
      'audiencectl_source_revision_info',
      'process_resident_memory_bytes',
    ]) {
      expect(exposition.types.has(name), name).toBe(true);
    }
    expect(sampleValue(exposition, 'audiencectl_steps_total', { kind: 'create', result: 'ok' })).toBe(2);
    expect(sampleValue(exposition, 'audiencectl_steps_total', { kind: 'update', result: 'ok' })).toBe(1);
    expect(sampleValue(exposition, 'audiencectl_steps_total', { kind: 'delete', result: 'ok' })).toBe(1);
    expect(
      sampleValue(exposition, 'audiencectl_api_requests_total', {
        endpoint: 'createAudience',
        status: '202',
      }),
    ).toBe(2);
    expect(sampleValue(exposition, 'audiencectl_run_budget_remaining', { sandbox: 'prod' })).toBe(100);
    expect(sampleValue(exposition, 'audiencectl_last_successful_sync_timestamp_seconds')).toBeGreaterThan(
      pushed / 1000,
    );

    // Every reconcile line carries the revision; every step line the sandbox and key too.
    const stepLines = ctl.logs.filter((l) => l.msg === 'step finished');
    expect(stepLines.length).toBeGreaterThanOrEqual(4);
    for (const line of stepLines) {
      expect(line['revision']).toMatch(/^[0-9a-f]{40}$/);
      expect(line).toMatchObject({
        sandbox: 'prod',
        key: expect.stringMatching(/^(gold|silver)$/) as unknown,
      });
    }
    expect(JSON.stringify(ctl.logs)).not.toContain(DEMO_CLIENT.clientSecret);

    const stopped = await ctl.stop();
    expect(stopped.code).toBe(0);
  });
});
