import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  clientSecretRotation,
  NEW_SECRET as NEW,
  OLD_SECRET as OLD,
  ROTATING_CLIENT as CLIENT,
} from './helpers/client-secret-rotation.js';
import { assertBuilt, cleanUp, type TestParts } from './helpers/controller.js';

// Review secrets-44 (last pass's leftover 2). Without a configuration file the client secret is
// AEP_CLIENT_SECRET, which the chart sets from its Secret (secretKeyRef) and a running pod never
// sees change: rotated as Adobe Developer Console has it done (add a new secret, put it in the
// Secret, delete the old one), the controller keeps the old one, and once its token expires IMS
// refuses every renewal and every pass fails until a restart. A secret given as a file
// (AEP_CLIENT_SECRET_FILE, a mounted Secret's key) should be read again when IMS refuses it, as
// a configuration file's clientSecretFile is (198e4679), the secrets never shown.

let parts: TestParts = {};

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

describe('AEP_CLIENT_SECRET_FILE (review secrets-44, leftover 2)', () => {
  it('is read again when IMS refuses the secret: a rotated secret is used without a restart', async () => {
    const { status, shown } = await clientSecretRotation(parts, ({ secretFile, client }) =>
      Promise.resolve({
        args: [],
        env: { AEP_CLIENT_ID: client.clientId, AEP_ORG_ID: client.orgId, AEP_CLIENT_SECRET_FILE: secretFile },
      }),
    );
    expect(JSON.stringify(status.reconcile.lastError)).toBe('null');
    expect(status.audiences.find((a) => a.key === 'silver')?.state).toBe('in-sync');
    expect(shown).not.toContain(OLD);
    expect(shown).not.toContain(NEW);
  });

  it('given with AEP_CLIENT_SECRET too is refused in one line naming both, neither secret shown', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-secret-rotate-'));
    parts.dir = root;
    const secretFile = path.join(root, 'client-secret');
    await writeFile(secretFile, `${NEW}\n`);
    const result = await runCli(['apply', root, '--state', path.join(root, 'state'), '--auto-approve'], {
      env: {
        AEP_CLIENT_ID: CLIENT.clientId,
        AEP_ORG_ID: CLIENT.orgId,
        AEP_CLIENT_SECRET: OLD,
        AEP_CLIENT_SECRET_FILE: secretFile,
      },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      'AEP_CLIENT_SECRET_FILE: give the client secret either with AEP_CLIENT_SECRET_FILE or AEP_CLIENT_SECRET, not both',
    );
    expect(result.stdout + result.stderr).not.toContain(OLD);
    expect(result.stdout + result.stderr).not.toContain(NEW);
  });
});
