import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { startAlteringProxy, type AlteringProxy, type Answer } from '../helpers/altering-proxy.js';
import { executorEnv, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The page writes every status in upper case (`SUCCESS`, `FAILED`, `PROCESSING`); a service (or
 * a gateway) that answers `Success` or `failed` says the same end in another case. Read as
 * anything but that end, the create's operation or the run was "still Success" at every apply:
 * the audience never recorded, its next run never started. The emulator answers through a proxy
 * that rewrites the statuses of operations, runs and the runs list.
 */
async function withRecased(
  recase: (status: string) => string,
  fn: (env: ExecutorEnv, proxy: AlteringProxy) => Promise<void>,
) {
  await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const proxy = await startAlteringProxy(emulator.url);
    const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-status-case-'));
    proxy.alter((answer) => recased(answer, recase));
    try {
      await fn(executorEnv(emulator, stateDir, proxy.url), proxy);
    } finally {
      await proxy.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

type Status = { status?: unknown };
const withStatus = <T extends Status>(item: T, recase: (status: string) => string): T =>
  typeof item.status === 'string' ? { ...item, status: recase(item.status) } : item;

/** The answer with its statuses (an operation's, a run's and its stages', a list's runs') recased. */
function recased({ path: at, body }: Answer, recase: (status: string) => string): unknown {
  if (!at.startsWith('/data/core/ais/') || typeof body !== 'object' || body === null) return undefined;
  const answer = body as Status & { details?: Status[]; runs?: (Status & { details?: Status[] })[] };
  const run = (one: Status & { details?: Status[] }) => ({
    ...withStatus(one, recase),
    ...(Array.isArray(one.details) ? { details: one.details.map((d) => withStatus(d, recase)) } : {}),
  });
  if (Array.isArray(answer.runs)) return { ...answer, runs: answer.runs.map(run) };
  return run(answer);
}

const capitalised = (status: string) => status.charAt(0) + status.slice(1).toLowerCase();
const lower = (status: string) => status.toLowerCase();
const remote = (env: ExecutorEnv) => env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
const outcomes = (results: { step: { id: string }; status: string }[] | undefined) =>
  (results ?? []).map((r) => `${r.step.id} ${r.status}`);

describe('an end status in another case is that end', () => {
  for (const [name, recase] of [
    ['Success', capitalised],
    ['success', lower],
  ] as const) {
    it(`an operation and a run answered ${name}: the audience is recorded, the run ended`, async () => {
      await withRecased(recase, async (env) => {
        const gold = manifestObject('gold', { ingestion: { onCreate: true } });
        const applied = await env.apply([gold]);
        expect(outcomes(applied.report?.results)).toEqual([
          'prod/gold:create applied',
          'prod/gold:run applied',
        ]);
        const record = await env.store().get('prod', 'gold');
        expect(record?.audienceId).toBe(remote(env)[0]?.audienceId);
        expect(record?.runs.map((run) => run.status)).toEqual(['SUCCESS']);

        // Nothing is left to follow: the next plan is empty, and no second run or create was sent.
        expect((await env.plan([gold])).steps).toEqual([]);
        const counters = env.emulator.control.counters().byEndpoint;
        expect(counters.createAudience.requests).toBe(1);
        expect(counters.startRun.requests).toBe(1);
      });
    });
  }

  it('a run answered Failed is a failed run, named as one', async () => {
    await withRecased(capitalised, async (env) => {
      env.emulator.control.queueFault({ kind: 'runFailure' });
      const gold = manifestObject('gold', { ingestion: { onCreate: true } });
      const applied = await env.apply([gold]);
      expect(outcomes(applied.report?.results)).toEqual(['prod/gold:create applied', 'prod/gold:run failed']);
      expect(applied.report?.results[1]?.message).toMatch(/^run \S+ FAILED: /);
      const record = await env.store().get('prod', 'gold');
      expect(record?.runs.map((run) => run.status)).toEqual(['FAILED']);
    });
  });
});
