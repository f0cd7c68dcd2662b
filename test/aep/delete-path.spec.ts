import { describe, expect, it } from 'vitest';
import type { AepError } from '../../src/aep/errors.js';
import type { AepClient } from '../../src/aep/types.js';
import { createAepClientFromConfig, parseConfigText, resolveAepConfig } from '../../src/config.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { executorEnv, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';
import { failure } from './helpers.js';

/**
 * The page writes the DELETE path without a trailing slash ("API format") and with one (its
 * curl sample). Against a service that serves only the curl's spelling, the other is a 404:
 * read as "already deleted", the record went and the audience stayed, with "deleted" reported.
 */
describe('a removed manifest against a service that serves DELETE at one spelling only', () => {
  it.each(['slash', 'bare'] as const)('deletes the audience (deletePath %s)', async (deletePath) => {
    await withExecutor({ compat: { deletePath } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';

      const outcome = await env.apply([gold]);
      const deleted = outcome.report?.results.find((result) => result.step.key === 'silver');
      expect(deleted?.status).toBe('applied');
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName)).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
      const answered = env.emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'deleteAudience' && entry.status === 204)
        .map((entry) => entry.path);
      const expected = `/data/core/ais/external-audience/${silverId}${deletePath === 'slash' ? '/' : ''}`;
      expect(answered).toEqual([expected]);
    });
  });
});

describe('an apply with api.deletePath: slash against a service that serves DELETE bare only', () => {
  it('fails the delete step, keeps the record, and the audience stays', async () => {
    await withExecutor({ compat: { deletePath: 'bare' } }, async ({ emulator, stateDir }) => {
      const env = executorEnv(emulator, stateDir, undefined, { deletePath: 'slash' });
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const recorded = await env.store().get('prod', 'silver');
      const silverId = recorded?.audienceId ?? 'missing';

      const outcome = await env.apply([gold]);
      const deleted = outcome.report?.results.find((result) => result.step.key === 'silver');
      expect(deleted?.status).toBe('failed');
      expect(deleted?.message).toBe(
        `DELETE failed: AEP answered DELETE /external-audience/${silverId}/ with HTTP 404 while the audience's runs list answers: AEP may not serve this spelling of the DELETE path (api.deletePath: slash), so nothing is read as "already deleted" (deleteAudience in sandbox "prod"). Set api.deletePath to bare, or to auto to let audiencectl find the spelling.`,
      );
      expect((await env.store().get('prod', 'silver'))?.audienceId).toBe(silverId);
      const remote = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName).sort()).toEqual([
        'Audience gold',
        'Audience silver',
      ]);
    });
  });

  // The DELETE's first attempt answered 500 (its outcome unknown), its retry the service's 404 at
  // a spelling it may not serve: nothing says the audience gone, so the intent stays, as after any
  // other answer that ends a DELETE's retries (the 404 alone was said, and the intent cleared).
  it('keeps the delete intent when the 404 comes after a 500, its outcome unknown', async () => {
    await withExecutor({ compat: { deletePath: 'bare' } }, async ({ emulator, stateDir }) => {
      const env = executorEnv(emulator, stateDir, undefined, { deletePath: 'slash' });
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';

      emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience' });
      const outcome = await env.apply([gold]);
      const deleted = outcome.report?.results.find((result) => result.step.key === 'silver');
      expect(deleted?.status).toBe('failed');
      expect(deleted?.message).toMatch(
        new RegExp(
          `^DELETE failed: AEP failed to process the request; retry later \\(deleteAudience in sandbox "prod"; HTTP 500, .*The change may or may not have been made\\. It was retried, and the last attempt did not settle it: AEP answered DELETE /external-audience/${silverId}/ with HTTP 404 while the audience's runs list answers: either the attempt before it deleted the audience, or AEP does not serve this spelling of the DELETE path \\(api\\.deletePath: slash\\); the next apply reads the service to tell \\(deleteAudience in sandbox "prod"\\); its delete intent is kept, from which the next apply settles it$`,
        ),
      );
      const kept = await env.store().get('prod', 'silver');
      expect(kept?.audienceId).toBe(silverId);
      expect(kept?.intent?.kind).toBe('delete');
      const remote = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName).sort()).toEqual([
        'Audience gold',
        'Audience silver',
      ]);
    });
  });
});

type Served = 'both' | 'bare' | 'slash';
type Setting = 'auto' | 'bare' | 'slash';
type Ended = 'deleted' | 'AEP_NOT_FOUND' | 'AEP_UNEXPECTED_RESPONSE';

/**
 * `api.deletePath` against an emulator serving DELETE at `served`: the requests one call
 * makes (spelling or `runs`, and status) and how it ends; then, the audience gone, again.
 * A fixed spelling is the only one sent; its 404 is "gone" only when the runs list is a 404 too.
 */
const CASES: [Served, Setting, [string[], Ended], [string[], Ended]][] = [
  ['both', 'auto', [['bare 204'], 'deleted'], [['bare 404', 'slash 404'], 'AEP_NOT_FOUND']],
  ['both', 'bare', [['bare 204'], 'deleted'], [['bare 404', 'runs 404'], 'AEP_NOT_FOUND']],
  ['both', 'slash', [['slash 204'], 'deleted'], [['slash 404', 'runs 404'], 'AEP_NOT_FOUND']],
  ['bare', 'auto', [['bare 204'], 'deleted'], [['bare 404', 'slash 404'], 'AEP_NOT_FOUND']],
  ['bare', 'bare', [['bare 204'], 'deleted'], [['bare 404', 'runs 404'], 'AEP_NOT_FOUND']],
  [
    'bare',
    'slash',
    [['slash 404', 'runs 200'], 'AEP_UNEXPECTED_RESPONSE'],
    [['slash 404', 'runs 404'], 'AEP_NOT_FOUND'],
  ],
  ['slash', 'auto', [['bare 404', 'slash 204'], 'deleted'], [['slash 404', 'bare 404'], 'AEP_NOT_FOUND']],
  [
    'slash',
    'bare',
    [['bare 404', 'runs 200'], 'AEP_UNEXPECTED_RESPONSE'],
    [['bare 404', 'runs 404'], 'AEP_NOT_FOUND'],
  ],
  ['slash', 'slash', [['slash 204'], 'deleted'], [['slash 404', 'runs 404'], 'AEP_NOT_FOUND']],
];

describe('api.deletePath: auto, or one spelling only', () => {
  const emulator = useEmulator();

  /** A client built from a configuration file's text, as the CLI builds it. */
  function clientWith(setting: Setting) {
    const parsed = parseConfigText(`baseUrl: ${emulator().apiBaseUrl}
imsUrl: ${emulator().imsUrl}
credentials: { clientId: ${DEMO_CLIENT.clientId}, clientSecretEnv: DEMO_SECRET, orgId: ${DEMO_CLIENT.orgId} }
api: { deletePath: ${setting} }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const resolved = resolveAepConfig({
      file: { path: 'audiencectl.yaml', data: parsed.data },
      env: { DEMO_SECRET: DEMO_CLIENT.clientSecret },
      readSecretFile: () => '',
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    return createAepClientFromConfig(resolved.config);
  }

  /** One delete: the requests it made (as in CASES) and how it ended. */
  async function deleteOnce(client: AepClient, id: string): Promise<[string[], Ended]> {
    emulator().control.resetCounters();
    const ended = await client.deleteAudience('prod', id).then(
      () => 'deleted' as const,
      (error: AepError) => error.code as Ended,
    );
    const requests = emulator()
      .control.requestLog()
      .filter((entry) => entry.endpoint === 'deleteAudience' || entry.endpoint === 'listRuns')
      .map((entry) => {
        if (entry.endpoint === 'listRuns') return `runs ${entry.status}`;
        return `${entry.path.endsWith('/') ? 'slash' : 'bare'} ${entry.status}`;
      });
    return [requests, ended];
  }

  it.each(CASES)('served %s, api.deletePath %s', async (served, setting, first, again) => {
    emulator().control.updateSettings({ compat: { deletePath: served } });
    const id = await emulator().createAudience(audienceBody());
    const client = clientWith(setting);
    expect(await deleteOnce(client, id)).toEqual(first);
    const remaining = emulator()
      .control.listAudiences(DEMO_CLIENT.orgId, 'prod')
      .map((audience) => audience.audienceId);
    expect(remaining.includes(id)).toBe(first[1] === 'AEP_UNEXPECTED_RESPONSE');
    if (remaining.includes(id)) emulator().control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', id);
    expect(await deleteOnce(client, id)).toEqual(again);
  });

  it("a 500, then the service's 404 at the fixed spelling while the runs list answers: the 500's outcome kept unknown, the 404 said", async () => {
    emulator().control.updateSettings({ compat: { deletePath: 'bare' } });
    const id = await emulator().createAudience(audienceBody());
    emulator().control.queueFault({ kind: 'error500', endpoint: 'deleteAudience' });
    const error = await failure(clientWith('slash').deleteAudience('prod', id));
    expect(error).toMatchObject({
      code: 'AEP_SERVER_ERROR',
      status: 500,
      platformCode: '100970-500',
      outcomeUnknown: true,
      endpoint: 'deleteAudience',
      method: 'DELETE',
      attempts: 2,
    });
    const [said, why] = error.message.split(' It was retried, and the last attempt did not settle it: ');
    expect(said).toMatch(
      /^AEP failed to process the request; retry later \(deleteAudience in sandbox "prod"; HTTP 500, 100970-500, .*\)\..* The change may or may not have been made\.$/,
    );
    // Not "set api.deletePath to bare": the 500 may have been the service deleting it (review 25, L1).
    expect(why).toBe(
      `AEP answered DELETE /external-audience/${id}/ with HTTP 404 while the audience's runs list answers: either the attempt before it deleted the audience, or AEP does not serve this spelling of the DELETE path (api.deletePath: slash); the next apply reads the service to tell (deleteAudience in sandbox "prod")`,
    );
    expect(
      emulator()
        .control.listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => a.audienceId),
    ).toContain(id);
  });

  it("a 500, then the service's 404 at the fixed spelling, and the runs list refused: the 500's outcome kept unknown, the runs list's failure said", async () => {
    emulator().control.updateSettings({ compat: { deletePath: 'bare' } });
    const id = await emulator().createAudience(audienceBody());
    emulator().control.queueFault({ kind: 'error500', endpoint: 'deleteAudience' });
    emulator().control.queueFault({ kind: 'clientError', status: 403, endpoint: 'listRuns' });
    const error = await failure(clientWith('slash').deleteAudience('prod', id));
    expect(error).toMatchObject({
      code: 'AEP_SERVER_ERROR',
      status: 500,
      outcomeUnknown: true,
      endpoint: 'deleteAudience',
      method: 'DELETE',
    });
    const [said, why] = error.message.split(' It was retried, and the last attempt did not settle it: ');
    expect(said).toMatch(
      /^AEP failed to process the request; retry later \(deleteAudience in sandbox "prod"; HTTP 500, /,
    );
    expect(why).toMatch(
      /^AEP answered the DELETE with HTTP 404, and the audience's runs list, read to tell whether it is gone, failed: client \S+ is not allowed to do this: .*\(listRuns in sandbox "prod"; HTTP 403/,
    );
  });

  it('says which spelling is not served and what to set, not "gone"', async () => {
    emulator().control.updateSettings({ compat: { deletePath: 'bare' } });
    const id = await emulator().createAudience(audienceBody());
    const error = await failure(clientWith('slash').deleteAudience('prod', id));
    expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 404, outcomeUnknown: false });
    expect(error.message).toBe(
      `AEP answered DELETE /external-audience/${id}/ with HTTP 404 while the audience's runs list answers: AEP may not serve this spelling of the DELETE path (api.deletePath: slash), so nothing is read as "already deleted" (deleteAudience in sandbox "prod"). Set api.deletePath to bare, or to auto to let audiencectl find the spelling.`,
    );
  });
});
