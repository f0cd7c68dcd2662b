import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudienceReads } from '../aep/types.js';
import { startEmulator, type RunningEmulator } from '../emulator/index.js';
import type { LoadResult } from '../manifest/load.js';
import { clientFor } from '../../test/aep/helpers.js';
import { colleagueAudience } from '../../test/helpers/with-emulator.js';
import { readAdoptView } from './adopt-read.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await emulator.close();
});

/** The part of a loaded manifest readAdoptView reads. */
function adopting(key: string, name: string): LoadResult['manifests'][number] {
  return { sandbox: 'prod', key, manifest: { spec: { name } } } as unknown as LoadResult['manifests'][number];
}

describe('readAdoptView', () => {
  // `Audience` is the longest ASCII run of each name: its listing can hold every audience of the
  // sandbox (up to 80 pages), and was read again for each manifest.
  it('lists the audiences whose name holds a fragment once per sandbox, for every manifest it serves', async () => {
    colleagueAudience(emulator, { name: 'Audience\u00a0silver' });
    const client = clientFor(emulator);
    const fragments: string[] = [];
    const counting: Pick<AudienceReads, 'findAudiencesByName' | 'findAudiencesNameContains'> = {
      findAudiencesByName: (sandbox, name, options) => client.findAudiencesByName(sandbox, name, options),
      findAudiencesNameContains: (sandbox, part, options) => {
        fragments.push(part);
        return client.findAudiencesNameContains(sandbox, part, options);
      },
    };
    const view = await readAdoptView(
      [
        adopting('gold', 'Audience gold'),
        adopting('silver', 'Audience silver'),
        adopting('bronze', 'AUDIENCE bronze'),
      ],
      counting,
      { now: Date.parse('2026-12-04T20:00:00Z') },
    );
    expect(fragments).toEqual(['Audience']);
    expect(view.byKey['prod/gold']).toEqual([]);
    expect(view.byKey['prod/silver']?.map((audience) => audience.name)).toEqual(['Audience\u00a0silver']);
    expect(view.byKey['prod/bronze']).toEqual([]);
  });
});
