import { z } from 'zod';
import { UsageError } from '../errors.js';
import { createAudience, deleteAudience } from './audience-service.js';
import { isAudienceReady } from './lifecycle.js';
import { TtlInDays } from './schema.js';
import { serviceNow, type Call, type Runtime } from './service-context.js';
import { segmentView, type SegmentAudience } from './segment-views.js';
import { holdName, isNameTaken, nameKey, releaseName } from './name-holds.js';

/**
 * What a person does in the AEP UI, behind audiencectl's back: edit an audience, delete it,
 * or create one as another user. Tests use these to make drift and name clashes happen.
 */
export const UiEdit = z.strictObject({
  name: z.string().regex(/\S/, 'must not be empty').optional(),
  description: z.string().optional(),
  labels: z.array(z.string()).optional(),
  ttlInDays: TtlInDays.optional(),
  /** Deactivate (or activate again) the audience. */
  lifecycleState: z.enum(['active', 'inactive']).optional(),
});
export type UiEdit = z.input<typeof UiEdit>;

/** The user a UI action is recorded under unless told otherwise. */
export const UI_USER = 'colleague@AdobeID';

function uiCall(runtime: Runtime, orgId: string, sandbox: string, actor: string): Call {
  return {
    caller: { clientId: 'aep-ui', orgId, sandbox, actor },
    scope: runtime.store.scope(orgId, sandbox),
    nowMs: serviceNow(runtime),
  };
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new UsageError('EMULATOR_UI', `Invalid UI action: ${problems.join('; ')}`);
}

function existing(call: Call, id: string) {
  const audience = call.scope.audiences.get(id);
  if (!audience || !isAudienceReady(audience, call.nowMs))
    throw new UsageError('EMULATOR_UI', `No audience ${id} in sandbox ${call.scope.sandbox}.`);
  return audience;
}

export function uiEditAudience(
  runtime: Runtime,
  where: { orgId: string; sandbox: string },
  id: string,
  input: unknown,
  actor = UI_USER,
): SegmentAudience {
  const edit = parse(UiEdit, input);
  const call = uiCall(runtime, where.orgId, where.sandbox, actor);
  const audience = existing(call, id);
  if (edit.name !== undefined && nameKey(edit.name) !== nameKey(audience.name)) {
    if (isNameTaken(call.scope, edit.name, call.nowMs))
      throw new UsageError('EMULATOR_UI', `An audience named "${edit.name}" already exists.`);
    // The old name stays held while a duplicate bears it; the new one is this audience's.
    releaseName(call.scope, audience);
    audience.name = edit.name;
    holdName(call.scope, audience);
  }
  if (edit.description !== undefined) audience.description = edit.description;
  if (edit.labels !== undefined) audience.labels = edit.labels;
  if (edit.ttlInDays !== undefined) audience.ttlInDays = edit.ttlInDays;
  if (edit.lifecycleState !== undefined) audience.lifecycleState = edit.lifecycleState;
  audience.updatedBy = actor;
  audience.updatedAt = Math.floor(call.nowMs / 1000);
  audience.version = (audience.version ?? 0) + 1;
  runtime.store.changed();
  return segmentView(audience);
}

export function uiDeleteAudience(
  runtime: Runtime,
  where: { orgId: string; sandbox: string },
  id: string,
): void {
  const call = uiCall(runtime, where.orgId, where.sandbox, UI_USER);
  existing(call, id);
  deleteAudience(runtime, call, id);
}

/**
 * Creates an external audience as `actor`, ready at once (as one made long ago would be).
 * `duplicateName`: even when the sandbox holds one of that name already (admin only).
 */
export function uiCreateAudience(
  runtime: Runtime,
  where: { orgId: string; sandbox: string },
  body: unknown,
  actor = UI_USER,
  options: { duplicateName?: boolean } = {},
): SegmentAudience {
  const call = uiCall(runtime, where.orgId, where.sandbox, actor);
  let operation;
  try {
    operation = createAudience(runtime, call, body, options);
  } catch (error) {
    throw new UsageError('EMULATOR_UI', `The audience cannot be created: ${(error as Error).message}`);
  }
  const audience = call.scope.audiences.get(operation.audienceId);
  if (!audience) throw new UsageError('EMULATOR_UI', 'The audience could not be created (a fault).');
  operation.completesAtMs = call.nowMs;
  audience.readyAtMs = call.nowMs;
  runtime.store.changed();
  return segmentView(audience);
}
