import { describe, expect, it } from 'vitest';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

// "A sandbox holds at most 4,000 audiences (including ones being created)" (docs/emulator.md,
// --audiences-per-sandbox). The emulator counted the names it held instead: a create whose
// operation ended FAILED (--fault-operation-failure) gave its name back only when that name
// was asked for again, so it kept counting. A sandbox whose creates had failed refused the
// next create with 100960-422, "This sandbox already holds 2 audiences, the most it may",
// while it held none.

describe('the audiences-per-sandbox guardrail', () => {
  it('does not count creates whose operation failed', async () => {
    await withEmulator({ operationDelayMs: 0, guardrails: { audiencesPerSandbox: 2 } }, async (emulator) => {
      emulator.control.queueFault({ kind: 'operationFailure', endpoint: 'createAudience', count: 2 });
      for (const name of ['Failed one', 'Failed two']) {
        const created = await emulator.request('POST', '/external-audience/', {
          body: audienceBody({ name }),
        });
        expect(created.status).toBe(202);
        const { operationId } = created.body as { operationId: string };
        const operation = await emulator.waitFor(
          `/external-audiences/operations/${operationId}`,
          (body) => body['status'] !== 'PROCESSING',
        );
        expect(operation['status']).toBe('FAILED');
      }
      expect(emulator.control.listAudiences(emulator.client.orgId, 'prod')).toEqual([]);
      const next = await emulator.request('POST', '/external-audience/', {
        body: audienceBody({ name: 'Gold' }),
      });
      expect(next.text).not.toMatch(/already holds/);
      expect(next.status).toBe(202);
      // The guardrail still holds: two audiences, then a third is refused.
      expect(
        (await emulator.request('POST', '/external-audience/', { body: audienceBody({ name: 'Silver' }) }))
          .status,
      ).toBe(202);
      const refused = await emulator.request('POST', '/external-audience/', {
        body: audienceBody({ name: 'Bronze' }),
      });
      expect(refused.status).toBe(422);
    });
  });
});
