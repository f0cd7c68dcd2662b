import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EndpointName } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { ManifestDir } from '../helpers/apply-env.js';
import {
  calmService,
  census,
  convergeInProcess,
  stateFilesProblems,
  troubledService,
} from '../helpers/converge.js';
import { executorEnv } from '../helpers/executor-env.js';
import { applyKilledAt, type KillPoint } from '../helpers/kill-at.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Kill -9 at an exact request: the emulator tells the test when it has received the
 * k-th request of a kind, and the test kills the applying CLI then, with the answer
 * sent or held back (the client never gets it). Then it checks that the state shows the
 * interrupted step, converges under faults, and counts on the service.
 */

type Story = {
  /** What exists before the killed apply (applied in-process). */
  before: ManifestInput[];
  /** What the killed apply, and the convergence after it, apply. */
  after: ManifestInput[];
  /** Requests of the kind the killed apply makes at least. */
  requests: number;
  /** Runs each audience must end with, by spec.name. */
  runs: Record<string, number>;
  /** How many audiences the state shows the step for (in flight or done). */
  shown: (records: readonly AudienceRecord[]) => number;
  /** When the answer was held back: the record shows the step still in flight. */
  inFlight: (record: AudienceRecord) => boolean;
};

const quiet = (name: string, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, ...extra });
const names = ['a0', 'a1', 'a2'];
const creates: ManifestInput[] = [manifestObject('a0'), manifestObject('a1'), quiet('a2')];
const existing = names.map((n) => quiet(n));
const requested = names.map((n) => quiet(n, { ingestion: { onCreate: false, request: 'r1' } }));
const count = (shows: (record: AudienceRecord) => boolean) => (records: readonly AudienceRecord[]) =>
  records.filter(shows).length;
const each = (runs: number) => Object.fromEntries(names.map((n) => [`Audience ${n}`, runs]));

const STORIES: Record<string, Story & { kind: EndpointName }> = {
  'create POST': {
    kind: 'createAudience',
    before: [],
    after: creates,
    requests: 3,
    runs: { 'Audience a0': 1, 'Audience a1': 1, 'Audience a2': 0 },
    shown: count((r) => r.intent?.kind === 'create' || r.operationId !== undefined),
    inFlight: (r) => r.intent?.kind === 'create',
  },
  'operation GET': {
    kind: 'getOperation',
    before: [],
    after: creates,
    requests: 3,
    runs: { 'Audience a0': 1, 'Audience a1': 1, 'Audience a2': 0 },
    shown: count((r) => r.operationId !== undefined),
    inFlight: (r) => r.operationId !== undefined,
  },
  PATCH: {
    kind: 'patchAudience',
    before: existing,
    after: names.map((n) => quiet(n, { spec: { description: 'edited' } })),
    requests: 3,
    runs: each(0),
    shown: count((r) => r.intent?.kind === 'patch' || r.applied?.spec.description === 'edited'),
    inFlight: (r) => r.intent?.kind === 'patch',
  },
  DELETE: {
    kind: 'deleteAudience',
    before: [...existing, quiet('a3')],
    after: existing.slice(0, 2),
    requests: 2,
    runs: { 'Audience a0': 0, 'Audience a1': 0 },
    // A finished DELETE removes its record.
    shown: (records) =>
      ['a2', 'a3'].filter((key) => {
        const record = records.find((r) => r.key === key);
        return !record || record.intent?.kind === 'delete';
      }).length,
    inFlight: (r) => r.intent?.kind === 'delete',
  },
  'run POST': {
    kind: 'startRun',
    before: existing,
    after: requested,
    requests: 3,
    runs: each(1),
    shown: count((r) => r.intent?.kind === 'run' || r.runs.some((run) => run.reason === 'request:r1')),
    inFlight: (r) => r.intent?.kind === 'run',
  },
  'run GET': {
    kind: 'getRun',
    before: existing,
    after: requested,
    requests: 3,
    runs: each(1),
    shown: count((r) => r.runs.some((run) => run.reason === 'request:r1')),
    inFlight: (r) => r.runs.some((run) => run.reason === 'request:r1'),
  },
};

/** Scenarios of one kind run this many at a time (each with its own emulator and CLI process). */
const PARALLEL = 2;

async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

type Kill = KillPoint & { seed: number };

async function scenario(story: Story & { kind: EndpointName }, kill: Kill): Promise<void> {
  await withEmulator({ operationDelayMs: 30, runStageDelayMs: 30 }, async (emulator) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-crash-'));
    try {
      const env = executorEnv(emulator, path.join(tmp, 'state'));
      if (story.before.length > 0) await convergeInProcess(env, story.before);
      const dir = new ManifestDir(path.join(tmp, 'm'));
      await dir.write(story.after);

      await applyKilledAt(env, dir.dir, story.kind, kill);
      const records = (await env.store().readAll()).audiences;
      const showing = story.shown(records);
      // Writes of the state precede each request, so k requests leave k records showing them,
      // except GETs, which one record can repeat.
      const atLeast = story.kind.startsWith('get') ? 1 : kill.k;
      expect(showing, 'records showing the interrupted step').toBeGreaterThanOrEqual(atLeast);
      if (kill.hold) expect(records.some(story.inFlight), 'a step still in flight').toBe(true);
      expect(await stateFilesProblems(env.stateDir)).toEqual([]);

      troubledService(env, kill.seed);
      await convergeInProcess(env, story.after);
      calmService(env);
      expect(await stateFilesProblems(env.stateDir)).toEqual([]);
      const counted = await census(env);
      expect(counted.duplicates, 'duplicate audiences').toEqual([]);
      expect(counted.orphans, 'orphans').toEqual([]);
      expect(Object.fromEntries(counted.runs), 'runs started per audience').toEqual(story.runs);
      expect((await env.plan(story.after)).steps).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

/**
 * Every kill point of a kind: the k-th request for each k, with the answer sent and with it
 * held back. A cycle over k that alternated the answer paired each k with one answer
 * when a kind makes an even number of requests (DELETE), and a point repeated only met
 * other seeds of the same faults while converging (every point here has a seed of its own).
 */
function killPoints(requests: number, seedBase: number): Kill[] {
  return Array.from({ length: requests }, (_, i) => i + 1).flatMap((k) =>
    [false, true].map((hold) => ({ k, hold, seed: seedBase + 2 * k + Number(hold) })),
  );
}

describe.concurrent('crash safety: SIGKILL at an exact request, then converge under faults', () => {
  for (const [index, [label, story]] of Object.entries(STORIES).entries()) {
    it(
      `at the k-th ${label}: the state shows it, then no duplicate, no orphan, runs as planned`,
      { timeout: 900_000 },
      async () => {
        const kills = killPoints(story.requests, 1000 + 10 * index);
        await inBatches(kills, PARALLEL, (kill) =>
          scenario(story, kill).catch((error: Error) => {
            throw new Error(
              `${label} kill ${kill.k} (${kill.hold ? 'answer held back' : 'answer sent'}), seed ${kill.seed}: ${error.message}`,
            );
          }),
        );
      },
    );
  }
});
