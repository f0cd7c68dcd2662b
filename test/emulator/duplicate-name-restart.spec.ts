import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, startEmulator } from '../../src/emulator/index.js';
import { audienceBody, wrapEmulator } from '../helpers/with-emulator.js';

// An audience made beside another of its name (POST /_emulator/audiences with duplicateName,
// docs/emulator.md: "The name stays held by the first: deleting the duplicate frees nothing")
// came to hold the name itself after a restart with a data directory (the holds were rebuilt
// from the audiences, the last one winning): deleting it freed the name, and a public create
// made a second audience named as the first, which still existed. The service never does.

describe('a duplicate name across a restart', () => {
  let dataDir = '';
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emulator-dup-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('deleting the duplicate after a restart still frees nothing: a create of the name is 409', async () => {
    const first = wrapEmulator(await startEmulator({ dataDir, operationDelayMs: 0 }));
    const original = await first.createAudience(audienceBody({ name: 'Twin' }));
    const duplicate = first.control.uiCreateAudience(
      DEMO_CLIENT.orgId,
      'prod',
      audienceBody({ name: 'Twin' }),
      'colleague@AdobeID',
      { duplicateName: true },
    ).id;
    await first.close();

    const second = wrapEmulator(await startEmulator({ dataDir, operationDelayMs: 0 }));
    try {
      expect((await second.request('DELETE', `/external-audience/${duplicate}`)).status).toBe(204);
      const created = await second.request('POST', '/external-audience/', {
        body: audienceBody({ name: 'Twin' }),
      });
      expect(created.status).toBe(409);
      expect(second.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([
        expect.objectContaining({ audienceId: original, audienceName: 'Twin' }),
      ]);
    } finally {
      await second.close();
    }
  });
});
