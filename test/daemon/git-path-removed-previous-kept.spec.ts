import { expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from '../daemon/helpers/in-process.js';

// docs/controller.md, "A pass": a sync failure leaves "the previous revision checked out, and
// forced passes (resync, retry, requeue) reconcile it meanwhile". A push that moves the
// manifests out of --path fails the sync only after the checkout update has moved the previous
// revision's tree into the new one's place: every forced pass failed on a work-dir path that no
// longer existed (ENOENT), and the last revision synced was never reconciled again (review 40, F-2).

const quiet = { ingestion: { onCreate: false } };

it('a push that removes --path: forced passes still reconcile the last revision synced', async () => {
  await withInProcessController({ source: 'git' }, async ({ git, reconciler, status, emulator }) => {
    const remote = () =>
      emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .map((a) => `${a.audienceName}: ${a.description}`);
    const repo = git!;
    const first = await repo.commit({ 'audiences/a.yaml': manifestYaml('a', quiet) });
    reconciler.trigger('startup');
    await reconciler.settled();
    expect((await status()).reconcile).toMatchObject({ lastResult: 'success', lastRevision: first });

    // The manifests move elsewhere in the repository: --path is no longer a directory.
    await repo.commit({ 'audiences/a.yaml': null, 'moved/a.yaml': manifestYaml('a', quiet) });
    reconciler.trigger('webhook');
    await reconciler.settled();
    expect((await status()).source.lastError?.code).toBe('SOURCE_PATH_NOT_FOUND');

    // A forced pass (the refresh interval, a retry): the last revision synced is reconciled.
    reconciler.trigger('retry');
    await reconciler.settled();
    const after = await status();
    expect(after.source.lastError?.code).toBe('SOURCE_PATH_NOT_FOUND');
    expect(after.reconcile.lastError).toBeNull();
    expect(after.reconcile).toMatchObject({ lastResult: 'success', lastRevision: first });
    expect(remote()).toEqual(['Audience a: About a']);

    // The manifests come back under --path, edited: the next push is reconciled.
    const back = await repo.commit({
      'moved/a.yaml': null,
      'audiences/a.yaml': manifestYaml('a', { ...quiet, spec: { description: 'Back' } }),
    });
    reconciler.trigger('webhook');
    await reconciler.settled();
    const last = await status();
    expect(last.source.lastError).toBeNull();
    expect(last.reconcile).toMatchObject({ lastResult: 'success', lastRevision: back, lastError: null });
    expect(remote()).toEqual(['Audience a: Back']);
  });
});
