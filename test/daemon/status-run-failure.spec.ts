import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody } from '../helpers/with-emulator.js';
import { withInProcessController } from './helpers/in-process.js';

/** The emulator's reason for an injected run failure (its fault table, written out here). */
const REASON = 'Profile ingestion failed (injected runFailure fault).';
const NEXT = 'change ingestion.request to start a new run';

describe('the controller: a failed ingestion run on /status', () => {
  it('shows the reason and what to do next, also once the audience is otherwise in sync', async () => {
    await withInProcessController({}, async ({ emulator, dir, stateDir, reconciler, status, logs }) => {
      emulator.control.queueFault({ kind: 'runFailure' });
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: true } }));
      reconciler.trigger('startup');
      await reconciler.settled();
      const failedStep = logs.find((line) => line.msg === 'step failed');
      expect(failedStep?.['message']).toContain(`FAILED: ${REASON}; ${NEXT}`);

      // A later pass has nothing to do for gold; /status still says why its last run failed.
      reconciler.trigger('resync');
      await reconciler.settled();
      const gold = (await status()).audiences.find((a) => a.key === 'gold');
      const runId = (await new FileStateStore(stateDir).get('prod', 'gold'))?.runs[0]?.runId;
      expect(gold?.lastRunFailure).toEqual({ runId, reason: REASON, next: NEXT });
      expect((await status()).plan?.summary).toMatchObject({ run: 0, create: 0 });
    });
  });
});

describe('the controller: the refused first PATCH of an imported audience on /status', () => {
  it('in dry-run, names the audience, what AEP refused and the ways out, and no secret', async () => {
    await withInProcessController(
      { dryRun: true },
      async ({ emulator, dir, stateDir, reconciler, status }) => {
        // Made in the UI with only email; the manifest lists email and tier.
        const onlyEmail = { fields: [{ name: 'email', type: 'string', identityNs: 'email' }] };
        const { id } = emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          audienceBody({ name: 'Audience gold', ...onlyEmail }),
          'colleague@AdobeID',
        );
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false } }),
        );
        await mkdir(stateDir);
        const env = emulatorEnv(emulator);
        const flags = ['--state', stateDir];
        const imported = await runCliInProcess(
          ['state', 'import', 'gold', dir, '--audience-id', id, ...flags],
          { env },
        );
        expect(imported.code).toBe(0);
        // An apply by hand: AEP refuses the first PATCH of its fields, recorded.
        const applied = await runCliInProcess(['apply', dir, ...flags, '--auto-approve'], { env });
        expect(applied.code).toBe(3);
        expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);

        reconciler.trigger('startup');
        await reconciler.settled();
        const gold = (await status()).audiences.find((a) => a.key === 'gold');
        expect(gold).toMatchObject({ sandbox: 'prod', key: 'gold', state: 'blocked', audienceId: id });
        expect(gold?.lastError?.code).toBe('STEP_BLOCKED');
        const message = gold?.lastError?.message ?? '';
        expect(message).toMatch(
          /^the audience's fields differ from the manifest's: AEP refused the PATCH of its fields \(.*no field named "tier"; PATCH cannot add fields\)\), and a PATCH cannot add a field or change its type/,
        );
        expect(message).toContain(
          "Set spec.fields in gold.yaml to the audience's fields (names and types) and apply. Only if this audience must not be managed: audiencectl state forget gold --sandbox prod",
        );
        expect(message).not.toContain(DEMO_CLIENT.clientSecret);
        expect(message).not.toMatch(/Bearer|access_token/);
        expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);
      },
    );
  });

  it("refused to the controller's own PATCH, gives the ways out of a controller's user, not apply's", async () => {
    await withInProcessController({}, async ({ emulator, dir, stateDir, reconciler, status }) => {
      const onlyEmail = { fields: [{ name: 'email', type: 'string', identityNs: 'email' }] };
      const { id } = emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        audienceBody({ name: 'Audience gold', ...onlyEmail }),
        'colleague@AdobeID',
      );
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
      await mkdir(stateDir);
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', dir, '--audience-id', id, '--state', stateDir],
        { env: emulatorEnv(emulator) },
      );
      expect(imported.code).toBe(0);

      // The controller's pass sends the first PATCH, which AEP refuses.
      reconciler.trigger('startup');
      await reconciler.settled();
      expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);
      const gold = (await status()).audiences.find((a) => a.key === 'gold');
      expect(gold).toMatchObject({ state: 'blocked', audienceId: id });
      const message = gold?.lastError?.message ?? '';
      expect(message).toMatch(
        /^the audience's fields differ from the manifest's: AEP refused the PATCH of its fields \(.*no field named "tier"; PATCH cannot add fields\)\), and a PATCH cannot add a field or change its type/,
      );
      expect(message).toContain(
        "Set spec.fields in gold.yaml to the audience's fields (names and types) in the manifests the controller reads (commit and push them): its next pass sends the PATCH again.",
      );
      expect(message).toContain(
        'Only if this audience must not be managed: audiencectl state forget gold --sandbox prod, with the controller stopped (docs/controller.md, "Repairing state under a controller"),',
      );
      expect(message).toMatch(/the controller's next refresh \(--refresh-interval\) sends the PATCH again$/);
      // No way out through a command the controller's user does not run.
      expect(message).not.toMatch(/\band apply\b|apply --refresh/);
      const record = await new FileStateStore(stateDir).get('prod', 'gold');
      expect(record?.patchRefused?.message).toBe(message);
    });
  });
});

describe('the controller: its PATCH answered 404', () => {
  it("says the controller's next refresh reads the audience back, not an apply its user does not run", async () => {
    await withInProcessController({}, async ({ emulator, dir, reconciler, logs }) => {
      const quiet = { ingestion: { onCreate: false } };
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', quiet));
      reconciler.trigger('startup');
      await reconciler.settled();
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);

      await writeFile(
        path.join(dir, 'gold.yaml'),
        manifestYaml('gold', { ...quiet, spec: { description: 'edited' } }),
      );
      emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'patchAudience' });
      reconciler.trigger('resync');
      await reconciler.settled();
      const failed = logs.find((line) => line.msg === 'step failed');
      expect(failed?.['message']).toMatch(
        /^PATCH failed: .*; audience [-0-9a-f]+ may no longer exist remotely: the controller's next refresh \(--refresh-interval\), which reads the audience back and creates it again only if it is gone \(its record, runs and name kept\)$/,
      );
    });
  });
});
