import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { audiencesByName, manifest, runsByName, story } from '../helpers/cli-story.js';

// Review 33b, M-1. Two applies of the same manifests with two state stores (two CI jobs, or a store and the one
// `state migrate` copied it from: docs/state.md says both happen, and that "two stores must not
// manage one audience, each would delete or re-create it on its own"). Job B's create POST is
// answered 500 (the service did nothing); while that answer is on its way, job A creates the
// audience and starts its first run. B then resolves its unknown create by name, finds A's
// audience (created after B's intent, by the same technical account), adopts it as "the audience
// an interrupted create made", and starts a second "first run after creation", although the
// runs list it reads before the POST shows the audience already has a run it did not start.
// Seen first in a free race (two applies, faults 500/drop): two audiences adopted by the other
// store, one with two runs.

describe('two stores racing on one create', () => {
  it('do not both manage the audience, and its first run is started once', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const a = await story(emulator, path.join(dir, 'a'));
        const b = await story(emulator, path.join(dir, 'b'));
        const text = manifest('race-a', 'Race A');
        await a.write({ 'a.yaml': text });
        await b.write({ 'a.yaml': text });

        // B's create: the service refuses it with a 500 (nothing made), and its answer is held
        // until A's whole apply is done.
        emulator.control.queueFault({ kind: 'error500', endpoint: 'createAudience', count: 1 });
        let hit!: () => void;
        const bPosted = new Promise<void>((resolve) => (hit = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const stop = emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'createAudience' || request.status !== 500) return undefined;
          hit();
          return released;
        });
        try {
          const bApply = b.apply();
          await bPosted;
          const aApply = await a.apply();
          expect(aApply.code).toBe(0);
          expect(aApply.stdout).toMatch(/ok {7}prod\/race-a create: created /);
          expect(runsByName(emulator)).toEqual({ 'Race A': 1 });
          release();
          const bResult = await bApply;
          expect(audiencesByName(emulator)).toEqual({ 'Race A': 1 });
          // Expected: one first run, and store B does not take A's audience as its own.
          expect(runsByName(emulator), 'runs started on the service').toEqual({ 'Race A': 1 });
          expect(bResult.stdout).not.toMatch(/ok {7}prod\/race-a create: adopted /);
          // B holds its create (its POST's outcome unknown, it may still land: steps/create-hold.ts),
          // saying why the audience listed is not its own.
          expect(bResult.code).toBe(3);
          expect(bResult.stdout).toMatch(
            /blocked {2}prod\/race-a create: held: an earlier POST of this create .*\(listed under it, none taken for its own: [-0-9a-f]+ \(created [^)]+\); it already has 1 run \(the newest [-0-9a-f]+, SUCCESS, created [^)]+\), which no apply of this state store started, as none can on an audience its create has not recorded: most likely another state store's create with the same credentials \(another CI job's\), and two stores must not manage one audience\)/,
          );
        } finally {
          release();
          stop();
        }
      });
    });
  });
});
