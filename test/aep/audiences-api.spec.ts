import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/** The Audiences API (/data/core/ups/audiences) in the client and the emulator. */
describe('the Audiences API', () => {
  const emulator = useEmulator({ operationDelayMs: 30, admin: true });
  const org = () => emulator().client.orgId;

  it('shows an external audience once its operation succeeded, with the reference fields', async () => {
    const aep = clientFor(emulator());
    const body = spec({ labels: ['core/C1'], ttlInDays: 40 });
    emulator().control.setDelays({ operationDelayMs: 1000 });
    const created = await aep.createAudience('prod', body);
    emulator().control.setDelays({ operationDelayMs: 30 });
    expect(await aep.findAudiencesByName('prod', body.name)).toEqual([]);
    const id = await createAndWaitFor(aep, created.operationId);
    const [found, ...others] = await aep.findAudiencesByName('prod', body.name);
    expect(others).toEqual([]);
    expect(found).toMatchObject({
      id,
      audienceId: id,
      name: body.name,
      description: 'A test audience',
      type: 'ExternalSegment',
      originName: 'CUSTOM_UPLOAD',
      namespace: 'CustomerAudienceUpload',
      labels: ['core/C1'],
      ttlInDays: 40,
      lifecycleState: 'active',
      createdBy: `${emulator().client.clientId}@techacct.adobe.com`,
    });
    expect(found?.sandbox).toMatchObject({ sandboxName: 'prod' });
    expect(found?.creationTime).toBe((found?.createEpoch ?? 0) * 1000);
    expect(await aep.getAudience('prod', id)).toMatchObject({ id, name: body.name });
    // Another sandbox sees nothing of it.
    expect(await aep.getAudience('dev', id)).toBeUndefined();
  });

  it('lists with exact property, name contains (any case), sort and pages', async () => {
    const aep = clientFor(emulator());
    const tag = `list-${Math.random().toString(36).slice(2, 8)}`;
    const names = ['b', 'a', 'c'].map((letter) => `Paged ${tag} ${letter}`);
    for (const name of names) await createAndWait(aep, 'qa', spec({ name }));
    const first = await aep.listAudiences('qa', { name: tag.toUpperCase(), sort: 'name:asc', limit: 2 });
    expect(first.audiences.map((a) => a.name)).toEqual([names[1], names[0]]);
    expect(first.totalCount).toBe(3);
    expect(first.next).toBe(2);
    const second = await aep.listAudiences('qa', { name: tag, sort: 'name:asc', limit: 2, start: 2 });
    expect(second.audiences.map((a) => a.name)).toEqual([names[2]]);
    expect(second.next).toBeUndefined();
    const exact = await aep.listAudiences('qa', { property: `name==${names[0]}` });
    expect(exact.audiences.map((a) => a.name)).toEqual([names[0]]);
  });

  it('bulk-get maps every id asked for, in batches, a missing one to undefined', async () => {
    const aep = clientFor(emulator());
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await createAndWait(aep, 'bulk', spec()));
    emulator().control.resetCounters();
    const missing = ['no-such-id', 'no-such-id-2'];
    const found = await aep.bulkGetAudiences('bulk', [...ids, ...missing], { batchSize: 2 });
    expect([...found.keys()]).toEqual([...ids, ...missing]);
    expect(ids.map((id) => found.get(id)?.id)).toEqual(ids);
    expect(missing.map((id) => found.get(id))).toEqual([undefined, undefined]);
    // 5 ids, at most 2 a request: 3 requests.
    const counters = emulator().control.counters().byEndpoint.bulkGetAudiences;
    expect(counters).toMatchObject({ requests: 3, byStatus: { '207': 3 } });
  });

  it('sees what a person did in the UI: edits, deletes, and audiences of other users', async () => {
    const aep = clientFor(emulator());
    const id = await createAndWait(aep, 'ui', spec());
    const gone = await createAndWait(aep, 'ui', spec());
    emulator().control.uiEditAudience(org(), 'ui', id, { name: 'Renamed in the UI', description: 'edited' });
    emulator().control.uiDeleteAudience(org(), 'ui', gone);
    const theirs = emulator().control.uiCreateAudience(org(), 'ui', spec(), 'someone@AdobeID');
    const found = await aep.bulkGetAudiences('ui', [id, gone, theirs.id]);
    expect(found.get(id)).toMatchObject({ name: 'Renamed in the UI', description: 'edited' });
    expect(found.get(gone)).toBeUndefined();
    expect(found.get(theirs.id)).toMatchObject({ createdBy: 'someone@AdobeID', type: 'ExternalSegment' });
    // The admin endpoint does the same over HTTP.
    const response = await fetch(`${emulator().url}/_emulator/audiences/${id}?sandbox=ui`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels: ['core/C5'] }),
    });
    expect(response.status).toBe(200);
    expect((await aep.getAudience('ui', id))?.labels).toEqual(['core/C5']);
  });

  it('inactive audiences: out of a bare list; in filtered ones as the reading of the page says', async () => {
    const aep = clientFor(emulator());
    const body = spec();
    const id = await createAndWait(aep, 'dormant', body);
    emulator().control.uiEditAudience(org(), 'dormant', id, { lifecycleState: 'inactive' });
    const listed = async (property?: string) =>
      (await aep.listAudiences('dormant', property === undefined ? {} : { property })).audiences.map(
        (a) => a.id,
      );
    // Written out, not computed: [bare, name==, audienceId==, lifecycleState==inactive].
    const expected = { property: [[], [id], [id], [id]], audienceId: [[], [], [id], [id]] } as const;
    try {
      for (const listInactive of ['property', 'audienceId'] as const) {
        emulator().control.updateSettings({ compat: { listInactive } });
        const answers = [
          await listed(),
          await listed(`name==${body.name}`),
          await listed(`audienceId==${id}`),
          await listed('lifecycleState==inactive'),
        ];
        expect(answers, listInactive).toEqual(expected[listInactive]);
        expect(await listed('lifecycleState==active'), listInactive).toEqual([]);
      }
    } finally {
      emulator().control.updateSettings({ compat: { listInactive: 'property' } });
    }
  });

  it('an audience deleted through /core/ais disappears', async () => {
    const aep = clientFor(emulator());
    const id = await createAndWait(aep, 'prod', spec());
    await aep.deleteAudience('prod', id);
    expect(await aep.getAudience('prod', id)).toBeUndefined();
  });

  async function createAndWaitFor(aep: ReturnType<typeof clientFor>, operationId: string): Promise<string> {
    for (let i = 0; i < 500; i += 1) {
      const operation = await aep.getOperation('prod', operationId);
      if (operation.status === 'SUCCESS' && operation.audienceId) return operation.audienceId;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('operation did not finish');
  }
});
