import { describe, expect, it } from 'vitest';
import { reply, startAlteringProxy } from '../helpers/altering-proxy.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, failure, withRunsListAnswered } from './helpers.js';

/**
 * A key of the service's answer (a runs list keyed by runId, a bulk-get's `results`) is put
 * into the error that refuses its entry. It was put there as the service wrote it: a key with a
 * line break made a message of two lines (in the step's outcome, the log, /status), and a bidi
 * control or an escape sequence in it acted on the terminal that showed it (runsobj-48's
 * "left undone"). It is shown escaped (`\u000A`), and a long one cut short, as every value the
 * CLI quotes is.
 */
const LONG = 'k'.repeat(5000);

describe("a key of the service's answer in the error refusing its entry", () => {
  it('is escaped in a runs list refused for it, one line naming listRuns', async () => {
    await withRunsListAnswered({}, async ({ aep, audienceId, answering }) => {
      answering({ 'run\n1': { runId: 'run-2', status: 'SUCCESS' } });
      let error = await failure(aep.listRuns('prod', audienceId));
      expect(error.code).toBe('AEP_BAD_RESPONSE');
      expect(error.message).toContain('(runs.run\\u000A1.runId: is "run-2", not its key)');
      expect(error.message).not.toMatch(/[\n\r]/);

      answering({ 'run\u202E\u001B[2K1': 5 });
      error = await failure(aep.listRuns('prod', audienceId));
      expect(error.message).toContain('runs.run\\u202E\\u001B[2K1:');
      expect(error.message).not.toContain('\u202E');
      expect(error.message).not.toContain('\u001B');

      answering({ 'run-1': { runId: 'run\u20282' } });
      error = await failure(aep.listRuns('prod', audienceId));
      expect(error.message).toContain('(runs.run-1.runId: is "run\\u20282", not its key)');
      expect(error.message).not.toMatch(/\u2028/);

      answering({ [LONG]: 5 });
      error = await failure(aep.listRuns('prod', audienceId));
      expect(error.message).toContain(`runs.${'k'.repeat(100)}… (5000 characters):`);
      expect(error.message.length).toBeLessThan(500);
    });
  });

  it('is escaped in a bulk-get refused for an entry', async () => {
    await withEmulator({}, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url);
      try {
        const aep = clientFor(emulator, {
          baseUrl: `${proxy.url}/data/core/ais`,
          imsUrl: `${proxy.url}/ims/token/v3`,
        });
        const answering = (key: string) =>
          proxy.alter((answer) =>
            answer.path.endsWith('/audiences/bulk-get')
              ? reply(200, { results: { [key]: { status: 500 } } })
              : undefined,
          );

        answering('a\r\n1');
        let error = await failure(aep.bulkGetAudiences('prod', ['a-1']));
        expect(error.message).toBe(
          'bulk-get gave no usable answer for audience a\\u000D\\u000A1 (status 500)',
        );

        answering(LONG);
        error = await failure(aep.bulkGetAudiences('prod', ['a-1']));
        expect(error.message).toBe(
          `bulk-get gave no usable answer for audience ${'k'.repeat(100)}… (5000 characters) (status 500)`,
        );
      } finally {
        await proxy.close();
      }
    });
  });
});
