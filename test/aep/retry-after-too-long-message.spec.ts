import { describe, expect, it } from 'vitest';
import { failure } from './helpers.js';
import { imfDate, unavailableBody } from '../helpers/header-proxy.js';
import { retryAfterProxies } from './retry-after-proxy.js';

const { throughProxy } = retryAfterProxies();

/** A lookup whose every answer is `status` with a Retry-After 120 s after the answer's Date. */
async function refusedFor120s(status: 429 | 503) {
  const { client } = await throughProxy({}, (answer) => {
    if (!answer.path.includes('/operations/')) return undefined;
    const headers = { ...answer.headers, 'retry-after': imfDate(answer.headers, 120_000) };
    return status === 503 ? { status, headers, body: unavailableBody() } : { status, headers };
  });
  return failure(client.getOperation('prod', 'op-1'));
}

// docs/configuration.md: a Retry-After longer than retry.maxRetryAfterMs is not waited for and
// the call fails. The one line a user reads must say why it was not retried and what to change.
describe('a Retry-After longer than retry.maxRetryAfterMs', () => {
  for (const status of [429, 503] as const) {
    it(`a ${status}'s failure names the wait asked for and the setting that refused it`, async () => {
      const error = await refusedFor120s(status);
      expect(error.status).toBe(status);
      expect(error.attempts).toBe(1);
      expect(error.retryAfterMs).toBe(120_000);
      expect(error.message).toContain('Retry-After of 120 s');
      expect(error.message).toContain('retry.maxRetryAfterMs (60 s)');
      expect(error.message.split('\n')).toHaveLength(1);
    });
  }
});
