import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudienceSpec } from '../../src/manifest/schema.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import { Plan } from '../../src/plan/schema.js';
import { openStateStore } from '../../src/state/open.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { apply, emulatorEnv, ManifestDir, remoteByName } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord } from '../state/helpers.js';

/**
 * The deletion guards as the flags set them, on the built CLI. The state holds 10
 * managed audiences: k0..k6 (deletionPolicy Delete) and o0..o2 (Orphan). Keeping k0
 * and k1 removes 5 (delete) + 3 (forget): the default limit is its floor, 5 (10% of
 * 10 would be 1), and forgets are not deletions, so nothing is blocked.
 */
const DELETES = ['k2', 'k3', 'k4', 'k5', 'k6'];
const FORGETS = ['o0', 'o1', 'o2'];
const keep = (key: string) => manifestObject(key, { ingestion: { onCreate: false } });
/** A record of what the manifest says, so the kept audiences plan nothing. */
function inSync(key: string): AudienceRecord {
  const spec = normaliseSpec(AudienceSpec.parse(keep(key).spec));
  return aRecord(key, { applied: { spec, hash: specHash(spec), at: '2026-11-22T10:00:00.000Z' } });
}
const RECORDS: AudienceRecord[] = [
  ...['k0', 'k1'].map(inSync),
  ...DELETES.map((key) => aRecord(key)),
  ...FORGETS.map((key) => aRecord(key, { deletionPolicy: 'Orphan' })),
];
const STACK = /\n\s+at /;

async function seed(location: string): Promise<void> {
  await mkdir(location, { recursive: true });
  const store = await openStateStore(location);
  await store.lock();
  for (const record of RECORDS) await store.put(record);
  await store.close();
}

/** Removal steps by key: `delete` or `forget`, with ` (blocked: why)` when a guard stops it. */
function removals(stdout: string): Record<string, string> {
  const plan = Plan.parse(JSON.parse(stdout));
  const steps = plan.steps.filter((s) => s.kind === 'delete' || s.kind === 'forget');
  return Object.fromEntries(
    steps.map((s) => [s.key, s.blocked ? `${s.kind} (blocked: ${s.blocked})` : s.kind]),
  );
}

/**
 * a, b, c and d applied to a directory store under `dir`, then b, c and d removed from the
 * manifests: a plan of 3 deletions, within the default limit of 5.
 */
async function threeRemoved(emulator: RunningEmulator, dir: string) {
  const env = emulatorEnv(emulator);
  const state = path.join(dir, 'state');
  const manifests = new ManifestDir(path.join(dir, 'aud'));
  await manifests.write(['a', 'b', 'c', 'd'].map(keep));
  expect((await apply(manifests.dir, state, env)).code).toBe(0);
  await manifests.write([keep('a')]);
  return { env, state, manifests };
}

const planned = (overrides: Record<string, string> = {}) => ({
  ...Object.fromEntries(DELETES.map((key) => [key, 'delete'])),
  ...Object.fromEntries(FORGETS.map((key) => [key, 'forget'])),
  ...overrides,
});

describe('deletion guards from the CLI', () => {
  it('--max-deletes and its floor of 5, forget not counted, --allow-mass-delete, --allow-empty-source', async () => {
    await withTempDir(async (dir) => {
      const state = path.join(dir, 'state');
      await seed(state);
      const kept = new ManifestDir(path.join(dir, 'kept'));
      await kept.write(['k0', 'k1'].map(keep));
      const empty = path.join(dir, 'empty');
      await mkdir(empty);
      const plan = (source: string, ...flags: string[]) =>
        runCliInProcess([
          'plan',
          source,
          '--state',
          state,
          '--output',
          'json',
          '--detailed-exitcode',
          ...flags,
        ]);

      const [floor, capped, allowed, refused, emptied] = await Promise.all([
        plan(kept.dir),
        plan(kept.dir, '--max-deletes', '4'),
        plan(kept.dir, '--max-deletes', '4', '--allow-mass-delete'),
        plan(empty),
        plan(empty, '--allow-empty-source', '--allow-mass-delete'),
      ]);

      expect(floor.code).toBe(2);
      expect(removals(floor.stdout)).toEqual(planned());

      const overLimit =
        'delete (blocked: the plan deletes 5 audiences, over the limit of 4; pass --allow-mass-delete (or raise --max-deletes) if that is intended)';
      expect(capped.code).toBe(3);
      expect(removals(capped.stdout)).toEqual(
        planned(Object.fromEntries(DELETES.map((key) => [key, overLimit]))),
      );

      expect(allowed.code).toBe(2);
      expect(removals(allowed.stdout)).toEqual(planned());

      const why =
        'the source yielded no manifests while 10 audience(s) are managed; refusing to remove them all (pass --allow-empty-source if that is intended)';
      expect(refused.code).toBe(3);
      const all = Object.fromEntries(
        RECORDS.map((r) => [
          r.key,
          `${r.deletionPolicy === 'Orphan' ? 'forget' : 'delete'} (blocked: ${why})`,
        ]),
      );
      expect(removals(refused.stdout)).toEqual(all);

      expect(emptied.code).toBe(2);
      expect(removals(emptied.stdout)).toEqual(planned({ k0: 'delete', k1: 'delete' }));
      for (const result of [floor, capped, allowed, refused, emptied])
        expect(result.stderr).not.toMatch(STACK);
    });
  });

  it('apply of an empty source: refused with why, exit 3, no call removes anything', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const state = path.join(dir, 'state');
        await seed(state);
        const empty = path.join(dir, 'empty');
        await mkdir(empty);
        const result = await runCliInProcess(['apply', empty, '--state', state, '--auto-approve'], {
          env: emulatorEnv(emulator),
        });
        expect(result.code).toBe(3);
        expect(result.stdout).toContain('refusing to remove them all (pass --allow-empty-source');
        expect(result.stderr).not.toMatch(STACK);
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
        const store = await openStateStore(state);
        expect((await store.readAll()).audiences).toHaveLength(RECORDS.length);
        await store.close();
      });
    });
  });

  it('--max-deletes 0 never deletes: --allow-mass-delete does not lift it (plan, apply, saved plan)', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const env = emulatorEnv(emulator);
        const state = path.join(dir, 'state');
        const manifests = new ManifestDir(path.join(dir, 'aud'));
        await manifests.write(['a', 'b', 'c'].map(keep));
        expect((await apply(manifests.dir, state, env)).code).toBe(0);
        // c removed (a delete), b renamed (a replace, allowed): each sends a DELETE.
        await manifests.write([
          keep('a'),
          manifestObject('b', { spec: { name: 'Audience b2' }, ingestion: { onCreate: false } }),
        ]);
        const flags = ['--state', state, '--max-deletes', '0', '--allow-mass-delete', '--allow-replace'];
        const deleteWhy =
          '--max-deletes 0 forbids deletions, and --allow-mass-delete does not lift it; raise --max-deletes to allow this delete (a saved plan keeps the --max-deletes it was made with: plan it again)';
        const replaceWhy =
          'a replacement deletes the audience, and --max-deletes 0 forbids deletions (--allow-mass-delete does not lift it); raise --max-deletes to allow it (a saved plan keeps the --max-deletes it was made with: plan it again)';
        const blockedSteps = (stdout: string) =>
          Plan.parse(JSON.parse(stdout)).steps.map((s) => [s.key, s.kind, s.blocked]);
        const expected = [
          ['b', 'replace', replaceWhy],
          ['c', 'delete', deleteWhy],
        ];

        const planned = await runCliInProcess(
          ['plan', manifests.dir, ...flags, '--output', 'json', '--detailed-exitcode'],
          { env },
        );
        expect(planned.code).toBe(3);
        expect(blockedSteps(planned.stdout)).toEqual(expected);

        const applied = await runCliInProcess(['apply', manifests.dir, ...flags, '--auto-approve'], { env });
        expect(applied.code).toBe(3);
        expect(applied.stdout).toContain(deleteWhy);
        expect(applied.stdout).toContain(replaceWhy);

        // A plan saved with the guard applies as planned: blocked, even given a higher
        // --max-deletes, which it says it does not apply (review 14, F4).
        const saved = path.join(dir, 'zero.json');
        const out = ['plan', manifests.dir, ...flags, '--output', 'json', '--out', saved];
        expect((await runCliInProcess(out, { env })).code).toBe(0);
        const savedApply = await runCliInProcess(
          ['apply', saved, '--state', state, '--max-deletes', '5', '--allow-mass-delete', '--auto-approve'],
          { env },
        );
        expect(savedApply.code).toBe(3);
        expect(savedApply.stdout).toContain(deleteWhy);
        expect(savedApply.stderr).toContain(
          `Warning: ${saved} was planned with --max-deletes 0: its 2 deletion(s) stay blocked whatever this apply is given (--max-deletes 5 only limits a saved plan: it lifts none of its guards); to delete, plan again with a higher --max-deletes and apply that plan\n`,
        );

        // A plan saved without it, applied with --max-deletes 0: refused before any call.
        const other = path.join(dir, 'deletes.json');
        const planOther = [
          'plan',
          manifests.dir,
          '--state',
          state,
          '--allow-replace',
          '--output',
          'json',
          '--out',
          other,
        ];
        expect((await runCliInProcess(planOther, { env })).code).toBe(0);
        const refused = await runCliInProcess(
          ['apply', other, '--state', state, '--max-deletes', '0', '--allow-mass-delete', '--auto-approve'],
          { env },
        );
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `${other} deletes 2 audience(s) (prod/b:replace, ...), and --max-deletes 0 forbids deletions (--allow-mass-delete does not lift it); nothing was sent to AEP or written`,
        );

        for (const result of [planned, applied, savedApply, refused])
          expect(result.stderr).not.toMatch(STACK);
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
        expect([...remoteByName(emulator).keys()].sort()).toEqual(['Audience a', 'Audience b', 'Audience c']);
      });
    });
  });

  it('apply plan.json enforces --max-deletes N and refuses the flags that would plan otherwise (review 20b, M1)', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const { env, state, manifests } = await threeRemoved(emulator, dir);
        const saved = path.join(dir, 'del.json');
        // Two excludes that match no file: the plan is the same, its origin records them.
        const excludes = ['--exclude', 'zz-1.yaml', '--exclude', 'zz-2.yaml'];
        const planned = await runCliInProcess(
          ['plan', manifests.dir, '--state', state, ...excludes, '--output', 'json', '--out', saved],
          { env },
        );
        expect(planned.code).toBe(0);
        const applySaved = (...flags: string[]) =>
          runCliInProcess(['apply', saved, '--state', state, '--auto-approve', ...flags], { env });

        // --max-deletes only restricts: a saved plan deleting more is refused before any call.
        const capped = await runCli(
          ['apply', saved, '--state', state, '--auto-approve', '--max-deletes', '1'],
          {
            env,
          },
        );
        expect([capped.code, capped.stdout, capped.stderr]).toEqual([
          1,
          '',
          `Error: ${saved} deletes 3 audience(s) (prod/b:delete, ...), more than --max-deletes 1 allows; nothing was sent to AEP or written. Raise --max-deletes to allow them, or plan again with --max-deletes 1\n`,
        ]);

        // The flags that choose what is planned are the plan's: given otherwise here, refused.
        const asPlanned = (flag: string, planned: string) =>
          `Error: ${flag}: ${saved} was planned with ${planned}, and a saved plan is applied as it was planned; give ${flag} to \`plan\` and apply that plan, or leave it out here\n`;
        const cases: Array<[string[], string]> = [
          [['--include', 'partners/**'], asPlanned('--include', 'no --include')],
          [['--exclude', 'b.yaml'], asPlanned('--exclude', '--exclude zz-1.yaml --exclude zz-2.yaml')],
          [['--sandbox', 'dev'], asPlanned('--sandbox', '--sandbox prod')],
          [['--max-file-bytes', '10'], asPlanned('--max-file-bytes', 'no --max-file-bytes')],
          [['--allow-replace'], asPlanned('--allow-replace', 'no --allow-replace')],
          [['--adopt'], asPlanned('--adopt', 'no --adopt')],
          [['--allow-mass-delete'], asPlanned('--allow-mass-delete', 'no --allow-mass-delete')],
          [['--allow-empty-source'], asPlanned('--allow-empty-source', 'no --allow-empty-source')],
          [['--allow-mass-recreate'], asPlanned('--allow-mass-recreate', 'no --allow-mass-recreate')],
          [['--runs-per-day', '5'], asPlanned('--runs-per-day', '--runs-per-day 100')],
          [['--runs-per-audience', '2'], asPlanned('--runs-per-audience', '--runs-per-audience 10')],
        ];
        for (const [flags, stderr] of cases) {
          const result = await applySaved(...flags);
          expect([flags.join(' '), result.code, result.stdout, result.stderr]).toEqual([
            flags.join(' '),
            1,
            '',
            stderr,
          ]);
        }
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
        expect([...remoteByName(emulator).keys()].sort()).toEqual([
          'Audience a',
          'Audience b',
          'Audience c',
          'Audience d',
        ]);

        // The same flags as the plan was made with (globs in another order select the same
        // files), and a --max-deletes it keeps to: applied.
        const done = await applySaved(
          ...['--sandbox', 'prod', '--runs-per-day', '100', '--max-deletes', '3'],
          ...['--exclude', 'zz-2.yaml', '--exclude', 'zz-1.yaml'],
        );
        expect([done.code, done.stderr]).toEqual([0, expect.not.stringMatching(/Error|Warning/)]);
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(3);
        expect([...remoteByName(emulator).keys()]).toEqual(['Audience a']);
      });
    });
  });

  it("apply plan.json shows the summary and diagnostics of the plan it applies, not the file's (review 20b, M2)", async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const { env, state, manifests } = await threeRemoved(emulator, dir);
        const planTo = async (file: string, ...flags: string[]) => {
          const out = path.join(dir, file);
          const args = ['plan', manifests.dir, '--state', state, '--output', 'json', '--out', out, ...flags];
          expect((await runCliInProcess(args, { env })).code).toBe(0);
          return { out, plan: Plan.parse(JSON.parse(await readFile(out, 'utf8'))) };
        };

        // Its 3 deletions blocked by --max-deletes 1, then the file edited to let them through:
        // the options a plan records are taken as written (as if planned with them), but an apply
        // given the guard still refuses it.
        const blocked = await planTo('blocked.json', '--max-deletes', '1');
        expect(blocked.plan.summary).toMatchObject({ delete: 0, blocked: 3 });
        const edited = structuredClone(blocked.plan);
        edited.origin!.options.maxDeletes = 10;
        for (const step of edited.steps) delete step.blocked;
        edited.summary = { ...edited.summary, blocked: 0 };
        await writeFile(blocked.out, JSON.stringify(edited));
        const guarded = await runCliInProcess(
          ['apply', blocked.out, '--state', state, '--auto-approve', '--max-deletes', '1'],
          { env },
        );
        expect([guarded.code, guarded.stdout]).toEqual([1, '']);
        expect(guarded.stderr).toContain(
          'more than --max-deletes 1 allows; nothing was sent to AEP or written',
        );

        // A plan whose summary says it deletes nothing, and a diagnostic added by hand: what is
        // shown above the question is the plan applied, planned again.
        const saved = await planTo('del.json');
        const lying = structuredClone(saved.plan);
        lying.summary = { ...lying.summary, delete: 0 };
        lying.diagnostics = [
          { severity: 'warning', file: 'a.yaml', line: 1, column: 1, rule: 'x', message: 'INJECTED' },
        ];
        await writeFile(saved.out, JSON.stringify(lying));
        const applied = await runCliInProcess(['apply', saved.out, '--state', state, '--auto-approve'], {
          env,
        });
        expect(applied.code).toBe(0);
        expect(applied.stdout).toContain(
          '\nPlan: 0 to create, 0 to update, 0 to replace, 3 to delete, 0 to forget, 0 run(s) to start; 0 blocked, 0 deferred.\n',
        );
        expect(applied.stdout).not.toContain('INJECTED');
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(3);
      });
    });
  });
});
