import { UsageError } from '../errors.js';
import { resolveCompat } from './compat-settings.js';
import type { EmulatorCounters, RequestLogEntry } from './counters.js';
import type { EmulatorContext, RequestObserver } from './context.js';
import type { QueuedFault } from './faults.js';
import { isAudienceReady } from './lifecycle.js';
import type { FaultSettings, GuardrailSettings, RateLimitSettings } from './options.js';
import { resolveFaults, resolveGuardrails, resolveRateLimit, type EmulatorSettings } from './settings.js';
import { QueuedFaultInput, SettingsPatch } from './settings-schema.js';
import { issuesToItems } from './validate.js';
import { serviceNow } from './service-context.js';
import {
  audienceView,
  operationView,
  runView,
  type EmulatorAudience,
  type EmulatorOperation,
  type EmulatorRun,
} from './views.js';
import type { z } from 'zod';
import type { SegmentAudience } from './segment-views.js';
import { uiCreateAudience, uiDeleteAudience, uiEditAudience, type UiEdit } from './ui-actions.js';

/** In-process equivalents of the admin endpoint, for tests and embedding programs. */
export type EmulatorControl = {
  settings(): EmulatorSettings;
  /** Applies a partial update (the admin endpoint's PATCH /_emulator/settings) and returns the result. */
  updateSettings(patch: SettingsPatch): EmulatorSettings;
  /** Replaces the fault settings; what is not given becomes 0. */
  setFaults(faults: FaultSettings): void;
  /** Makes the next matching request(s) fail in the given way, whatever the probabilities. */
  queueFault(fault: QueuedFault): void;
  /** Faults still waiting for their requests. */
  queuedFaults(): QueuedFault[];
  /** All probabilities to 0 and the queue emptied. */
  clearFaults(): void;
  /** undefined or null: no rate limit. */
  setRateLimit(limit: RateLimitSettings | null | undefined): void;
  setLatency(latencyMs: number, jitterMs?: number): void;
  /** Merged: unset guardrails keep their value. */
  setGuardrails(guardrails: GuardrailSettings): void;
  setDelays(delays: { operationDelayMs?: number; runStageDelayMs?: number }): void;
  counters(): EmulatorCounters;
  /** Oldest first; `limit` keeps the most recent entries. */
  requestLog(limit?: number): RequestLogEntry[];
  /** Zeroes the counters and empties the request log. */
  resetCounters(): void;
  /** Audiences that exist now (their create operation succeeded), oldest first. */
  listAudiences(orgId: string, sandbox: string): EmulatorAudience[];
  listOperations(orgId: string, sandbox: string): EmulatorOperation[];
  /**
   * Ends a create operation now, as if its delay had passed: its outcome shows, and its
   * audience is listed from now on (a test holds an operation with setDelays, then lets it go).
   */
  finishOperation(orgId: string, sandbox: string, operationId: string): void;
  /** Runs of the sandbox, or of one audience, oldest first. */
  listRuns(orgId: string, sandbox: string, audienceId?: string): EmulatorRun[];
  /** Changes an audience as a person in the AEP UI would (name, description, labels, ttlInDays). */
  uiEditAudience(orgId: string, sandbox: string, audienceId: string, edit: UiEdit): SegmentAudience;
  /** Deletes an audience as a person in the AEP UI would. */
  uiDeleteAudience(orgId: string, sandbox: string, audienceId: string): void;
  /**
   * Creates an external audience (a create body) as another user, ready at once;
   * `duplicateName` even beside one of the same name (no public call can).
   */
  uiCreateAudience(
    orgId: string,
    sandbox: string,
    body: unknown,
    createdBy?: string,
    options?: { duplicateName?: boolean },
  ): SegmentAudience;
  /** A token for a configured client, without a round trip to IMS. */
  issueToken(clientId: string): string;
  /** Forgets every audience, operation, run and daily run count. */
  reset(): void;
  /** Calls `observer` for each API request before it is answered (see RequestObserver); returns the unsubscribe. */
  observeRequests(observer: RequestObserver): () => void;
  /** Resolves when the data directory holds the current state (no-op without one). */
  flush(): Promise<void>;
};

function parseSetting<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = issuesToItems(result.error, what).map((item) => `${item.path}: ${item.message}`);
  throw new UsageError('EMULATOR_SETTINGS', `Invalid emulator ${what}: ${problems.join('; ')}`);
}

export function createControl(context: EmulatorContext, flush: () => Promise<void>): EmulatorControl {
  const { runtime, recorder, buckets, signer, clients } = context;
  const { store, faults } = runtime;

  function updateSettings(input: SettingsPatch): EmulatorSettings {
    const patch = parseSetting(SettingsPatch, input, 'settings');
    const current = runtime.settings;
    const next: EmulatorSettings = {
      tokenLifetimeSeconds: patch.tokenLifetimeSeconds ?? current.tokenLifetimeSeconds,
      operationDelayMs: patch.operationDelayMs ?? current.operationDelayMs,
      runStageDelayMs: patch.runStageDelayMs ?? current.runStageDelayMs,
      latencyMs: patch.latencyMs ?? current.latencyMs,
      latencyJitterMs: patch.latencyJitterMs ?? current.latencyJitterMs,
      rateLimit: patch.rateLimit === undefined ? current.rateLimit : resolveRateLimit(patch.rateLimit),
      faults: patch.faults === undefined ? current.faults : resolveFaults(patch.faults),
      guardrails: resolveGuardrails(patch.guardrails, current.guardrails),
      newerRules: patch.newerRules ?? current.newerRules,
      compat: resolveCompat(patch.compat, current.compat),
      clockOffsetMs: patch.clockOffsetMs ?? current.clockOffsetMs,
    };
    if (patch.rateLimit !== undefined) buckets.configure(next.rateLimit);
    if (patch.faults !== undefined) faults.configure(next.faults);
    runtime.settings = next;
    return structuredClone(next);
  }

  function scopeOf(orgId: string, sandbox: string) {
    return store.peekScope(orgId, sandbox);
  }

  return {
    settings: () => structuredClone(runtime.settings),
    updateSettings,
    setFaults: (settings) => void updateSettings({ faults: settings }),
    queueFault: (fault) => faults.enqueue(parseSetting(QueuedFaultInput, fault, 'fault')),
    queuedFaults: () => faults.queued(),
    clearFaults: () => {
      updateSettings({ faults: {} });
      faults.clearQueue();
    },
    setRateLimit: (limit) => void updateSettings({ rateLimit: limit ?? null }),
    setLatency: (latencyMs, jitterMs = 0) => void updateSettings({ latencyMs, latencyJitterMs: jitterMs }),
    setGuardrails: (guardrails) => void updateSettings({ guardrails }),
    setDelays: (delays) => void updateSettings(delays),
    counters: () => recorder.counters({ ...faults.fired }),
    requestLog: (limit) => recorder.requestLog(limit),
    resetCounters: () => {
      recorder.reset();
      faults.resetCounts();
    },
    listAudiences: (orgId, sandbox) => {
      const now = serviceNow(runtime);
      const audiences = [...(scopeOf(orgId, sandbox)?.audiences.values() ?? [])];
      return audiences.filter((audience) => isAudienceReady(audience, now)).map(audienceView);
    },
    listOperations: (orgId, sandbox) => {
      const scope = scopeOf(orgId, sandbox);
      const now = serviceNow(runtime);
      return [...(scope?.operations.values() ?? [])].map((operation) =>
        operationView(operation, scope?.audiences.get(operation.audienceId), now),
      );
    },
    finishOperation: (orgId, sandbox, operationId) => {
      const scope = scopeOf(orgId, sandbox);
      const operation = scope?.operations.get(operationId);
      if (!scope || !operation)
        throw new UsageError('EMULATOR_OPERATION', `The emulator has no operation ${operationId}.`);
      const now = serviceNow(runtime);
      operation.completesAtMs = Math.min(operation.completesAtMs, now);
      const audience = scope.audiences.get(operation.audienceId);
      if (audience) audience.readyAtMs = Math.min(audience.readyAtMs, now);
      store.changed();
    },
    listRuns: (orgId, sandbox, audienceId) => {
      const now = serviceNow(runtime);
      const runs = [...(scopeOf(orgId, sandbox)?.runs.values() ?? [])];
      return runs
        .filter((run) => audienceId === undefined || run.audienceId === audienceId)
        .map((run) => runView(run, now));
    },
    uiEditAudience: (orgId, sandbox, audienceId, edit) =>
      uiEditAudience(runtime, { orgId, sandbox }, audienceId, edit),
    uiDeleteAudience: (orgId, sandbox, audienceId) =>
      uiDeleteAudience(runtime, { orgId, sandbox }, audienceId),
    uiCreateAudience: (orgId, sandbox, body, createdBy, options) =>
      uiCreateAudience(runtime, { orgId, sandbox }, body, createdBy, options),
    issueToken: (clientId) => {
      const client = clients.get(clientId);
      if (!client) throw new UsageError('EMULATOR_CLIENT', `The emulator has no client ${clientId}.`);
      return signer.issue(client, runtime.settings.tokenLifetimeSeconds, serviceNow(runtime));
    },
    reset: () => {
      store.clear();
      store.changed();
    },
    observeRequests: (observer) => {
      context.observers.add(observer);
      return () => void context.observers.delete(observer);
    },
    flush,
  };
}
