import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { repoRoot } from '../action/event-step.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { useTempDirs } from '../state/helpers.js';
import { usePostgres } from '../state/pg.js';

/**
 * Review action-44 M-2. A release on `state.backend: file` upgraded with `state.backend:
 * postgres`: the chart's init-state creates an empty schema and the controller starts on it,
 * its volume (kept, not mounted) holding the only map of owned audiences. Every manifest is
 * then a create, blocked as a duplicate of its own audience (with a `state import` per
 * audience as the way out), a manifest removed meanwhile deletes nothing, and the store now
 * holds records, so a `state migrate` run afterwards is refused without --force.
 * docs/deploy.md said nothing of the move: the path is `state migrate` from the volume first.
 */
const postgres = usePostgres();
const tempDir = useTempDirs();

describe('moving a release from the file state to PostgreSQL', { timeout: 120_000 }, () => {
  it('is documented in docs/deploy.md: state migrate from the volume before the upgrade', async () => {
    const deploy = await readFile(path.join(repoRoot, 'docs/deploy.md'), 'utf8');
    const section = /\n### From the file state to PostgreSQL\n([\s\S]*?)\n#{2,3} /.exec(deploy)?.[1] ?? '';
    expect(section).toContain('audiencectl state migrate --from /var/lib/audiencectl --to');
    expect(section).toContain('reconcile.dryRun=true');
    expect(section).toContain('state.backend=postgres');
  });

  it('keeps every audience owned when the state is migrated first, and blocks every create when not', async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      const root = await tempDir();
      await mkdir(path.join(root, 'audiences'));
      await writeFile(path.join(root, 'audiences/gold.yaml'), manifestYaml('gold'));
      await writeFile(path.join(root, 'audiences/silver.yaml'), manifestYaml('silver'));
      const env = { ...emulatorEnv(emulator), AUDIENCECTL_STATE: undefined, AUDIENCECTL_CONFIG: undefined };
      const run = (args: string[]) => runCli(args, { cwd: root, env });
      // The release on the file state, as the chart's volume holds it: the premise, made by the
      // CLI's entry in this process (a spawn costs ~0.5 s of CPU); the upgrade below is spawned.
      const premise = (args: string[]) => runCliInProcess(args, { cwd: root, env });
      const volume = path.join(root, 'var-lib-audiencectl');
      expect((await premise(['init', '--state', volume, '--emulator'])).code).toBe(0);
      const applied = await premise(['apply', 'audiences', '--state', volume, '--auto-approve']);
      expect(applied.code, applied.stderr).toBe(0);
      // Ten minutes pass on the service before the upgrade, as between real runs: a create that
      // began within a second or two of the audiences' creation (in AEP's clock) could be the one
      // that made them (findOwnCreate) and be adopted, so the blocks read below would rest on timing.
      emulator.control.updateSettings({ clockOffsetMs: 10 * 60_000 });

      // Upgraded without a migrate: an empty schema (init-state), every audience a create.
      const upgraded = await postgres.freshLocation({ init: false });
      expect((await run(['init', '--state-only', '--state', upgraded])).code).toBe(0);
      const blocked = await run(['apply', 'audiences', '--state', upgraded, '--auto-approve']);
      expect(blocked.code).toBe(3);
      expect(blocked.stdout).toContain(
        'blocked  prod/gold create: an audience named "Audience gold" already exists',
      );
      expect(blocked.stdout).toContain('Apply: 0 applied');
      // The blocked creates' records are in the schema: a migrate afterwards needs --force.
      const refused = await run([
        'state',
        'migrate',
        '--from',
        volume,
        '--to',
        upgraded,
        '--lock-timeout',
        '5m',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('pass --force to replace it');
      const forced = await run([
        'state',
        'migrate',
        '--from',
        volume,
        '--to',
        upgraded,
        '--lock-timeout',
        '5m',
        '--force',
      ]);
      expect(forced.code, forced.stderr).toBe(0);
      const replanned = await run(['plan', 'audiences', '--state', upgraded, '--detailed-exitcode']);
      expect(replanned.code, replanned.stdout + replanned.stderr).toBe(0);

      // The documented path: the schema created, the volume's state migrated into it first.
      const migrated = await postgres.freshLocation({ init: false });
      expect((await run(['init', '--state-only', '--state', migrated])).code).toBe(0);
      const copy = await run([
        'state',
        'migrate',
        '--from',
        volume,
        '--to',
        migrated,
        '--lock-timeout',
        '5m',
      ]);
      expect(copy.code, copy.stderr).toBe(0);
      expect(copy.stdout).toMatch(/^Copied 2 audience\(s\) from /);
      const plan = await run(['plan', 'audiences', '--state', migrated, '--detailed-exitcode']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes.');
    } finally {
      await emulator.close();
    }
  });
});
