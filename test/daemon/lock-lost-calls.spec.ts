import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AepClient } from '../../src/aep/types.js';
import { DEFAULT_OPERATION_POLL } from '../../src/apply/clock.js';
import { startController } from '../../src/daemon/controller.js';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventually } from './helpers/controller.js';
import { controllerOptions, twoRequestsAnHour } from './helpers/start-options.js';
import { takeOverDirLock } from '../helpers/taken-over-lock.js';

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** `client` whose first create answer is held until `release` (the service made the audience). */
function holdingFirstCreate(client: AepClient) {
  let answered!: () => void;
  let release!: () => void;
  const firstAnswered = new Promise<void>((resolve) => (answered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let creates = 0;
  const held: AepClient = {
    ...client,
    createAudience: async (sandbox, body, options) => {
      const first = (creates += 1) === 1;
      const answer = await client.createAudience(sandbox, body, options);
      if (first) {
        answered();
        await released;
      }
      return answer;
    },
  };
  return { client: held, firstAnswered, release };
}

describe('a controller whose directory store lock is taken over mid-pass', () => {
  it('sends none of the calls its pass had queued: the pass ends without them', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-lock-lost-'));
    const dir = path.join(root, 'manifests');
    const stateDir = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(stateDir);
    for (const name of ['a', 'b'])
      await writeFile(path.join(dir, `${name}.yaml`), manifestYaml(name, { ingestion: { onCreate: false } }));

    // Operations done at once: the audience made is listed the moment it is made.
    await withEmulator({ operationDelayMs: 0 }, async (emulator) => {
      const creates = () =>
        emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length;
      let hold: ReturnType<typeof holdingFirstCreate> | undefined;
      // Two requests an hour: the clock read and the first create go out, every other call of
      // the pass waits in the client's budget, as calls do behind a busy budget or a 429's Retry-After.
      const controller = await startController(
        controllerOptions(
          dir,
          { kind: 'dir', dir: stateDir },
          {
            connect: (extras) => {
              hold = holdingFirstCreate(twoRequestsAnHour(emulator, extras));
              return Promise.resolve({
                client: hold.client,
                target: 'emulator',
                close: () => Promise.resolve(),
              });
            },
            // A stop cuts what is left at once (the spec's end, or its failure).
            shutdownGraceMs: 1_000,
          },
          { dryRun: false, operationPoll: { ...DEFAULT_OPERATION_POLL, firstMs: 10, maxMs: 40 } },
        ),
      );
      try {
        await eventually(() => hold, Boolean, 10_000, 'the client');
        await hold!.firstAnswered;
        // Both creates are under way: one made, its answer not yet recorded; the other queued.
        const store = new FileStateStore(stateDir);
        await eventually(
          async () => (await store.readAll()).audiences.filter((record) => record.intent?.kind === 'create'),
          (intents) => intents.length === 2,
          10_000,
          'both create intents',
        );
        // The process stalled past the stale limit and another one took the lock over (it
        // may be settling this one's intents now): its next write finds the lock lost.
        await takeOverDirLock(stateDir);
        hold!.release();
        // Nothing has asked the controller to stop: the pass ends because it lost the lock.
        await controller.reconciler.settled();
        expect(creates()).toBe(1);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(1);
      } finally {
        await controller.stop('test over');
      }
    });
  });
});
