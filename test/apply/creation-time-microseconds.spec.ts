import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { afterRepeatWait, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// The Audiences API page gives an audience's `creationTime`/`updateTime` in milliseconds, and
// "one sample shows microseconds: read defensively" (../shared/reference/audiences-api.md).
// audiencectl reads a creation time past 1e14 as microseconds (src/aep/segment-types.ts
// createdMs), and decides by it whether an audience listed under a create's name can be that
// create's own (find-created.ts). The emulator had no mode answering microseconds, so that
// reading was never tried against a service: every emulator answered milliseconds. Its
// `creationTimeUnit: microseconds` reading (--creation-time-unit) answers so.

const quiet = (name: string) => manifestObject(name, { ingestion: { onCreate: false } });
const OWN_ACCOUNT = `${DEMO_CLIENT.clientId}@techacct.adobe.com`;

describe('creationTime in microseconds (creationTimeUnit: microseconds)', () => {
  it('the Audiences API answers creationTime and updateTime in microseconds, createEpoch in seconds', async () => {
    await withEmulator(
      { operationDelayMs: 0, compat: { creationTimeUnit: 'microseconds' } },
      async (emulator) => {
        const id = await emulator.createAudience({
          name: 'Gold',
          originName: 'CUSTOM_UPLOAD',
          fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
          sourceSpec: { path: 'crm/gold.csv', type: 'file' },
        });
        const response = await fetch(`${emulator.url}/data/core/ups/audiences/${id}`, {
          headers: await emulator.headers(),
        });
        const audience = (await response.json()) as Record<string, number>;
        const epoch = audience['createEpoch'] ?? 0;
        expect(epoch).toBeGreaterThan(1_700_000_000);
        expect(epoch).toBeLessThan(10_000_000_000);
        expect(audience['creationTime']).toBeGreaterThanOrEqual(epoch * 1_000_000);
        expect(audience['creationTime']).toBeLessThan((epoch + 1) * 1_000_000);
        expect(audience['updateTime']).toBeGreaterThanOrEqual((audience['updateEpoch'] ?? 0) * 1_000_000);
      },
    );
  });

  it("an audience of the name another store created a minute before the create began is not taken for the create's own", async () => {
    await withExecutor({ compat: { creationTimeUnit: 'microseconds' } }, async (env: ExecutorEnv) => {
      // This store's create: its intent written, its POST never reached the service (held while it
      // may land: steps/create-hold.ts).
      env.emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience', count: 1 });
      const first = await env.apply([quiet('gold')]);
      expect(first.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      const pending = (await env.store().get('prod', 'gold')) as AudienceRecord;
      const recorded = (pending.pendingCreate as { earliestAepMs?: number } | undefined)?.earliestAepMs;
      const began = recorded ?? Date.parse(pending.intent!.startedAt);
      // Another store's create of the same name, with the same credentials, a minute before.
      env.emulator.control.updateSettings({ clockOffsetMs: began - 60_000 - Date.now() });
      const theirs = env.emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        quiet('gold').spec,
        OWN_ACCOUNT,
      );
      env.emulator.control.updateSettings({ clockOffsetMs: 0 });
      afterRepeatWait(env);
      const outcome = await env.apply([quiet('gold')]);
      const message = outcome.report?.results[0]?.message ?? '';
      expect(
        outcome.report?.results.map((r) => `${r.step.id} ${r.status}`),
        message,
      ).toEqual(['prod/gold:create blocked']);
      expect(message).not.toContain('adopted');
      expect(message).toMatch(/it was created (59|60) s before this create began \(in AEP's clock\)/);
      expect(message).toContain(`found: ${theirs.id} (created `);
    });
  });
});
