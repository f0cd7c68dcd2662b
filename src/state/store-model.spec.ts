import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useStores } from '../../test/state/stores.js';
import { newRecord } from './record-changes.js';
import { runs } from '../../test/helpers/property-runs.js';

const stores = useStores();

type Op =
  | { op: 'put'; key: string; id: string }
  | { op: 'delete'; key: string }
  | { op: 'begin'; key: string; kind: 'create' | 'patch' | 'run' | 'delete' }
  | { op: 'resolve'; key: string; remove: boolean; id: string };

const key = fc.constantFrom('a', 'b', 'c');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key, id: fc.stringMatching(/^[0-9a-f]{1,6}$/) }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({
    op: fc.constant('begin' as const),
    key,
    kind: fc.constantFrom('create', 'patch', 'run', 'delete'),
  }),
  fc.record({
    op: fc.constant('resolve' as const),
    key,
    remove: fc.boolean(),
    id: fc.stringMatching(/^[0-9a-f]{0,6}$/),
  }),
);

/** What the store should hold: per key, the audience id and whether an intent is pending. */
type Model = Map<string, { audienceId: string | undefined; pending: boolean }>;

describe.each(stores)('$name store against a model', (kind) => {
  it('holds what the model holds; the serial grows by one per write and never otherwise; the lineage stays', async () => {
    // One store for every run, emptied in between: a fresh PostgreSQL schema per run costs too much.
    const store = await kind.open(await kind.fresh());
    await store.lock();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
        await store.restore({ meta: undefined, audiences: [] });
        const model: Model = new Map();
        let serial = 0;
        let lineage: string | undefined;
        try {
          for (const step of ops) {
            const current = model.get(step.key);
            let wrote = false;
            if (step.op === 'put') {
              const put = store.put({ ...newRecord('prod', step.key), audienceId: step.id });
              if (current?.pending) {
                await expect(put).rejects.toMatchObject({ code: 'INTENT_PENDING' });
              } else {
                await put;
                model.set(step.key, { audienceId: step.id, pending: false });
                wrote = true;
              }
            } else if (step.op === 'delete') {
              wrote = await store.delete('prod', step.key);
              expect(wrote).toBe(current !== undefined);
              model.delete(step.key);
            } else if (step.op === 'begin') {
              const base = (await store.get('prod', step.key)) ?? newRecord('prod', step.key);
              if (current?.pending) {
                await expect(store.beginIntent(base, step.kind)).rejects.toMatchObject({
                  code: 'INTENT_PENDING',
                });
              } else {
                await store.beginIntent(base, step.kind);
                model.set(step.key, { audienceId: current?.audienceId, pending: true });
                wrote = true;
              }
            } else {
              const stored = await store.get('prod', step.key);
              if (!stored?.intent) continue;
              const outcome = step.remove
                ? ({ kind: 'remove' } as const)
                : ({ kind: 'update', changes: step.id ? { audienceId: step.id } : {} } as const);
              await store.resolveIntent(stored, outcome);
              if (step.remove) model.delete(step.key);
              else model.set(step.key, { audienceId: step.id || current?.audienceId, pending: false });
              wrote = true;
            }
            if (wrote) serial++;
            const meta = await store.meta();
            expect(meta?.serial ?? 0).toBe(serial);
            lineage ??= meta?.lineage;
            expect(meta?.lineage).toBe(lineage);
          }
          const state = await store.readAll();
          const held = Object.fromEntries(
            state.audiences.map((r) => [
              r.key,
              { audienceId: r.audienceId, pending: r.intent !== undefined },
            ]),
          );
          expect(held).toEqual(Object.fromEntries(model));
        } finally {
          // Writes of a failed run must not leak into the next one.
          await store.restore({ meta: undefined, audiences: [] });
        }
      }),
      { numRuns: runs(40) },
    );
  });
});
