import { describe, expect, it } from 'vitest';
import type { ObservedRequest } from '../../src/emulator/index.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, failure, spec } from './helpers.js';

/**
 * What the client sends to the Audiences API (/data/core/ups), as the emulator's request
 * observer sees it: the list's paging parameters, and failed answers never read as an answer.
 */
describe('Audiences API requests as the emulator observes them', () => {
  const emulator = useEmulator({ admin: true });
  const org = () => emulator().client.orgId;

  /** The requests answered while `action` runs (the observer is removed after it). */
  async function observed(action: () => Promise<unknown>): Promise<ObservedRequest[]> {
    const seen: ObservedRequest[] = [];
    const stop = emulator().control.observeRequests((request) => void seen.push(request));
    try {
      await action();
    } finally {
      stop();
    }
    return seen;
  }

  const queryOf = (request: ObservedRequest) =>
    Object.fromEntries(new URL(request.url, 'http://emulator.invalid').searchParams);

  it('reports each page of a list read to its end, with the paging parameters sent', async () => {
    const tag = `observed-${Math.random().toString(36).slice(2, 8)}`;
    // 51 audiences whose names contain the tag: two pages of 50.
    for (let index = 0; index < 51; index += 1) {
      emulator().control.uiCreateAudience(org(), 'pages', spec({ name: `${tag} ${index}` }));
    }
    const aep = clientFor(emulator());
    let found: unknown[] = [];
    const requests = await observed(async () => {
      found = await aep.findAudiencesNameContains('pages', tag);
    });
    expect(found).toHaveLength(51);
    expect(
      requests.map(({ endpoint, method, sandbox, status }) => ({ endpoint, method, sandbox, status })),
    ).toEqual([
      { endpoint: 'listAudiences', method: 'GET', sandbox: 'pages', status: 200 },
      { endpoint: 'listAudiences', method: 'GET', sandbox: 'pages', status: 200 },
    ]);
    expect(requests.map(queryOf)).toEqual([
      { name: tag, start: '0', limit: '50' },
      { name: tag, start: '50', limit: '50' },
    ]);
    expect(requests.map((request) => new URL(request.url, 'http://emulator.invalid').pathname)).toEqual([
      '/data/core/ups/audiences',
      '/data/core/ups/audiences',
    ]);
  });

  it('a name lookup whose every list request failed is an error, not "no audience"', async () => {
    const body = spec();
    emulator().control.uiCreateAudience(org(), 'failing', body);
    emulator().control.queueFault({ kind: 'error500', endpoint: 'listAudiences', count: 50 });
    const aep = clientFor(emulator());
    let error: unknown;
    const requests = await observed(async () => {
      error = await failure(aep.findAudiencesByName('failing', body.name));
    });
    emulator().control.clearFaults();
    expect(error).toMatchObject({ code: 'AEP_SERVER_ERROR' });
    // The first attempt and its 4 retries, every one answered 500: none was read as a list.
    expect(requests.map(({ endpoint, status }) => ({ endpoint, status }))).toEqual(
      Array.from({ length: 5 }, () => ({ endpoint: 'listAudiences', status: 500 })),
    );
    expect(queryOf(requests[0] as ObservedRequest)).toEqual({
      property: `name==${body.name}`,
      start: '0',
      limit: '50',
    });
    // The audience is there once the service answers.
    expect((await aep.findAudiencesByName('failing', body.name)).map((a) => a.name)).toEqual([body.name]);
  });

  it('a lookup answered by a proxy\'s 404 page is an error, not "gone"; bulk-get is reported too', async () => {
    const audience = emulator().control.uiCreateAudience(org(), 'lookups', spec());
    const aep = clientFor(emulator());
    emulator().control.queueFault({ kind: 'notFoundPage', endpoint: 'getAudience' });
    let error: unknown;
    const lookups = await observed(async () => {
      error = await failure(aep.getAudience('lookups', audience.id));
    });
    expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 404, endpoint: 'getAudience' });
    expect(lookups.map(({ endpoint, method, status }) => ({ endpoint, method, status }))).toEqual([
      { endpoint: 'getAudience', method: 'GET', status: 404 },
    ]);
    expect(new URL((lookups[0] as ObservedRequest).url, 'http://emulator.invalid').pathname).toBe(
      `/data/core/ups/audiences/${audience.id}`,
    );
    const bulk = await observed(() => aep.bulkGetAudiences('lookups', [audience.id]));
    expect(
      bulk.map(({ endpoint, method, sandbox, status }) => ({ endpoint, method, sandbox, status })),
    ).toEqual([{ endpoint: 'bulkGetAudiences', method: 'POST', sandbox: 'lookups', status: 207 }]);
  });
});
