import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState } from '../helpers/planning.js';
import { useTempDirs } from '../state/helpers.js';

// Review verify-44 M-2, of 6eaa9179: the client secret may now come from AEP_CLIENT_SECRET_FILE,
// as the chart gives it. Every command registers AEP_CLIENT_SECRET for scrubbing at start
// (run-cli.ts): plan without --refresh and the state commands never load the credentials, and a
// record an older release wrote may quote the secret (old-failure-reason.spec.ts). The secret
// of AEP_CLIENT_SECRET_FILE was registered by nothing there: printed as the record held it.

const CLIENT_SECRET = 'cs-F1le-0ld-Rec0rd-9d2c';
const RAW = `Ingestion failed: the loader answered 403 (client ${CLIENT_SECRET})`;
const MANIFEST = manifestYaml('gold', { ingestion: { onCreate: true } });
const tempDir = useTempDirs();

describe('a client secret given as AEP_CLIENT_SECRET_FILE, quoted by a record an older release wrote', () => {
  it('is scrubbed by plan (no --refresh) and by state show', async () => {
    const root = await tempDir();
    const manifests = path.join(root, 'manifests');
    mkdirSync(manifests);
    writeFileSync(path.join(manifests, 'gold.yaml'), MANIFEST);
    const [record] = appliedState(loadTexts({ 'gold.yaml': MANIFEST })).audiences;
    record!.runs = [{ ...record!.runs[0]!, status: 'FAILED', failureReason: RAW }];
    const state = path.join(root, 'state');
    mkdirSync(path.join(state, 'audiences', 'prod'), { recursive: true });
    writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 3 }));
    writeFileSync(recordPath(state, 'prod', 'gold'), JSON.stringify(record));
    const secretFile = path.join(root, 'client-secret');
    writeFileSync(secretFile, `${CLIENT_SECRET}\n`);
    const env = { AEP_CLIENT_SECRET: undefined, AEP_CLIENT_SECRET_FILE: secretFile };

    const planned = await runCliInProcess(['plan', manifests, '--state', state, '--sandbox', 'prod'], {
      env,
    });
    expect(planned.code).toBe(0);
    expect(planned.stdout + planned.stderr).toContain('FAILED: Ingestion failed: the loader answered 403');
    expect(planned.stdout + planned.stderr).not.toContain(CLIENT_SECRET);

    const shown = await runCliInProcess(['state', 'show', 'gold', '--state', state, '--sandbox', 'prod'], {
      env,
    });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Ingestion failed: the loader answered 403');
    expect(shown.stdout + shown.stderr).not.toContain(CLIENT_SECRET);
  });
});
