import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createAepClient, type AepHttpClient } from '../../src/aep/client.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import type { CompatOptions } from '../../src/aep/compat.js';
import { applyOnce, type ApplyInput, type ApplyOutcome } from '../../src/apply/apply-flow.js';
import { systemClock } from '../../src/apply/clock.js';
import type { Clock, PollSchedule, ProgressSink } from '../../src/apply/types.js';
import { DEMO_CLIENT, type EmulatorOptions } from '../../src/emulator/index.js';
import { planOrigin } from '../../src/apply/saved-plan.js';
import { plan as makePlan, type PlanOptions } from '../../src/plan/plan.js';
import { renderJson } from '../../src/plan/render/json.js';
import { Plan } from '../../src/plan/schema.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';
import type { AudienceRecord, RunRecord } from '../../src/state/schema.js';
import type { StateStore } from '../../src/state/store.js';
import { loadTexts } from './manifests.js';
import { options as planOptions } from './planning.js';
import { withEmulator, type TestEmulator } from './with-emulator.js';

/** Quick polls: the emulator's operations and runs finish in tens of milliseconds here. */
const FAST_POLL: PollSchedule = { firstMs: 5, factor: 1.5, maxMs: 40, timeoutMs: 10_000 };

/** Real time, but no pause longer than 20 ms: backoffs of seconds would only slow the tests. */
const QUICK_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => systemClock.sleep(Math.min(ms, 20), signal),
};

const SILENT: ProgressSink = { stepStarted() {}, stepFinished() {}, note() {}, close() {} };

export type ApplyCall = {
  /** Plan options beyond the defaults (now is the real clock). */
  plan?: Partial<PlanOptions>;
  signal?: AbortSignal;
  /** A first Ctrl-C (or a controller's SIGTERM): no new step starts, calls in flight finish. */
  drain?: AbortSignal;
  /** `apply --refresh`: read the recorded audiences back before planning. */
  refresh?: boolean;
  /**
   * Called with the plan before it is executed (and the spent runs-only records it would drop);
   * return false to stop there.
   */
  review?: (plan: Plan, resumed: string[], toDrop: readonly string[]) => boolean;
  /** The store the apply writes through, made from the env's (one that dies at a write, say). */
  store?: (store: FileStateStore) => StateStore;
  /** Told of each step as it ends (what the CLI prints), as an apply that throws reports nothing. */
  progress?: ProgressSink;
  /**
   * How long the apply waits for a run it started to end (FAST_POLL's 10 s when not given). A case
   * whose run cannot end during the apply (its stages an hour each on the emulator's clock, which
   * the case moves itself) gives a short one: the same outcome, without 10 s of waiting it out.
   */
  runWaitMs?: number;
};

/** The real executor, a file store and the AEP client, in-process against a test emulator. */
export type ExecutorEnv = {
  emulator: TestEmulator;
  client: AepHttpClient;
  stateDir: string;
  /** A fresh store object on the same directory (a new process would make one). */
  store(): FileStateStore;
  /** One apply of `manifests` as the CLI does it (lock, resume, plan, execute). */
  apply(manifests: readonly ManifestInput[], call?: ApplyCall): Promise<ApplyOutcome>;
  /** A plan saved as `plan --output json --out` saves it (with its origin). */
  savedPlan(manifests: readonly ManifestInput[], options?: Partial<PlanOptions>): Promise<Plan>;
  /** One apply of a saved plan, as `apply plan.json` does it, with the manifests as they are now. */
  applySaved(plan: Plan, manifests: readonly ManifestInput[], call?: ApplyCall): Promise<ApplyOutcome>;
  /** The plan `plan` would print now. */
  plan(manifests: readonly ManifestInput[], options?: Partial<PlanOptions>): Promise<Plan>;
};

export function loadManifestObjects(manifests: readonly ManifestInput[], sandbox = 'prod') {
  return loadTexts(
    Object.fromEntries(manifests.map((m) => [`${m.metadata.name}.yaml`, stringify(m)])),
    sandbox,
  );
}

/**
 * The executor against `emulator`, with its state in `stateDir` (left to the caller to remove).
 * `via`: a URL standing in for the emulator's (test/helpers/altering-proxy.ts); `compat`:
 * the client's `api` settings (a configuration file's `api.deletePath`, say); `clientOptions`:
 * the client's options beyond these (its retry backoff, an `onRequest` listener).
 */
export function executorEnv(
  emulator: TestEmulator,
  stateDir: string,
  via?: string,
  compat?: CompatOptions,
  clientOptions: Partial<AepClientOptions> = {},
): ExecutorEnv {
  const url = via ?? emulator.url;
  const client = createAepClient({
    baseUrl: `${url}/data/core/ais`,
    imsUrl: `${url}/ims/token/v3`,
    defaultAccess: {
      credentials: DEMO_CLIENT,
      budget: { requests: 1000, intervalMs: 1000, concurrency: 8 },
    },
    retry: { baseDelayMs: 5, maxDelayMs: 20, rateLimitPauseMs: 20 },
    ...(compat ? { compat } : {}),
    ...clientOptions,
  });
  const store = () => new FileStateStore(stateDir);
  const run = (input: ApplyInput, call: ApplyCall = {}) =>
    applyOnce(input, {
      client,
      store: call.store ? call.store(store()) : store(),
      clock: QUICK_CLOCK,
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.drain ? { drain: call.drain } : {}),
      ...(call.refresh ? { refresh: true } : {}),
      lockTimeoutMs: 0,
      operationPoll: FAST_POLL,
      runPoll: call.runWaitMs === undefined ? FAST_POLL : { ...FAST_POLL, timeoutMs: call.runWaitMs },
      review: (plan, resumed, toDrop) =>
        Promise.resolve(call.review ? call.review(plan, resumed, toDrop) : true),
      progress: () => call.progress ?? SILENT,
    });
  const optionsFor = (extra: Partial<PlanOptions> = {}) =>
    planOptions({ now: Math.floor(Date.now() / 1000), ...extra });
  const env: ExecutorEnv = {
    emulator,
    client,
    stateDir,
    store,
    apply: (manifests, call = {}) =>
      run(
        { kind: 'manifests', desired: loadManifestObjects(manifests), planOptions: optionsFor(call.plan) },
        call,
      ),
    savedPlan: async (manifests, extra) => {
      const desired = loadManifestObjects(manifests);
      const recorded = await store().readAll();
      const options = optionsFor(extra);
      const saved = makePlan(desired, recorded, options);
      saved.origin = planOrigin({ dir: stateDir, sandbox: 'prod' }, desired, recorded, options);
      return Plan.parse(JSON.parse(renderJson(saved)));
    },
    applySaved: (plan, manifests, call = {}) =>
      run({ kind: 'saved', plan, source: 'plan.json', desired: loadManifestObjects(manifests) }, call),
    plan: async (manifests, extra) =>
      makePlan(loadManifestObjects(manifests), await store().readAll(), optionsFor(extra)),
  };
  return env;
}

/** Writes `record` as it is, under the store's lock: a state a killed or an earlier apply left. */
export async function putAsIs(env: Pick<ExecutorEnv, 'store'>, record: AudienceRecord): Promise<void> {
  const store = env.store();
  await store.lock();
  try {
    await store.put(record);
  } finally {
    await store.unlock();
  }
}

export async function withExecutor<T>(
  emulatorOptions: EmulatorOptions | undefined,
  fn: (env: ExecutorEnv) => Promise<T>,
): Promise<T> {
  return withEmulator({ operationDelayMs: 10, runStageDelayMs: 10, ...emulatorOptions }, async (emulator) => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-exec-'));
    try {
      return await fn(executorEnv(emulator, stateDir));
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

/**
 * gold's record (gold.yaml) with an open create intent, as a killed apply leaves it: written
 * at `startedAt`; `specHash` as an earlier release recorded it, alone; `runs` the record kept.
 */
export async function interruptedCreate(
  env: ExecutorEnv,
  {
    startedAt = new Date(),
    specHash,
    runs = [],
  }: { startedAt?: Date; specHash?: string; runs?: RunRecord[] } = {},
): Promise<void> {
  const store = env.store();
  await store.lock();
  try {
    await store.put({
      ...newRecord('prod', 'gold'),
      manifestFile: 'gold.yaml',
      intent: {
        id: 'intent-1',
        kind: 'create',
        startedAt: startedAt.toISOString(),
        ...(specHash === undefined ? {} : { specHash }),
      },
      runs,
    });
  } finally {
    await store.unlock();
  }
}

/**
 * gold's record whose create was answered at `answeredAt` with operation `lost-operation`,
 * which the service does not know; `extra` adds to it (the manifest file, runs kept).
 */
export async function lostOperation(
  store: StateStore,
  answeredAt: Date,
  extra: Partial<AudienceRecord> = {},
): Promise<void> {
  await store.lock();
  try {
    await store.put({
      ...newRecord('prod', 'gold'),
      operationId: 'lost-operation',
      observed: { source: 'operation', at: answeredAt.toISOString(), body: {} },
      ...extra,
    });
  } finally {
    await store.unlock();
  }
}

/** A run of gold's former audience (deleted outside audiencectl) an hour ago: it counts against the day's run budget. */
export function formerRun(): RunRecord {
  return {
    runId: 'run-of-deleted',
    status: 'SUCCESS',
    createdAt: Math.floor(Date.now() / 1000) - 3600,
    dataFilterStartTime: 0,
    reason: 'onCreate',
    formerAudienceId: 'deleted-outside',
  };
}

/** The emulator's own view of `Audience <name>` in prod (no API call); throws if there is none. */
export function remoteAudience(env: Pick<ExecutorEnv, 'emulator'>, name: string) {
  const audience = env.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === `Audience ${name}`);
  if (!audience) throw new Error(`no audience ${name}`);
  return audience;
}

/** PATCH requests the emulator received since its counters were last reset. */
export const patchRequests = (env: Pick<ExecutorEnv, 'emulator'>) =>
  env.emulator.control.counters().byEndpoint.patchAudience?.requests ?? 0;

/**
 * Holds every create operation from now on, its audience listed by no read (as the service
 * does until the operation succeeds), until `release` ends them and gives the operations back
 * their usual delay. A create whose answer is lost then finds nothing under its name before it
 * POSTs again (steps/create-repeat.ts): its apply fails, its intent kept, for a spec of what the
 * next apply makes of it.
 */
export function holdCreates(
  env: { emulator: Pick<TestEmulator, 'control'> },
  sandbox = 'prod',
): { release(): void } {
  const { control } = env.emulator;
  const usual = control.settings().operationDelayMs;
  control.setDelays({ operationDelayMs: 3_600_000 });
  return {
    release: () => {
      control.setDelays({ operationDelayMs: usual });
      for (const operation of control.listOperations(DEMO_CLIENT.orgId, sandbox))
        if (operation.status === 'PROCESSING')
          control.finishOperation(DEMO_CLIENT.orgId, sandbox, operation.operationId);
    },
  };
}

/**
 * AEP's clock (the emulator's) moved on 20 minutes: the wait for an earlier POST of a create to
 * show has passed (steps/create-hold.ts holds a create until then, sending nothing), for a spec
 * of what a create sent again does. The margin for an intent timed by a local clock included;
 * `minutes` more for an intent written that far ahead.
 */
export function afterRepeatWait(env: { emulator: Pick<TestEmulator, 'control'> }, minutes = 20): void {
  const { control } = env.emulator;
  control.updateSettings({ clockOffsetMs: control.settings().clockOffsetMs + minutes * 60_000 });
}
