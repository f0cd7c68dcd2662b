import { afterEach, describe, expect, it } from 'vitest';

import { matchRun } from '../../src/apply/adopt-run.js';
import { clientOfFake, json, LIMIT_REFUSED, startFakeAep, type FakeAep } from '../aep/fake-aep.js';

// A service of the page's other readings of the runs list at once: limit/sortBy refused (a 400
// naming them), no `_page` (commented out of the page's sample), and the bare list one page of
// 20 (the page's commented-out default), oldest first (its order is not promised). The
// emulator's `runsListParams: refused` never cuts its bare list, so a plain HTTP server plays it.
// After a run request whose answer was lost, the run it started is the newest: not on the page.
// The client's own model (RUNS_DEFAULT_PAGE, mayBeCutList) says such a list may be cut; yet the
// adoption reads it as "the request started no run" because the listed runs' times differ, so
// the executor clears the intent and the next apply starts a second run.

const AUDIENCE = 'aud-1';
const NOW = 1_796_000_000;
/** 25 runs of the audience, one an hour, the last (index 24) the one the lost request started. */
const allRuns = Array.from({ length: 25 }, (_, i) => ({
  runId: `run-${String(i).padStart(2, '0')}`,
  audienceId: AUDIENCE,
  status: i === 24 ? 'PROCESSING' : 'SUCCESS',
  dataFilterStartTime: i === 24 ? NOW - 3600 : 1_700_000_000 + i,
  createdAt: i === 24 ? NOW + 5 : NOW - (24 - i) * 3600,
}));

let fake: FakeAep | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('a bare runs list cut at its default page, oldest first, without _page', () => {
  it('is not read as "no run" after a lost start answer', async () => {
    fake = await startFakeAep();
    fake.fallback((request) =>
      request.url.includes('limit=') || request.url.includes('sortBy=')
        ? LIMIT_REFUSED
        : json(200, { runs: allRuns.slice(0, 20) }),
    );
    const client = clientOfFake(fake);
    const listed = await client.listRuns('prod', AUDIENCE);
    expect(listed.map((run) => run.runId)).not.toContain('run-24');

    // Every run before the request is audiencectl's own (recorded); the list before the
    // request was the same cut page (listedAll false).
    const known = new Set(allRuns.slice(0, 24).map((run) => run.runId));
    const match = matchRun(
      listed,
      {
        dataFilterStartTime: NOW - 3600,
        knownRunIds: allRuns.slice(0, 20).map((r) => r.runId),
        listedAll: false,
      },
      NOW,
      known,
    );
    expect(match.kind).not.toBe('none');
  });
});
