import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientSecretRotation, NEW_SECRET, OLD_SECRET } from './helpers/client-secret-rotation.js';
import { assertBuilt, cleanUp, type TestParts } from './helpers/controller.js';

// Review secrets-43 M-2 (last pass's known gap 3, the AEP client secret). A configuration file's
// `clientSecretFile` (a mounted Secret) is read once, when the controller starts. Rotating the
// client secret as Adobe Developer Console has it done (add a new secret, put it in the Secret,
// delete the old one) leaves the running controller with the old one: once its token expires
// IMS refuses every renewal (401 invalid_client) and every pass fails until a restart. The file
// should be read again when IMS refuses the secret, and the pass go on, the secrets never shown.

let parts: TestParts = {};

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

describe("a configuration file's clientSecretFile (review secrets-43, gap 3)", () => {
  it('is read again when IMS refuses the secret: a rotated secret is used without a restart', async () => {
    const { status, shown } = await clientSecretRotation(parts, async ({ root, secretFile, client }) => {
      const config = path.join(root, 'aep.yaml');
      await writeFile(
        config,
        [
          'credentials:',
          `  clientId: ${client.clientId}`,
          `  orgId: ${client.orgId}`,
          `  clientSecretFile: ${secretFile}`,
          '',
        ].join('\n'),
      );
      return { args: ['--config', config], env: {} };
    });
    expect(JSON.stringify(status.reconcile.lastError)).toBe('null');
    expect(status.audiences.find((a) => a.key === 'silver')?.state).toBe('in-sync');
    expect(shown).not.toContain(OLD_SECRET);
    expect(shown).not.toContain(NEW_SECRET);
  });
});
