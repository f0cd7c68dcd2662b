import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { audienceBody, withEmulator, wrapEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// The admin endpoint (docs/emulator.md) makes an audience beside another of its name
// (duplicateName) so that name lookups that find several can be tested: "The name stays held
// by the first: deleting the duplicate frees nothing". Renaming that duplicate "from the UI"
// (PATCH /_emulator/audiences/{id} with a name) moved the first audience's hold to the new
// name: the first audience's name became free while it still bore it, so the public API
// created a second audience of it (the service never holds two audiences of one name), and
// the duplicate's new name stayed held by the first audience after the duplicate was deleted.

async function admin(emulator: TestEmulator, method: string, path: string, body?: unknown) {
  const response = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** The public create of `name` (POST /external-audience/): its status. */
async function createStatus(emulator: TestEmulator, name: string): Promise<number> {
  return (await emulator.request('POST', '/external-audience/', { body: audienceBody({ name }) })).status;
}

/** Gold made through the API, then a second Gold by the admin endpoint; the second's id. */
async function twins(emulator: TestEmulator): Promise<string> {
  await emulator.createAudience(audienceBody({ name: 'Gold' }));
  const twin = await admin(emulator, 'POST', '/audiences?sandbox=prod', {
    audience: audienceBody({ name: 'Gold' }),
    duplicateName: true,
  });
  expect(twin.status).toBe(201);
  return String(twin.body['id']);
}

describe('renaming an admin-made duplicate', () => {
  it("leaves the first audience's name held: a public create of it is 409", async () => {
    await withEmulator({ admin: true, operationDelayMs: 0 }, async (emulator) => {
      const twin = await twins(emulator);
      const renamed = await admin(emulator, 'PATCH', `/audiences/${twin}?sandbox=prod`, { name: 'Copper' });
      expect(renamed.status).toBe(200);
      expect(await createStatus(emulator, 'Gold')).toBe(409);
      expect(await createStatus(emulator, 'Copper')).toBe(409);
    });
  });

  it('gives its new name back when it is deleted', async () => {
    await withEmulator({ admin: true, operationDelayMs: 0 }, async (emulator) => {
      const twin = await twins(emulator);
      expect(
        (await admin(emulator, 'PATCH', `/audiences/${twin}?sandbox=prod`, { name: 'Copper' })).status,
      ).toBe(200);
      expect((await emulator.request('DELETE', `/external-audience/${twin}`)).status).toBe(204);
      expect(await createStatus(emulator, 'Copper')).toBe(202);
      expect(await createStatus(emulator, 'Gold')).toBe(409);
    });
  });

  it('the name stays held while the duplicate bears it, after the first is renamed or deleted', async () => {
    await withEmulator({ admin: true, operationDelayMs: 0 }, async (emulator) => {
      await twins(emulator);
      const first = emulator.control
        .listAudiences(emulator.client.orgId, 'prod')
        .find((audience) => audience.createdBy.endsWith('@techacct.adobe.com'));
      expect(first).toBeDefined();
      const renamed = await admin(emulator, 'PATCH', `/audiences/${first?.audienceId ?? ''}?sandbox=prod`, {
        name: 'Platinum',
      });
      expect(renamed.status).toBe(200);
      expect(await createStatus(emulator, 'Gold')).toBe(409);
    });
    await withEmulator({ admin: true, operationDelayMs: 0 }, async (emulator) => {
      const twin = await twins(emulator);
      const first = emulator.control
        .listAudiences(emulator.client.orgId, 'prod')
        .find((audience) => audience.audienceId !== twin);
      expect((await emulator.request('DELETE', `/external-audience/${first?.audienceId ?? ''}`)).status).toBe(
        204,
      );
      expect(await createStatus(emulator, 'Gold')).toBe(409);
    });
  });

  it('a restart knows the duplicate still bears the name: deleting the first leaves it held', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emulator-dup-holds-'));
    try {
      const before = wrapEmulator(await startEmulator({ dataDir, admin: true, operationDelayMs: 0 }));
      let twin = '';
      try {
        twin = await twins(before);
      } finally {
        await before.close();
      }
      const after = wrapEmulator(await startEmulator({ dataDir, admin: true, operationDelayMs: 0 }));
      try {
        const first = after.control
          .listAudiences(after.client.orgId, 'prod')
          .find((audience) => audience.audienceId !== twin);
        expect((await after.request('DELETE', `/external-audience/${first?.audienceId ?? ''}`)).status).toBe(
          204,
        );
        expect(await createStatus(after, 'Gold')).toBe(409);
        expect((await after.request('DELETE', `/external-audience/${twin}`)).status).toBe(204);
        expect(await createStatus(after, 'Gold')).toBe(202);
      } finally {
        await after.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
