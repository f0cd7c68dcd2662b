import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { lockPath } from '../../src/state/paths.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventually, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Far more audiences than the controller lets through per sandbox (8): most calls are queued at SIGTERM.
const NAMES = Array.from({ length: 20 }, (_, i) => `audience-${String(i).padStart(2, '0')}`);
const GRACE_MS = 5_000;

const spec = controllerSpec('audiencectl-run-');

describe('audiencectl run on SIGTERM', () => {
  it('exits within the grace period mid-apply; the next start resumes with nothing duplicated', async () => {
    const { em: emulator, root: stateRoot } = await spec.setUp({ latencyMs: 250 });
    const fixture = await spec.gitFixture();
    const files: Record<string, string> = {};
    for (const name of NAMES) files[`${name}.yaml`] = manifestYaml(name, { ingestion: { onCreate: false } });
    await fixture.commit(files);
    const args = [
      ...['--repo', fixture.bare, '--allow-file-urls', '--work-dir', fixture.workDir],
      ...['--state', path.join(stateRoot, 'state'), '--interval', '1s', '--shutdown-grace', `${GRACE_MS}ms`],
    ];
    const env = controllerEnv(emulator);

    let controller = await spec.start(args, env);
    // Mid-apply: the first creates were answered, others are on the wire or queued.
    const em = emulator;
    await eventually(
      () => em.control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length,
      (n) => n > 0,
      10_000,
      'a first create',
    );
    const first = await controller.stop('SIGTERM');
    // Exit 0 is the controller's own word that it stopped within the grace period (it exits 1
    // when the stop overran it); no call had to be cut short by the grace period's end.
    expect(first.code).toBe(0);
    expect(controller.logs.some((line) => line.msg?.startsWith('grace period ending'))).toBe(false);
    expect(controller.logs.some((line) => line.msg === 'stopped')).toBe(true);
    expect(controller.logs.some((line) => line.msg === 'step not started: stopping')).toBe(true);
    await expect(access(lockPath(path.join(stateRoot, 'state')))).rejects.toThrow(/ENOENT/);
    // The creates on the wire finished; the ones still queued were never sent.
    const sent = emulator.control.counters().byEndpoint.createAudience.requests;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(NAMES.length);

    emulator.control.setLatency(0);
    controller = await spec.start(args, env);
    const ctl = controller;
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.audiences.length === NAMES.length && s.audiences.every((a) => a.state === 'in-sync'),
      15_000,
      'every audience in sync',
    );
    const remote = emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    expect(remote.map((a) => a.audienceName).sort()).toEqual(NAMES.map((n) => `Audience ${n}`));
    expect(new Set(status.audiences.map((a) => a.audienceId))).toEqual(
      new Set(remote.map((a) => a.audienceId)),
    );
    // Each create was sent once: the interrupted ones were resumed from their operation.
    const creates = emulator.control.counters().byEndpoint.createAudience;
    expect(creates.byStatus['409'] ?? 0).toBe(0);
    expect(creates.requests).toBe(NAMES.length);
    expect((await ctl.stop()).code).toBe(0);
  });
});
