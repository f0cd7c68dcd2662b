import { afterEach, describe, expect, it } from 'vitest';

import { clientOfFake, json, LIMIT_REFUSED, startFakeAep, type FakeAep } from './fake-aep.js';

// Review verify-40, H-1 (of 4cf9311a, runs-40 H-2): a bare runs list of more than 20 runs without
// `_page.totalCount` is now read as the whole list, "cut at no page". A service that refuses
// limit/sortBy but says the page it cut at (`_page.limit` 40, `_page.count` 40: the page the
// API's commented-out parameters allow at most), oldest first, is read as whole: the newest runs
// past the page (a run in progress another store started) are taken as not there.

const AUDIENCE = 'aud-page';
const NOW = 1_796_000_000;
/** 45 runs, oldest first, the newest still PROCESSING. */
const allRuns = Array.from({ length: 45 }, (_, i) => ({
  runId: `run-${String(i).padStart(2, '0')}`,
  audienceId: AUDIENCE,
  status: i === 44 ? 'PROCESSING' : 'SUCCESS',
  dataFilterStartTime: 1_700_000_000 + i,
  createdAt: NOW - (44 - i) * 3600,
}));
const PAGE = 40;

let fake: FakeAep | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('a bare runs list that says the page it was cut at, without totalCount', () => {
  it('is not read as the whole list: the run in progress past its page is listed', async () => {
    fake = await startFakeAep();
    fake.fallback((request) => {
      const url = new URL(request.url, 'http://fake');
      if (url.searchParams.has('limit') || url.searchParams.has('sortBy')) return LIMIT_REFUSED;
      const start = Number(url.searchParams.get('start') ?? '0');
      const runs = allRuns.slice(start, start + PAGE);
      return json(200, { runs, _page: { limit: PAGE, count: runs.length } });
    });
    const client = clientOfFake(fake);
    const listed = await client.listRuns('prod', AUDIENCE);
    const ids = listed.map((run) => run.runId);
    // Said whole, it must hold the run in progress; it holds 40 and says it is whole.
    expect({ complete: listed.complete, newest: ids.includes('run-44') }).not.toEqual({
      complete: true,
      newest: false,
    });
    expect(ids).toContain('run-44');
    expect(listed).toHaveLength(45);
  });
});
