import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController, remoteAudiences } from './helpers/in-process.js';

/**
 * Review-controller item 1: with --dir, a pass that reads a manifest file still being written
 * must not delete the audiences of the documents not yet written. Time is the file clock the
 * test sets from the file's own modification time, so "read 50 ms after the last write" and
 * "left quiet" do not depend on the machine's speed.
 */
const SETTLE_MS = 300;
const HELD = 'all.yaml was being written when the pass read it; the removal waits for the next pass';

/** `aud-1` … `aud-n`, one YAML stream. */
function documents(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    manifestYaml(`aud-${i + 1}`, { ingestion: { onCreate: false } }),
  ).join('---\n');
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met after 60 s');
    await sleep(20);
  }
}

describe('the controller with --dir and a manifest file still being written', () => {
  it('holds the removals of a file written within the debounce, then deletes once it stays quiet', async () => {
    let wall = 0;
    await withInProcessController({ writeSettleMs: SETTLE_MS, fileClock: () => wall }, async (controller) => {
      const file = path.join(controller.dir, 'all.yaml');
      const write = async (n: number) => {
        await writeFile(file, documents(n));
        return (await stat(file)).mtimeMs;
      };
      const pass = async (reason: 'retry' | 'watch' = 'retry') => {
        controller.reconciler.trigger(reason);
        await controller.reconciler.settled();
      };

      wall = (await write(4)) + 60_000;
      await pass();
      const created = remoteAudiences(controller, true);
      expect(created.map((a) => a.split(' ')[1])).toEqual(['aud-1', 'aud-2', 'aud-3', 'aud-4']);

      // Truncated and rewritten up to its third document; the pass reads it 50 ms later.
      const partial = await write(3);
      wall = partial + 50;
      await pass();
      expect(remoteAudiences(controller, true)).toEqual(created);
      expect(controller.reconciler.planMarkdown()).toContain(HELD);
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 1 });
      const heldLog = controller.logs.findLast((l) => l.msg?.startsWith('removals held'));
      expect(heldLog?.['quietAt']).toBe(new Date(partial + SETTLE_MS).toISOString());

      // The writer finishes: the next pass changes nothing.
      wall = (await write(4)) + 50;
      await pass('watch');
      expect(remoteAudiences(controller, true)).toEqual(created);
      expect((await controller.status()).plan?.summary).toMatchObject({ create: 0, delete: 0, held: 0 });

      // Genuinely shortened: held while it may still be written, then the file stays quiet
      // and the pass that follows by itself (no trigger from the test) deletes aud-4.
      const shortened = await write(3);
      wall = shortened + 50;
      await pass('watch');
      expect(remoteAudiences(controller, true)).toEqual(created);
      expect(controller.reconciler.planMarkdown()).toContain(HELD);
      wall = shortened + 60_000;
      await until(() => remoteAudiences(controller, true).length === 3);
      await controller.reconciler.settled();
      expect(remoteAudiences(controller, true)).toEqual(created.slice(0, 3));
      const settle = controller.logs.filter((l) => l.msg === 'reconcile started').at(-1);
      expect(settle?.['reasons']).toEqual(['settle']);
    });
  });
});
