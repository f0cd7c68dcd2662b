import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../../src/emulator/index.js';
import type { ObservedRequest } from '../../../src/emulator/context.js';
import { manifestYaml } from '../../helpers/manifests.js';
import { controllerEnv, type ControllerProcess, type LogLine } from './controller.js';
import { statusWhen, type Applied, type ControllerSpec } from './controller-spec.js';

/** What `startedOnSpoiledStore` gives a run-ready-state-* spec. */
export type SpoiledStore = {
  controller: ControllerProcess;
  /** The emulator's requests other than GETs since just before `controller` started. */
  writes: ObservedRequest[];
  /** silver's description in the emulator's prod (undefined while there is no silver). */
  silverDescription: () => string | undefined;
};

type Ready = { status: number; body: { ready: boolean; reason?: string } };

async function readyz(url: string): Promise<Ready> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

/**
 * The opening of the run-ready-state-* specs, once the spec has spoiled the store that
 * `appliedByFirstController` left with gold and silver: silver's manifest changed (the step a
 * controller must not take while it cannot use its store), the emulator's requests other than
 * GETs collected, and the next controller started on `applied.args` with short back-offs (as
 * user and group `as`, when given). Resolves once two passes (the startup pass and a retry)
 * failed with `code`.
 */
export async function startedOnSpoiledStore(
  spec: ControllerSpec,
  { em, dir, args }: Applied,
  code: string,
  as?: { uid?: number; gid?: number },
): Promise<SpoiledStore> {
  await writeFile(
    path.join(dir, 'silver.yaml'),
    manifestYaml('silver', { spec: { description: 'Silver, changed' }, ingestion: { onCreate: false } }),
  );
  const writes: ObservedRequest[] = [];
  em.control.observeRequests((request) => {
    if (request.method !== 'GET') writes.push(request);
  });
  const controller = await spec.start(
    [...args, '--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
    controllerEnv(em),
    { as },
  );
  const failed = (line: LogLine) => line.msg === 'reconcile failed' && line['code'] === code;
  await controller.waitForLog(() => controller.logs.filter(failed).length >= 2);
  return { controller, writes, silverDescription: () => silverIn(em)?.description };
}

function silverIn(em: RunningEmulator) {
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === 'Audience silver');
}

/**
 * What a controller that cannot use its store shows: /readyz 503 with one line matching
 * `reason`, the same readiness on /status with its last error `code`, no request to the service
 * but reads, and silver as it was. Returns the reason, for the spec's own checks of it.
 */
export async function expectUnready(
  { controller, writes, silverDescription }: SpoiledStore,
  code: string,
  reason: RegExp,
): Promise<string> {
  const unready = await readyz(controller.url);
  expect(unready.status).toBe(503);
  expect(unready.body.ready).toBe(false);
  expect(unready.body.reason).toMatch(reason);
  expect(unready.body.reason).not.toContain('\n');
  const status = await controller.status();
  expect(status.readiness).toEqual({ ready: false, reason: unready.body.reason });
  expect(status.reconcile.lastError?.code).toBe(code);
  expect(writes).toEqual([]);
  expect(silverDescription()).toBe('About silver');
  return unready.body.reason ?? '';
}

/**
 * The end of the run-ready-state-* specs, once the spec has mended the store: a pass succeeds
 * (`what`, waited for), the controller is ready on /status and /readyz, and silver is changed.
 */
export async function expectReadyAgain(
  { controller, silverDescription }: SpoiledStore,
  what: string,
): Promise<void> {
  const mended = await statusWhen(controller, (s) => s.reconcile.lastResult === 'success', what);
  expect(mended.readiness).toEqual({ ready: true });
  expect(await readyz(controller.url)).toEqual({ status: 200, body: { ready: true } });
  expect(silverDescription()).toBe('Silver, changed');
}
