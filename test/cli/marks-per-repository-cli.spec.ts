import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { bothStores, gitAt, metaOf } from '../helpers/marks.js';

/**
 * Two repositories taking turns on one sandbox (docs/state.md, "Which commit was applied"):
 * repository A's newer commit deletes x; B applies to the same sandbox (its mark on top); a
 * clone of A never fetched since the deletion applies. The store keeps A's last mark beside B's,
 * so that clone is refused creating x again, as it was before B applied. Real git (A's bare
 * origin and two clones, B's own repository), the emulator over HTTP, the built CLI, both stores.
 */
const postgres = usePostgres();
const quiet = { ingestion: { onCreate: false } };
const A1_TIME = '2020-01-01T10:00:00.000Z';
const A2_TIME = '2020-01-01T11:00:00.000Z';
const B_TIME = '2020-01-01T12:00:00.000Z';
const A_URL = 'https://github.com/acme/a.git';
const B_URL = 'https://github.com/acme/b.git';

describe('two repositories applying to one sandbox keep a mark each', () => {
  it.each(bothStores(postgres))(
    '$name store: a stale clone of A is refused creating again what A deleted, after B applied',
    async (kind) => {
      await withTempDir(async (root) =>
        withEmulator(undefined, async (emulator) => {
          const origin = path.join(root, 'a.git');
          await mkdir(origin);
          await gitAt(origin, ['init', '--quiet', '--bare', '--initial-branch', 'main']);
          const a = path.join(root, 'a');
          await mkdir(path.join(a, 'audiences'), { recursive: true });
          await gitAt(a, ['init', '--quiet', '--initial-branch', 'main']);
          await gitAt(a, ['remote', 'add', 'origin', origin]);
          await writeFile(path.join(a, 'audiences/keep.yaml'), manifestYaml('keep', quiet));
          await writeFile(path.join(a, 'audiences/x.yaml'), manifestYaml('x', quiet));
          await gitAt(a, ['add', '--all']);
          await gitAt(a, ['commit', '--quiet', '-m', 'keep and x'], A1_TIME);
          const a1 = await gitAt(a, ['rev-parse', 'HEAD']);
          await gitAt(a, ['push', '--quiet', 'origin', 'main']);
          const stale = path.join(root, 'stale');
          await gitAt(root, ['clone', '--quiet', origin, stale]);

          const b = path.join(root, 'b');
          await mkdir(path.join(b, 'audiences'), { recursive: true });
          await gitAt(b, ['init', '--quiet', '--initial-branch', 'main']);
          await gitAt(b, ['remote', 'add', 'origin', B_URL]);
          await writeFile(path.join(b, 'audiences/b1.yaml'), manifestYaml('b1', quiet));
          await gitAt(b, ['add', '--all']);
          await gitAt(b, ['commit', '--quiet', '-m', 'b1'], B_TIME);
          const b1 = await gitAt(b, ['rev-parse', 'HEAD']);

          // Both clones of A name its GitHub repository (never reached).
          for (const clone of [a, stale]) await gitAt(clone, ['remote', 'set-url', 'origin', A_URL]);
          const state = await kind.location(root);
          const env = emulatorEnv(emulator);
          const apply = (repo: string) =>
            runCli(['apply', path.join(repo, 'audiences'), '--state', state, '--auto-approve'], { env });
          // The applies that leave the marks (the premise) by the CLI's entry in this process; the
          // stale clone's refused apply and its plan are spawned.
          const setUp = (repo: string) =>
            runCliInProcess(['apply', path.join(repo, 'audiences'), '--state', state, '--auto-approve'], {
              env,
            });

          expect((await setUp(a)).code).toBe(0);
          await rm(path.join(a, 'audiences/x.yaml'));
          await gitAt(a, ['commit', '--quiet', '--all', '-m', 'delete x'], A2_TIME);
          const a2 = await gitAt(a, ['rev-parse', 'HEAD']);
          expect((await setUp(a)).code).toBe(0);
          expect((await setUp(b)).code).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience b1', 'Audience keep']);
          const meta = await metaOf(state);
          emulator.control.resetCounters();
          const refused = await apply(stale);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain(
            `Error: refusing to undo a newer apply: prod/x would be created again; this repository last applied sandbox prod from commit ${a2.slice(0, 7)} (committed ${A2_TIME}), which this checkout's HEAD ${a1.slice(0, 7)} (committed ${A1_TIME}) does not contain. Nothing was applied. Pull or fetch the newer commit and apply from it, or pass --allow-older-checkout to apply anyway\n`,
          );
          expect(refused.stderr).not.toMatch(/\n\s+at /);
          expect(emulator.control.counters().requests).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience b1', 'Audience keep']);
          expect(await metaOf(state)).toEqual(meta);
          // plan warns in the same words: B's commit is the sandbox's last, A's is this repository's.
          const planned = await runCli(['plan', path.join(stale, 'audiences'), '--state', state], { env });
          expect(planned.code).toBe(0);
          expect(planned.stdout).toContain(
            `Warning: apply would refuse this plan: prod/x would be created again; this repository last applied sandbox prod from commit ${a2.slice(0, 7)} (committed ${A2_TIME}), which this checkout's HEAD ${a1.slice(0, 7)} (committed ${A1_TIME}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout.`,
          );
          // B's mark on top, as an earlier release reads it; A's last one kept beside it.
          expect(meta?.revisions).toEqual({
            prod: {
              commit: b1,
              committedAt: B_TIME,
              repository: 'acme/b',
              // Each repository's first commit is its root (SandboxMark.roots).
              roots: [b1],
              otherRepositories: [{ commit: a2, committedAt: A2_TIME, repository: 'acme/a', roots: [a1] }],
            },
          });
        }),
      );
    },
  );
});
