import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OpenApiValidator } from '../emulator/openapi-validator.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

const SPEC = fileURLToPath(new URL('../../specs/audiences.openapi.yaml', import.meta.url));

/** The emulator's Audiences API answers as specs/audiences.openapi.yaml says. */
describe('specs/audiences.openapi.yaml', () => {
  const emulator = useEmulator({ operationDelayMs: 10 });

  it('describes the list, lookup and bulk-get answers, errors included', async () => {
    const validator = new OpenApiValidator(SPEC);
    const id = await createAndWait(clientFor(emulator()), 'prod', spec({ customAudienceId: 'crm-1' }));
    const headers = { ...(await emulator().headers()), 'content-type': 'application/json' };
    const base = `${emulator().url}/data/core/ups`;
    const calls: [string, string, unknown?][] = [
      ['GET', '/audiences?limit=1'],
      ['GET', '/audiences?limit=0'],
      [`GET`, `/audiences/${id}`],
      ['GET', '/audiences/unknown-id'],
      ['POST', '/audiences/bulk-get', { ids: [{ id }, { id: 'unknown-id' }] }],
      ['POST', '/audiences/bulk-get', { ids: 'not a list' }],
    ];
    const statuses: number[] = [];
    for (const [method, path, body] of calls) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      statuses.push(response.status);
      validator.check(method, path.split('?')[0] ?? path, response.status, await response.json());
    }
    expect(statuses).toEqual([200, 400, 200, 404, 207, 400]);
  });
});
