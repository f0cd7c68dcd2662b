import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { otherRepositoryCheck, type OtherRepositoryPush } from './other-repository.js';

const silent = pino({ level: 'silent' });
const push = (
  repository: string,
  after: string,
  deliveryId = `${repository}-${after}`,
): OtherRepositoryPush => ({
  ref: 'refs/heads/main',
  after,
  deliveryId,
  repository,
});

/** A remote whose answers the spec releases one at a time. */
function heldRemote(heads: Array<string | undefined | Error>) {
  const asked: Array<() => void> = [];
  let calls = 0;
  const remoteHead = () =>
    new Promise<string | undefined>((resolve, reject) => {
      const answer = heads[calls++];
      asked.push(() => (answer instanceof Error ? reject(answer) : resolve(answer)));
    });
  return { remoteHead, release: () => asked.shift()?.(), calls: () => calls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('otherRepositoryCheck', () => {
  it('syncs only when the followed branch is at the pushed commit', async () => {
    const remote = heldRemote(['a'.repeat(40), undefined, new Error('unreachable'), 'd'.repeat(40)]);
    let syncs = 0;
    const check = otherRepositoryCheck(remote.remoteHead, () => (syncs += 1), silent);
    for (const after of ['b', 'b', 'c', 'd'].map((c) => c.repeat(40))) {
      check(push('acme/segments', after));
      await settle();
      remote.release();
      await settle();
    }
    // Another commit, an unreadable head (undefined, or a failure): ignored; the same commit: synced.
    expect(syncs).toBe(1);
    expect(remote.calls()).toBe(4);
  });

  it('checks one push at a time, the newest per repository named, each once', async () => {
    const remote = heldRemote(['x'.repeat(40), 'w'.repeat(40), 'n'.repeat(40)]);
    const synced: string[] = [];
    let last = '';
    const check = otherRepositoryCheck(
      async () => (last = (await remote.remoteHead()) ?? ''),
      () => synced.push(last),
      silent,
    );
    check(push('acme/first', 'f'.repeat(40)));
    // While the first is checked: two of one repository (the newer replaces the older, and
    // waits behind the other repository's, which came before it), one of another.
    check(push('acme/segments', 'o'.repeat(40)));
    check(push('acme/website', 'w'.repeat(40)));
    check(push('acme/segments', 'n'.repeat(40)));
    for (let i = 0; i < 4; i += 1) {
      await settle();
      remote.release();
    }
    await settle();
    // first (ignored), website (synced), segments' newest (synced); segments' older one never checked.
    expect(remote.calls()).toBe(3);
    expect(synced).toEqual(['w'.repeat(40), 'n'.repeat(40)]);
  });
});
