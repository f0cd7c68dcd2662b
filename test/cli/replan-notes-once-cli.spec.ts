import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RACY_MARGIN_MS } from '../../src/manifest/read-cache.js';
import { SNAPSHOT_RACY_MARGIN_MS } from '../../src/state/snapshot.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Pass 52's left undone (store.md, 5): a plan that met a state snapshot (format 4) whose specs
 * section no longer holds an applied spec as its records' lines say is made again without it
 * (SnapshotSpecError, plan.ts); what the first attempt had said on standard error (here the
 * configuration file's warning, said as the service is read) was said a second time.
 */
const quiet = { ingestion: { onCreate: false } };
// Said as the manifests are read (src/cli/source-options.ts), before the state is.
const NOTE = 'note: 1 file(s) skipped, empty or only comments (`audiencectl validate` lists them)\n';
const WARNING =
  'Warning: credentials.clientSecret in aep.yaml: a secret written in the configuration file; prefer clientSecretEnv or clientSecretFile.\n';

describe('a plan made again without the state snapshot', () => {
  it('says its notes and warnings once', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const manifests = path.join(root, 'audiences');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        await mkdir(manifests);
        await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold', quiet));
        expect((await apply(manifests, state, env)).code).toBe(0);
        // Long enough for the snapshot to trust the records (its racy rule), then written by a plan.
        await sleep(Math.max(RACY_MARGIN_MS, SNAPSHOT_RACY_MARGIN_MS) + 100);
        const first = await runCli(['plan', manifests, '--state', state], { env });
        expect(first.stdout).toContain('No changes.');
        // gold's applied spec in the specs section, no longer as its line's digest says.
        const snapshot = path.join(state, 'state-snapshot.jsonl');
        const text = await readFile(snapshot, 'utf8');
        expect(text.split('\n', 1)[0], 'premise: a snapshot of format 4').toContain(
          '"format":"audiencectl-state-snapshot/4"',
        );
        const specsAt = text.lastIndexOf('{"name":"Audience gold"');
        expect(specsAt).toBeGreaterThan(0);
        await writeFile(
          snapshot,
          text.slice(0, specsAt) + text.slice(specsAt).replace('About gold', 'About gol!'),
        );
        await writeFile(
          path.join(manifests, 'gold.yaml'),
          manifestYaml('gold', { spec: { description: 'Gold, changed' }, ...quiet }),
        );
        // A file the manifests' read notes (each attempt reads them).
        await writeFile(path.join(manifests, 'later.yaml'), '# an audience to come\n');
        // The service read (--refresh) through a configuration file that warns.
        const config = [
          'credentials:',
          `  clientId: ${env.AEP_CLIENT_ID}`,
          `  orgId: ${env.AEP_ORG_ID}`,
          `  clientSecret: ${env.AEP_CLIENT_SECRET}`,
          `baseUrl: ${env.AEP_BASE_URL}`,
          `imsUrl: ${env.AEP_IMS_URL}`,
          '',
        ];
        await writeFile(path.join(root, 'aep.yaml'), config.join('\n'));
        const planned = await runCli(
          ['plan', manifests, '--state', state, '--refresh', '--config', 'aep.yaml'],
          {
            cwd: root,
          },
        );
        expect(planned.code).toBe(0);
        // Made from the records: the spec as applied, not as the spoiled section says.
        expect(planned.stdout).toContain('~ description: "About gold" -> "Gold, changed"');
        expect(planned.stderr).toBe(NOTE + WARNING);
      }),
    );
  });
});
