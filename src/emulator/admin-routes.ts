import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { EmulatorControl } from './control.js';
import type { QueuedFault } from './faults.js';
import type { SettingsPatch } from './settings-schema.js';
import type { UiEdit } from './ui-actions.js';

const ScopeQuery = z.object({
  orgId: z.string().min(1).optional(),
  sandbox: z.string().min(1, 'is required'),
  audienceId: z.string().optional(),
});
const LogQuery = z.object({ limit: z.coerce.number().int().min(1).optional() });

/**
 * `/_emulator/...`: settings, faults, counters, request log and listings over HTTP, for
 * people driving the CLI emulator. Off unless enabled; it has no authentication, which is
 * why the emulator binds to loopback by default.
 */
export function adminRoutes(control: EmulatorControl, defaultOrgId: string): FastifyPluginCallback {
  return function register(admin, _options, done): void {
    admin.setErrorHandler((error, _request, reply) => {
      const status =
        error instanceof UsageError || (error as { statusCode?: number }).statusCode === 400 ? 400 : 500;
      void reply.code(status).send({ error: (error as Error).message });
    });
    const config = { admin: true };
    const scope = (query: unknown) => {
      const parsed = ScopeQuery.safeParse(query);
      if (!parsed.success)
        throw new UsageError('EMULATOR_ADMIN', 'Query needs sandbox= (and optionally orgId=).');
      return { ...parsed.data, orgId: parsed.data.orgId ?? defaultOrgId };
    };

    admin.get('/settings', { config }, () => ({
      ...control.settings(),
      queuedFaults: control.queuedFaults(),
    }));
    admin.patch('/settings', { config }, (request) => control.updateSettings(request.body as SettingsPatch));
    admin.post('/faults', { config }, (request) => {
      control.queueFault(request.body as QueuedFault);
      return { queuedFaults: control.queuedFaults() };
    });
    admin.delete('/faults', { config }, (_request, reply) => {
      control.clearFaults();
      void reply.code(204).send();
    });
    admin.get('/counters', { config }, () => control.counters());
    admin.post('/counters/reset', { config }, (_request, reply) => {
      control.resetCounters();
      void reply.code(204).send();
    });
    admin.get('/requests', { config }, (request) => {
      const query = LogQuery.safeParse(request.query);
      return { requests: control.requestLog(query.success ? query.data.limit : undefined) };
    });
    admin.get('/audiences', { config }, (request) => {
      const { orgId, sandbox } = scope(request.query);
      return { audiences: control.listAudiences(orgId, sandbox) };
    });
    // "From the UI": changes made behind audiencectl's back, for drift tests and demos.
    admin.patch<{ Params: { id: string } }>('/audiences/:id', { config }, (request) => {
      const { orgId, sandbox } = scope(request.query);
      return control.uiEditAudience(orgId, sandbox, request.params.id, request.body as UiEdit);
    });
    admin.delete<{ Params: { id: string } }>('/audiences/:id', { config }, (request, reply) => {
      const { orgId, sandbox } = scope(request.query);
      control.uiDeleteAudience(orgId, sandbox, request.params.id);
      void reply.code(204).send();
    });
    admin.post('/audiences', { config }, (request, reply) => {
      const { orgId, sandbox } = scope(request.query);
      const { audience, createdBy, duplicateName } = (request.body ?? {}) as {
        audience?: unknown;
        createdBy?: string;
        duplicateName?: unknown;
      };
      const options = { duplicateName: duplicateName === true };
      void reply.code(201).send(control.uiCreateAudience(orgId, sandbox, audience, createdBy, options));
    });
    admin.get('/operations', { config }, (request) => {
      const { orgId, sandbox } = scope(request.query);
      return { operations: control.listOperations(orgId, sandbox) };
    });
    admin.get('/runs', { config }, (request) => {
      const { orgId, sandbox, audienceId } = scope(request.query);
      return { runs: control.listRuns(orgId, sandbox, audienceId) };
    });
    admin.post('/reset', { config }, (_request, reply) => {
      control.reset();
      void reply.code(204).send();
    });
    done();
  };
}
