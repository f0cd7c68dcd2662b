import { describe, expect, it } from 'vitest';
import { verifyImport } from '../../src/cli/import-verify.js';
import type { AepHttpClient } from '../../src/aep/client.js';
import type { LiveAudience } from '../../src/aep/segment-types.js';
import { clientFor } from '../aep/helpers.js';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';

const UNKNOWN = '0fe00000-0000-4000-8000-00000000abcd';

describe('state import checks the id through the service (in-process emulator)', () => {
  const emulator = useEmulator({ operationDelayMs: 1 });
  // Fast retries: a 500 is retried once, then the import fails.
  const client = (): AepHttpClient =>
    clientFor(emulator(), { retry: { limit: 1, baseDelayMs: 1, maxDelayMs: 2 } });

  it('accepts an external audience of the manifest name, in one GET', async () => {
    const id = await emulator().createAudience(audienceBody({ name: 'Gold members' }));
    const before = emulator().control.counters().byEndpoint.getAudience?.requests ?? 0;
    const line = await verifyImport(client(), {
      sandbox: 'prod',
      key: 'gold',
      audienceId: id,
      name: 'Gold members',
    });
    expect(line).toBe(
      `Verified through the service: audience ${id} is the external audience "Gold members".`,
    );
    expect(emulator().control.counters().byEndpoint.getAudience?.requests).toBe(before + 1);
  });

  it('refuses another name, an unknown id, and a failed call, each in one line', async () => {
    const id = await emulator().createAudience(audienceBody({ name: 'Silver members' }));
    await expect(
      verifyImport(client(), { sandbox: 'prod', key: 'gold', audienceId: id, name: 'Gold members' }),
    ).rejects.toMatchObject({
      code: 'STATE_IMPORT_NAME_MISMATCH',
      message: `audience ${id} is named "Silver members", but the manifest of prod/gold names "Gold members"; nothing was imported`,
    });
    await expect(
      verifyImport(client(), { sandbox: 'prod', key: 'gold', audienceId: UNKNOWN, name: 'Gold members' }),
    ).rejects.toMatchObject({
      code: 'STATE_IMPORT_NOT_FOUND',
      message: `audience ${UNKNOWN} does not exist in sandbox prod (the Audiences API answered 404); nothing was imported`,
    });
    // Another sandbox does not hold it either.
    await expect(
      verifyImport(client(), { sandbox: 'dev', key: 'gold', audienceId: id, name: 'Silver members' }),
    ).rejects.toMatchObject({ code: 'STATE_IMPORT_NOT_FOUND' });

    emulator().control.queueFault({ kind: 'error500', endpoint: 'getAudience', count: 10 });
    const failed = verifyImport(client(), {
      sandbox: 'prod',
      key: 'gold',
      audienceId: id,
      name: 'Silver members',
    });
    await expect(failed).rejects.toMatchObject({ code: 'STATE_IMPORT_UNVERIFIED' });
    await expect(failed).rejects.toThrow(
      /^cannot check audience .* through the service \(.*\); nothing was imported$/,
    );
    emulator().control.clearFaults();
  });

  it('refuses another namespace, as adoption does: it cannot be changed in place', async () => {
    // Review 7, M3: imported, the plan never compares the namespace again, and a later change
    // of a fixed property would plan the replace of an audience audiencectl did not create.
    const id = await emulator().createAudience(
      audienceBody({ name: 'Bronze members', namespace: 'OtherNs' }),
    );
    const claim = { sandbox: 'prod', key: 'bronze', audienceId: id, name: 'Bronze members' };
    await expect(
      verifyImport(client(), { ...claim, namespace: 'CustomerAudienceUpload' }),
    ).rejects.toMatchObject({
      code: 'STATE_IMPORT_NAMESPACE_MISMATCH',
      message: `audience ${id} has namespace "OtherNs", but the manifest of prod/bronze names "CustomerAudienceUpload" (a namespace cannot be changed in place): set spec.namespace: OtherNs in the manifest, or give it another spec.name; nothing was imported`,
    });
    await expect(verifyImport(client(), { ...claim, namespace: 'OtherNs' })).resolves.toBe(
      `Verified through the service: audience ${id} is the external audience "Bronze members".`,
    );
  });

  it('refuses an audience that is not external', async () => {
    const segment = {
      findAudiencesByName: () => Promise.resolve([]),
      // A segment definition, as the Audiences API lists it (the emulator holds external ones only).
      getAudience: () =>
        Promise.resolve<LiveAudience>({
          id: UNKNOWN,
          name: 'Gold members',
          type: 'SegmentDefinition',
          originName: 'SEGMENTATION',
          audienceId: undefined,
          description: undefined,
          namespace: undefined,
          labels: undefined,
          ttlInDays: undefined,
          lifecycleState: undefined,
          createdBy: undefined,
          createEpoch: undefined,
          updateEpoch: undefined,
          creationTime: undefined,
          updateTime: undefined,
          _etag: undefined,
        }),
    };
    await expect(
      verifyImport(segment, { sandbox: 'prod', key: 'gold', audienceId: UNKNOWN, name: 'Gold members' }),
    ).rejects.toMatchObject({
      code: 'STATE_IMPORT_NOT_EXTERNAL',
      message: `audience ${UNKNOWN} in sandbox prod is not an external audience (origin SEGMENTATION, type SegmentDefinition); audiencectl manages external audiences only; nothing was imported`,
    });
  });
});
