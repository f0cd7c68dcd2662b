import type { Logger } from 'pino';
import type { PushNotice } from './types.js';

/** A verified push to the followed branch, of a commit, naming another repository (webhook-route.ts). */
export type OtherRepositoryPush = PushNotice & { after: string; repository: string | undefined };

/** Pushes waiting for a check, the newest per repository named: an organisation's webhook names many. */
const MAX_WAITING = 16;

/**
 * Reads where the followed repository's branch is now (`remoteHead`, one ref listing, no
 * fetch) and syncs when it is at the pushed commit. That is what a rename or a transfer
 * looks like: GitHub names the new owner/name in every push while the old URL still serves
 * the repository, so without this the controller would wait for --interval after each push.
 * Another repository's push is not at the same commit, short of a fork pushing that very
 * commit (which costs one sync of the followed repository, as every push did before pushes
 * were told apart). One check runs at a time; pushes arriving meanwhile wait, the newest
 * per repository named.
 */
export function otherRepositoryCheck(
  remoteHead: () => Promise<string | undefined>,
  sync: () => void,
  log: Logger,
): (push: OtherRepositoryPush) => void {
  const waiting = new Map<string, OtherRepositoryPush>();
  let running = false;
  const check = async (push: OtherRepositoryPush): Promise<void> => {
    const head = await remoteHead().catch(() => undefined);
    const { deliveryId, repository, after } = push;
    if (head !== after) {
      log.info({ deliveryId, reason: 'other-repository', repository, after, head }, 'webhook ignored');
      return;
    }
    log.warn(
      { deliveryId, repository, after },
      'webhook push names another repository, but the followed branch is at its commit: the repository was probably renamed or transferred (set git.url, --repo, to its new address); sync triggered',
    );
    sync();
  };
  const drain = async (): Promise<void> => {
    running = true;
    try {
      for (let next = first(waiting); next; next = first(waiting)) await check(next);
    } finally {
      running = false;
    }
  };
  return (push) => {
    const name = push.repository ?? '';
    waiting.delete(name);
    waiting.set(name, push);
    const oldest = waiting.keys().next();
    if (waiting.size > MAX_WAITING && !oldest.done) waiting.delete(oldest.value);
    if (!running) void drain();
  };
}

/** The oldest waiting push, taken out. */
function first(waiting: Map<string, OtherRepositoryPush>): OtherRepositoryPush | undefined {
  const [name, push] = waiting.entries().next().value ?? [];
  if (name !== undefined) waiting.delete(name);
  return push;
}
