import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type EndpointName } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { openStateStore } from '../../src/state/open.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { emulatorEnv, ensureDirStore, ManifestDir } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { executorEnv, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withPgWriteGate } from '../helpers/pg-write-gate.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { useStores } from '../state/stores.js';
import { applyAt, holdAnswers, spawnApply } from './helpers/interrupted-apply.js';

// Review 46, crash: the kill matrix (crash.spec.ts) runs on the directory store only. Here the
// built CLI's apply is killed (SIGKILL) in each kind of step on both stores, the request held at
// the emulator (the service has acted on it, the process never learns it), so the kill is known
// to have landed mid-step; on PostgreSQL also in the state write that records a create's answer,
// held inside the server. Then: the record shows the step in flight, the next `plan` says what
// the next apply does with it, that apply finds no lock held and finishes the work, and the
// service holds each audience once, with the runs asked for, each mapped by a record.

const stores = useStores();
const quiet = (name: string, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, ...extra });

type Story = {
  kind: EndpointName;
  before: ManifestInput[];
  after: ManifestInput[];
  /** The record the kill leaves, by key: its step in flight. */
  inFlight: [key: string, shows: (record: AudienceRecord | undefined) => boolean];
  /** What the next plan says of the interrupted step. */
  planSays: string;
  /** Runs each audience ends with, by spec.name. */
  runs: Record<string, number>;
};

const STORIES: Record<string, Story> = {
  'create POST': {
    kind: 'createAudience',
    before: [],
    after: [manifestObject('gold')],
    inFlight: ['gold', (r) => r?.intent?.kind === 'create'],
    planSays:
      '+ prod/gold create: resume: the create was interrupted before its audience id was recorded; its earlier POST was sent at ',
    runs: { 'Audience gold': 1 },
  },
  PATCH: {
    kind: 'patchAudience',
    before: [quiet('gold')],
    after: [quiet('gold', { spec: { description: 'edited' } })],
    inFlight: ['gold', (r) => r?.intent?.kind === 'patch'],
    planSays: 'prod/gold: an interrupted PATCH of ',
    runs: { 'Audience gold': 0 },
  },
  'run POST': {
    kind: 'startRun',
    before: [quiet('gold')],
    after: [quiet('gold', { ingestion: { onCreate: false, request: 'r1' } })],
    inFlight: ['gold', (r) => r?.intent?.kind === 'run'],
    planSays: 'prod/gold: an interrupted run request of ',
    runs: { 'Audience gold': 1 },
  },
  DELETE: {
    kind: 'deleteAudience',
    before: [quiet('gold'), quiet('silver')],
    after: [quiet('gold')],
    inFlight: ['silver', (r) => r?.intent?.kind === 'delete'],
    planSays: 'prod/silver: an interrupted delete of ',
    runs: { 'Audience gold': 0 },
  },
};

async function recordsAt(location: string): Promise<AudienceRecord[]> {
  const store = await openStateStore(location);
  try {
    return (await store.readAll()).audiences;
  } finally {
    await store.close();
  }
}

/** The next apply (no lock wait: a lock left held fails it), then one more that finds nothing to do. */
async function finishes(env: ExecutorEnv, location: string, story: Pick<Story, 'after' | 'runs'>) {
  const next = await applyAt(env, location, story.after);
  expect(
    (next.report?.results ?? [])
      .filter((r) => r.status !== 'applied')
      .map((r) => `${r.step.id} ${r.status}: ${r.message}`),
    'the next apply finishes the work',
  ).toEqual([]);
  const again = await applyAt(env, location, story.after);
  expect(again.plan.steps, 'then nothing is left to do').toEqual([]);

  const audiences = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  expect(audiences.map((a) => a.audienceName).sort(), 'one audience each, none left over').toEqual(
    story.after.map((m) => m.spec.name).sort(),
  );
  const runs = Object.fromEntries(
    audiences.map((a) => [
      a.audienceName,
      env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', a.audienceId).length,
    ]),
  );
  expect(runs, 'runs started per audience').toEqual(story.runs);
  const mapped = (await recordsAt(location)).map((r) => r.audienceId).sort();
  expect(mapped, 'each audience mapped by its record').toEqual(audiences.map((a) => a.audienceId).sort());
}

async function withLocation(
  kind: (typeof stores)[number],
  fn: (env: ExecutorEnv, location: string, dir: ManifestDir, emulator: TestEmulator) => Promise<void>,
): Promise<void> {
  await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-crash-stores-'));
    try {
      const location = kind.name === 'directory' ? path.join(tmp, 'state') : await kind.fresh();
      await ensureDirStore(location);
      await fn(
        executorEnv(emulator, path.join(tmp, 'unused')),
        location,
        new ManifestDir(path.join(tmp, 'm')),
        emulator,
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

describe.each(stores)('$name store: an apply killed (SIGKILL) mid-step', (kind) => {
  it.concurrent.each(Object.entries(STORIES))(
    'in its %s: the plan says what the next apply does, which finds no lock held and finishes it once',
    { timeout: 120_000 },
    async (_label, story) => {
      await withLocation(kind, async (env, location, dir, emulator) => {
        if (story.before.length > 0) await applyAt(env, location, story.before);
        await dir.write(story.after);
        const held = holdAnswers(env, story.kind);
        try {
          const killed = spawnApply(env, dir.dir, location);
          await held.arrived;
          killed.signal('SIGKILL');
          expect((await killed.exited).code, 'killed, not ended').toBe(-1);
        } finally {
          held.stop();
        }
        const [key, shows] = story.inFlight;
        const record = (await recordsAt(location)).find((r) => r.key === key);
        expect(shows(record), `the record shows the step in flight: ${JSON.stringify(record?.intent)}`).toBe(
          true,
        );

        const planned = await runCliInProcess(['plan', dir.dir, '--state', location, '--sandbox', 'prod'], {
          env: emulatorEnv(emulator),
        });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toContain(story.planSays);

        await finishes(env, location, story);
      });
    },
  );
});

const GATE = 46_046;

describe('postgres store: an apply killed (SIGKILL) in the state write that records its create’s answer', () => {
  it(
    'leaves the create in flight or recorded, the plan says so, and the next apply adopts it: one audience',
    { timeout: 120_000 },
    async () => {
      await withLocation(stores[1]!, async (env, location, dir, emulator) => {
        // Holds, inside the server, the write that records the create's answer (its operation).
        const write = {
          on: 'UPDATE',
          when: `OLD.body->'intent'->>'kind' = 'create' AND NEW.body ? 'operationId'`,
          key: GATE,
        } as const;
        await withPgWriteGate(stores.postgres, location, write, async (gate) => {
          const story = STORIES['create POST']!;
          await dir.write(story.after);
          const killed = spawnApply(env, dir.dir, location);
          // The write waits at the gate: the kill lands in it.
          const held = await gate.reached(killed.exited);
          expect(held, 'the statement held: the put of gold’s record').toEqual([
            expect.stringMatching(/INSERT INTO \S+\.audiences\b/),
          ]);
          expect(
            emulator.control.counters().byEndpoint.createAudience.requests,
            'the POST was answered',
          ).toBe(1);
          killed.signal('SIGKILL');
          expect((await killed.exited).code, 'killed, not ended').toBe(-1);
          await gate.open();

          const record = (await recordsAt(location)).find((r) => r.key === 'gold');
          // The write's transaction is the dead process's: rolled back, or committed whole.
          expect(
            record?.intent?.kind === 'create' || record?.operationId !== undefined,
            JSON.stringify(record),
          ).toBe(true);
          const planned = await runCliInProcess(['plan', dir.dir, '--state', location, '--sandbox', 'prod'], {
            env: emulatorEnv(emulator),
          });
          expect(planned.code, planned.stderr).toBe(0);
          expect(planned.stdout).toContain(
            '+ prod/gold create: resume: the create was interrupted before its audience id was recorded',
          );
          if (record?.intent?.kind === 'create')
            expect(planned.stdout).toContain('its earlier POST was sent at ');

          await finishes(env, location, story);
          expect(emulator.control.counters().byEndpoint.createAudience.requests, 'never sent again').toBe(1);
        });
      });
    },
  );
});

describe('postgres store: an apply killed (SIGKILL) in the state write that removes a deleted audience’s record', () => {
  it(
    'leaves the delete in flight or done, the plan says so, and the next apply finishes it: no DELETE sent again',
    { timeout: 120_000 },
    async () => {
      await withLocation(stores[1]!, async (env, location, dir, emulator) => {
        const story = STORIES['DELETE']!;
        await applyAt(env, location, story.before);
        // Holds, inside the server, the write that removes the record once the DELETE is answered.
        const write = { on: 'DELETE', when: `OLD.body->'intent'->>'kind' = 'delete'`, key: GATE } as const;
        await withPgWriteGate(stores.postgres, location, write, async (gate) => {
          await dir.write(story.after);
          const killed = spawnApply(env, dir.dir, location);
          // The write waits at the gate: the kill lands in it.
          const held = await gate.reached(killed.exited);
          expect(held, 'the statement held: the removal of silver’s record').toEqual([
            expect.stringMatching(/DELETE FROM \S+\.audiences\b/),
          ]);
          expect(
            emulator.control.counters().byEndpoint.deleteAudience.requests,
            'the DELETE was answered',
          ).toBe(1);
          killed.signal('SIGKILL');
          expect((await killed.exited).code, 'killed, not ended').toBe(-1);
          await gate.open();

          const record = (await recordsAt(location)).find((r) => r.key === 'silver');
          // The write's transaction is the dead process's: rolled back (the intent stays), or committed whole.
          expect(record === undefined || record.intent?.kind === 'delete', JSON.stringify(record)).toBe(true);
          const planned = await runCliInProcess(['plan', dir.dir, '--state', location, '--sandbox', 'prod'], {
            env: emulatorEnv(emulator),
          });
          expect(planned.code, planned.stderr).toBe(0);
          if (record !== undefined) expect(planned.stdout).toContain(story.planSays);

          await finishes(env, location, story);
          expect(emulator.control.counters().byEndpoint.deleteAudience.requests, 'never sent again').toBe(1);
          expect((await recordsAt(location)).map((r) => r.key)).toEqual(['gold']);
        });
      });
    },
  );
});
