import type { AepClient, CallOptions } from '../aep/types.js';

/**
 * The client with every call's abort signal replaced by `signal`. The executor hands
 * its stop signal to each call; on SIGTERM that signal skips the steps not started and
 * ends the waits between polls, but a call already on the wire should finish, so its
 * outcome is recorded rather than left as an intent to resolve. Only `signal` (the
 * end of the grace period) cuts calls short.
 */
export function shieldCalls(client: AepClient, signal: AbortSignal): AepClient {
  const options = (): CallOptions => ({ signal });
  return {
    createAudience: (sandbox, body) => client.createAudience(sandbox, body, options()),
    getOperation: (sandbox, operationId) => client.getOperation(sandbox, operationId, options()),
    patchAudience: (sandbox, audienceId, body) => client.patchAudience(sandbox, audienceId, body, options()),
    startRun: (sandbox, audienceId, body) => client.startRun(sandbox, audienceId, body, options()),
    getRun: (sandbox, audienceId, runId) => client.getRun(sandbox, audienceId, runId, options()),
    listRuns: (sandbox, audienceId) => client.listRuns(sandbox, audienceId, options()),
    deleteAudience: (sandbox, audienceId) => client.deleteAudience(sandbox, audienceId, options()),
  };
}
