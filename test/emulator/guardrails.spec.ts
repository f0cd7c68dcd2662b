import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyRunBudget, DEFAULT_RUN_BUDGET } from '../../src/plan/runs.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { audienceBody, withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { detail: string; report: { errorCode: string } };

async function runToEnd(emulator: TestEmulator, id: string, sandbox = 'prod') {
  const started = await emulator.request('POST', `/external-audience/${id}/runs`, {
    sandbox,
    body: { dataFilterStartTime: 1 },
  });
  if (started.status !== 200) return started;
  const { runId } = started.body as { runId: string };
  await emulator.waitFor(`/external-audience/${id}/runs/${runId}`, (run) => run['status'] !== 'PROCESSING', {
    sandbox,
  });
  return started;
}

describe('guardrails', () => {
  it('defaults to 100 runs a day per sandbox and 10 runs per audience', async () => {
    await withEmulator({}, (emulator) => {
      expect(emulator.control.settings().guardrails).toEqual({
        runsPerDayPerSandbox: 100,
        runsPerDayWindow: 'day',
        runsPerAudience: 10,
        runsPerAudienceWindow: 'day',
        audiencesPerSandbox: 4000,
      });
      return Promise.resolve();
    });
  });

  it('refuses a run beyond the runs per audience with 100960-422', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerAudience: 2 } }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, id)).status).toBe(200);
      expect((await runToEnd(emulator, id)).status).toBe(200);
      const third = await runToEnd(emulator, id);
      expect(third.status).toBe(422);
      expect((third.body as ErrorBody).report.errorCode).toBe('100960-422');
      expect((third.body as ErrorBody).detail).toMatch(/2 runs/);
      const other = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, other)).status).toBe(200);
    });
  });

  it('refuses a run beyond the runs per day of the sandbox; other sandboxes keep theirs; deleting frees none', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerDayPerSandbox: 2 } }, async (emulator) => {
      const first = await emulator.createAudience(audienceBody());
      const second = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, first)).status).toBe(200);
      expect((await emulator.request('DELETE', `/external-audience/${first}`)).status).toBe(204);
      expect((await runToEnd(emulator, second)).status).toBe(200);
      const third = await emulator.createAudience(audienceBody());
      const refused = await runToEnd(emulator, third);
      expect(refused.status).toBe(422);
      expect((refused.body as ErrorBody).detail).toMatch(/2 runs in the last 24 h/);
      const dev = await emulator.createAudience(audienceBody(), { sandbox: 'dev' });
      expect((await runToEnd(emulator, dev, 'dev')).status).toBe(200);
    });
  });

  it('can be changed at run time', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerAudience: 1 } }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, id)).status).toBe(200);
      expect((await runToEnd(emulator, id)).status).toBe(422);
      emulator.control.setGuardrails({ runsPerAudience: 3 });
      expect(emulator.control.settings().guardrails.runsPerDayPerSandbox).toBe(100);
      expect((await runToEnd(emulator, id)).status).toBe(200);
    });
  });

  it('refuses an audience beyond the audiences a sandbox may hold', async () => {
    await withEmulator({ guardrails: { audiencesPerSandbox: 1 } }, async (emulator) => {
      expect((await emulator.request('POST', '/external-audience/', { body: audienceBody() })).status).toBe(
        202,
      );
      const refused = await emulator.request('POST', '/external-audience/', { body: audienceBody() });
      expect(refused.status).toBe(422);
      expect((refused.body as ErrorBody).report.errorCode).toBe('100960-422');
    });
  });
});

/** The client's run budget for one audience whose runs started at `createdAt` (epoch seconds). */
function clientDefers(createdAt: number[], nowSeconds: number, budget = DEFAULT_RUN_BUDGET): boolean {
  type Steps = Parameters<typeof applyRunBudget>[0];
  type Records = Parameters<typeof applyRunBudget>[1];
  const step = { kind: 'run', sandbox: 'prod', key: 'gold' } as unknown as Steps[number];
  // Each run its own id: the budget counts a run once by its id (two records may hold one).
  const record = {
    sandbox: 'prod',
    key: 'gold',
    runs: createdAt.map((at, i) => ({ runId: `r${i}`, createdAt: at })),
  };
  const records = new Map([['prod/gold', record]]) as unknown as Records;
  applyRunBudget([step], records, budget, nowSeconds);
  return step.deferred !== undefined;
}

describe('the window of "100 ingestion runs a day per sandbox"', () => {
  // 23:00 UTC: the next UTC day starts in an hour, the last 24 h end a day later.
  const start = Date.UTC(2026, 0, 5, 23);
  const nextUtcDay = start + 2 * 3_600_000;
  const dayLater = start + 86_400_000 + 1000;
  const options = { operationDelayMs: 0, runStageDelayMs: 0, tokenLifetimeSeconds: 7 * 86_400 };
  const budget = { perSandboxPerDay: 2, perAudiencePerDay: 10 };
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Two runs in the sandbox at `start`; returns their start times (seconds) and a third audience. */
  async function twoRuns(emulator: TestEmulator): Promise<{ createdAt: number[]; third: string }> {
    const ids = [
      await emulator.createAudience(audienceBody()),
      await emulator.createAudience(audienceBody()),
    ];
    for (const id of ids) expect((await runToEnd(emulator, id)).status).toBe(200);
    const createdAt = ids.flatMap((id) =>
      emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', id).map((run) => run.createdAt),
    );
    return { createdAt, third: await emulator.createAudience(audienceBody()) };
  }

  it('is the last 24 h by default, in the emulator and in the client run budget alike', async () => {
    vi.setSystemTime(start);
    await withEmulator({ ...options, guardrails: { runsPerDayPerSandbox: 2 } }, async (emulator) => {
      const { createdAt, third } = await twoRuns(emulator);
      // Past midnight UTC, still within 24 h: the client defers, the emulator refuses.
      vi.setSystemTime(nextUtcDay);
      expect(clientDefers(createdAt, nextUtcDay / 1000, budget)).toBe(true);
      const refused = await runToEnd(emulator, third);
      expect(refused.status).toBe(422);
      expect((refused.body as ErrorBody).detail).toMatch(/2 runs in the last 24 h/);
      vi.setSystemTime(dayLater);
      expect(clientDefers(createdAt, dayLater / 1000, budget)).toBe(false);
      expect((await runToEnd(emulator, third)).status).toBe(200);
    });
  });

  it('is the UTC calendar day with runsPerDayWindow: utc-day, where the client is the stricter', async () => {
    vi.setSystemTime(start);
    await withEmulator(
      { ...options, guardrails: { runsPerDayPerSandbox: 2, runsPerDayWindow: 'utc-day' } },
      async (emulator) => {
        const { createdAt, third } = await twoRuns(emulator);
        const refused = await runToEnd(emulator, third);
        expect(refused.status).toBe(422);
        expect((refused.body as ErrorBody).detail).toMatch(/2 runs today \(UTC\)/);
        // A new UTC day: the emulator allows it; the client still counts the last 24 h and
        // waits, so it never starts a run such a service would refuse.
        vi.setSystemTime(nextUtcDay);
        expect(clientDefers(createdAt, nextUtcDay / 1000, budget)).toBe(true);
        expect((await runToEnd(emulator, third)).status).toBe(200);
      },
    );
  });
});

describe('the window of "10 ingestions per audience"', () => {
  // Date alone is frozen (timers keep running), so "a day later" needs no waiting; runs with
  // 0 ms delays are done as soon as they start.
  const start = Date.UTC(2026, 0, 5, 12);
  const later = start + 86_400_000 + 1000;
  const options = { operationDelayMs: 0, runStageDelayMs: 0, tokenLifetimeSeconds: 7 * 86_400 };
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is the last 24 h by default, in the emulator and in the client run budget alike', async () => {
    vi.setSystemTime(start);
    await withEmulator(options, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      for (let i = 0; i < 10; i += 1) expect((await runToEnd(emulator, id)).status).toBe(200);
      const createdAt = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', id).map((run) => run.createdAt);
      expect(createdAt).toHaveLength(10);
      // An 11th run inside the window: the client defers it, the emulator would refuse it.
      expect(clientDefers(createdAt, start / 1000)).toBe(true);
      const eleventh = await runToEnd(emulator, id);
      expect(eleventh.status).toBe(422);
      expect((eleventh.body as ErrorBody).detail).toMatch(/10 runs in the last 24 h/);
      // A day later both allow it again.
      vi.setSystemTime(later);
      expect(clientDefers(createdAt, later / 1000)).toBe(false);
      expect((await runToEnd(emulator, id)).status).toBe(200);
    });
  });

  it('is the audience lifetime with runsPerAudienceWindow: lifetime', async () => {
    vi.setSystemTime(start);
    await withEmulator(
      { ...options, guardrails: { runsPerAudience: 2, runsPerAudienceWindow: 'lifetime' } },
      async (emulator) => {
        const id = await emulator.createAudience(audienceBody());
        expect((await runToEnd(emulator, id)).status).toBe(200);
        expect((await runToEnd(emulator, id)).status).toBe(200);
        vi.setSystemTime(later);
        const third = await runToEnd(emulator, id);
        expect(third.status).toBe(422);
        expect((third.body as ErrorBody).detail).toMatch(/had 2 runs, the most/);
      },
    );
  });
});
