import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/state/store.js';
import { withExecutor } from '../helpers/executor-env.js';
import { keptByReplace } from '../../src/state/current-runs.js';
import {
  createdWithRun,
  importGold,
  killedDuringDelete,
  moved,
  ORG,
  remote,
} from '../helpers/replaced-env.js';

// State import into a record that holds the mark of a replace's deleted name and an open create
// intent (the replace's create POST was killed) writes once: a process killed mid-import never
// leaves the imported audience paired with the deleted audience's spec, which the next plan would
// diff the manifest against, and replace (DELETE) the imported audience.

/** The store as a process sees it that is killed (kill -9) right after its first write of a call. */
function dyingAfterFirstWrite(store: StateStore): StateStore {
  let writes = 0;
  const die = () => {
    writes += 1;
    if (writes > 1) throw new Error('killed');
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'put' || property === 'resolveIntent') {
        return (...args: unknown[]) => {
          die();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

describe('state import of a record with a create intent and the mark', () => {
  it('never leaves the imported id paired with the deleted audience spec', async () => {
    await withExecutor(undefined, async (env) => {
      const { oldId } = await createdWithRun(env);
      const plan = await env.plan([moved]);
      const create = plan.steps.find((step) => step.kind === 'replace')!;
      expect(create.kind).toBe('replace');
      await killedDuringDelete(env, oldId);

      // The replace resumed: its DELETE resolved as delete.ts resolves it (keptByReplace), then
      // its create POST killed: postCreate's beginIntent, as written before the POST.
      const store = env.store();
      await store.lock();
      const deleting = (await store.get('prod', 'gold'))!;
      await store.resolveIntent(deleting, { kind: 'replace', record: keptByReplace(deleting, oldId, 0) });
      const marked = (await store.get('prod', 'gold'))!;
      expect(marked.audienceId).toBeUndefined();
      expect(marked.applied?.spec.name).toBe('Audience gold');
      await store.beginIntent(
        {
          ...marked,
          pendingCreate: { body: create.create!, spec: create.target!.spec, hash: create.target!.hash },
        },
        'create',
        { specHash: create.target!.hash },
      );
      await store.close();

      // A colleague's audience as the manifest says; the person imports it, and the process dies.
      const theirs = env.emulator.control.uiCreateAudience(ORG, 'prod', moved.spec, 'colleague@AdobeID');
      const dying = env.store();
      await dying.lock();
      // Killed after its first write, if it makes two.
      await importGold(dyingAfterFirstWrite(dying), theirs.audienceId).catch((error: unknown) =>
        expect(String(error)).toContain('killed'),
      );
      await dying.close();

      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(theirs.audienceId);
      const next = await env.plan([moved]);
      // A colleague's audience is not shown to be the create's (review 10, 1): taken as made
      // outside, the mark goes in the write that resolves the intent; never the mark's spec.
      expect({
        applied: record?.applied?.hash,
        intent: record?.intent,
        replaces: next.steps.filter((s) => s.kind === 'replace'),
      }).toEqual({
        applied: undefined,
        intent: undefined,
        replaces: [],
      });
      expect(create.target!.hash).not.toBe(marked.applied?.hash);
      await env.apply([moved]);
      expect(remote(env).map((audience) => audience.audienceId)).toEqual([theirs.audienceId]);
    });
  });
});
