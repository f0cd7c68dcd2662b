import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { DirectorySource } from '../../src/source/dir-source.js';
import { manifestYaml } from '../helpers/manifests.js';
import { remoteAudiences, withInProcessController } from './helpers/in-process.js';

// Review verify-40, M-1 (of de19e5d4): the desired cache now knows when a pass read a file other
// than the revision its sync digested (DesiredCache.unsettled), and reads it again at the next
// pass; but the pass that read it still plans, and applies, from the half read. Its only guard is
// the file's modification time (daemon/writing.ts): a writer that sets it back (tar or unzip of
// the same bundle again, `cp -p`, `rsync -t`: the bytes end as the sync saw them, the time as
// the archive says) leaves none, and the audiences of the documents not yet written when the
// pass read the file are deleted, their manifests on disk, in the revision the pass planned.

const SETTLE_MS = 300;
const quiet = { ingestion: { onCreate: false } } as const;
const docs = (n: number) =>
  Array.from({ length: n }, (_, i) => manifestYaml(`aud-${i + 1}`, quiet)).join('---\n');

afterEach(() => vi.restoreAllMocks());

it('a pass that read a file other than its revision deletes nothing from that read', async () => {
  let wall = 0;
  await withInProcessController({ writeSettleMs: SETTLE_MS, fileClock: () => wall }, async (controller) => {
    const file = path.join(controller.dir, 'all.yaml');
    await writeFile(file, docs(10));
    const written = await stat(file);
    // The pass reads a minute after the file was written: quiet.
    wall = written.mtimeMs + 60_000;
    controller.reconciler.trigger('retry');
    await controller.reconciler.settled();
    const created = remoteAudiences(controller);
    expect(created).toHaveLength(10);

    // The bundle is extracted again (the same bytes) just as the resync (a full read) syncs: the sync
    // digests the whole file, then the extraction truncates it and has written nine documents
    // when the pass reads it; it ends with the archive's time, the one the file had.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to the source's own `this` below
    const sync = DirectorySource.prototype.sync;
    let armed = true;
    vi.spyOn(DirectorySource.prototype, 'sync').mockImplementation(async function (
      this: DirectorySource,
      ...args: Parameters<DirectorySource['sync']>
    ) {
      const revision = await sync.apply(this, args);
      if (armed) {
        armed = false;
        await writeFile(file, docs(9));
        await utimes(file, written.atime, written.mtime);
      }
      return revision;
    });
    controller.reconciler.trigger('resync');
    await controller.reconciler.settled();
    expect(armed).toBe(false);
    // The cache knew: the pass read the file other than its revision names it.
    expect(controller.logs.map((l) => l.msg)).toContain(
      'files changed while the pass read them: read again at the next pass',
    );
    // The revision the pass planned for names all ten documents: nothing is removed.
    expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0 });
    expect(remoteAudiences(controller)).toEqual(created);
    expect(controller.reconciler.planMarkdown()).toContain(
      'all.yaml was being written when the pass read it; the removal waits for the next pass',
    );

    // The extraction ends: the bytes the sync saw, the archive's time. The next pass reads the
    // file again and holds nothing.
    await writeFile(file, docs(10));
    await utimes(file, written.atime, written.mtime);
    controller.reconciler.trigger('watch');
    await controller.reconciler.settled();
    expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 0 });
    expect(remoteAudiences(controller)).toEqual(created);
  });
});
