import { randomUUID } from 'node:crypto';
import { audienceRecord, operationDetails } from './audience-records.js';
import { ApiError, notFound, validationError } from './errors.js';
import { isAudienceReady } from './lifecycle.js';
import type { AudienceRecord, OperationRecord } from './model.js';
import { newerRuleViolations } from './newer-rules.js';
import { CreateAudienceBody, ExtendTtlBody } from './schema.js';
import type { Call, Runtime } from './service-context.js';
import { holdName, isNameTaken, nameKey, releaseName } from './name-holds.js';
import type { ScopeState } from './store.js';
import { parseOrThrow } from './validate.js';

/** An audience that exists now: created by an operation that has succeeded, and not deleted. */
export function readyAudience(call: Call, audienceId: string): AudienceRecord {
  const audience = call.scope.audiences.get(audienceId);
  if (!audience || !isAudienceReady(audience, call.nowMs)) throw notFound('audience', audienceId);
  return audience;
}

/**
 * Whether the sandbox holds `limit` audiences: those that exist or are being created, a create
 * whose operation is to fail included until it ends. Not the names held: a failed create's hold
 * lapses only when its name is asked for again, and counted, the sandbox refused creates while it
 * held fewer audiences than its limit.
 */
function isSandboxFull(scope: ScopeState, limit: number, nowMs: number): boolean {
  const existing = scope.audiences.size;
  if (existing >= limit) return true;
  // A failing create holds a name: with too few holds to reach the limit, none are read.
  if (existing + scope.names.size < limit) return false;
  let failing = 0;
  for (const hold of scope.names.values()) {
    if (scope.audiences.has(hold.audienceId)) continue;
    const operation = scope.operations.get(hold.operationId);
    if (operation?.outcome === 'FAILED' && nowMs < operation.completesAtMs) failing += 1;
  }
  return existing + failing >= limit;
}

/**
 * `duplicateName` (admin only, docs/emulator.md): skip the unique-name rule, as no public call
 * can, so tests can hold two audiences of one name; the name stays held while either bears it.
 */
export function createAudience(
  runtime: Runtime,
  call: Call,
  input: unknown,
  options: { duplicateName?: boolean } = {},
): OperationRecord {
  const body = parseOrThrow(CreateAudienceBody, input, 'body');
  const { settings, store, faults } = runtime;
  checkSourceShape(body, settings.compat.sourceSpec);
  if (settings.newerRules) {
    const violations = newerRuleViolations(body);
    if (violations.length > 0) throw validationError(violations);
  }
  const { scope, caller, nowMs } = call;
  const taken = isNameTaken(scope, body.name, nowMs);
  const duplicateName = options.duplicateName === true || settings.compat.duplicateNames === 'accepted';
  if (taken && !duplicateName) {
    throw new ApiError('100950-409', `An audience named "${body.name}" already exists in this sandbox.`);
  }
  if (isSandboxFull(scope, settings.guardrails.audiencesPerSandbox, nowMs)) {
    throw new ApiError(
      '100960-422',
      `This sandbox already holds ${settings.guardrails.audiencesPerSandbox} audiences, the most it may.`,
    );
  }
  const failed = faults.take('operationFailure', 'createAudience');
  const operation: OperationRecord = {
    operationId: randomUUID(),
    orgId: caller.orgId,
    sandbox: caller.sandbox,
    details: operationDetails(body),
    audienceId: randomUUID(),
    audienceName: body.name,
    outcome: failed ? 'FAILED' : 'SUCCESS',
    createdBy: caller.actor,
    createdAtMs: nowMs,
    completesAtMs: nowMs + settings.operationDelayMs,
  };
  if (failed)
    operation.failureReason = 'The audience could not be created (injected operationFailure fault).';
  scope.operations.set(operation.operationId, operation);
  // A failed operation holds its name until it ends; an audience holds it (or, an admin-made
  // duplicate, bears it beside the holder) for as long as it bears it.
  if (failed && !taken) {
    scope.names.set(nameKey(body.name), {
      operationId: operation.operationId,
      audienceId: operation.audienceId,
    });
  }
  if (!failed) {
    const audience = audienceRecord(body, {
      audienceId: operation.audienceId,
      operationId: operation.operationId,
      orgId: caller.orgId,
      sandbox: caller.sandbox,
      actor: caller.actor,
      createdAtMs: nowMs,
      readyAtMs: operation.completesAtMs,
    });
    scope.audiences.set(audience.audienceId, audience);
    holdName(scope, audience);
  }
  store.changed();
  return operation;
}

/** A service that takes one reading of the page refuses the other shape of `sourceSpec`. */
function checkSourceShape(body: CreateAudienceBody, reading: 'params' | 'flat' | 'both'): void {
  const wrapped = 'params' in body.sourceSpec;
  if (reading === 'params' && !wrapped) {
    throw validationError([{ path: 'sourceSpec.params', message: 'is required' }]);
  }
  if (reading === 'flat' && wrapped) {
    throw validationError([{ path: 'sourceSpec.params', message: 'is not a known property' }]);
  }
}

export function findOperation(call: Call, operationId: string): OperationRecord {
  const operation = call.scope.operations.get(operationId);
  if (!operation) throw notFound('operation', operationId);
  return operation;
}

/** How long a deleted audience's name stays held with `deletedNames: held` (service clock). */
export const DELETED_NAME_HOLD_MS = 60_000;

export function deleteAudience(runtime: Runtime, call: Call, audienceId: string): void {
  const audience = readyAudience(call, audienceId);
  const { scope } = call;
  scope.audiences.delete(audienceId);
  // `held`: gone from every read, its name still refused for a while (docs/emulator.md); a
  // duplicate deleted frees nothing, and the holder deleted passes the name to a duplicate.
  const held =
    runtime.settings.compat.deletedNames === 'held' ? call.nowMs + DELETED_NAME_HOLD_MS : undefined;
  releaseName(scope, audience, held);
  for (const runId of audience.runIds) scope.runs.delete(runId);
  runtime.store.changed();
}

/** Newer page versions add this endpoint; it resets the data expiration, optionally to a new TTL. */
export function extendTtl(runtime: Runtime, call: Call, audienceId: string, input: unknown): AudienceRecord {
  const audience = readyAudience(call, audienceId);
  const body = parseOrThrow(ExtendTtlBody, input, 'body');
  if (body.ttlInDays !== undefined) audience.ttlInDays = body.ttlInDays;
  audience.updatedBy = call.caller.actor;
  audience.version = (audience.version ?? 0) + 1;
  audience.updatedAt = Math.floor(call.nowMs / 1000);
  runtime.store.changed();
  return audience;
}
