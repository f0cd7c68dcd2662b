import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import type { Plan } from '../../src/plan/schema.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';

// A folder of the manifests directory that cannot be listed (chmod 000) may hide manifests:
// as a file that cannot be read, it is one line naming it, and every deletion is held.

const execFileAsync = promisify(execFile);

/** Root reads any folder: the CLI is run as nobody then (CI runs as root), else as this user. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** `dir` (mkdtemp's, 0700) handed to the user the CLI runs as, `folder` under it made unreadable. */
async function lockOut(dir: string, folder: string): Promise<void> {
  await chmod(dir, 0o755);
  if ('uid' in asUser) await execFileAsync('chown', ['-R', `${asUser.uid}:${asUser.gid}`, dir]);
  await chmod(path.join(dir, folder), 0o000);
}

const cli = (dir: string, args: string[]) => runCli(args, { cwd: dir, ...asUser });

/** The diagnostic of m/partners, its path in the error as the command gave it. */
const folder = (scandir: string) =>
  `partners: error: cannot read folder: EACCES: permission denied, scandir '${scandir}'; the manifests in it are not read, and deletions are held until it is fixed [source/unreadable]`;
const HELD = 'not found, but some file could not be read; deletions are held until it is fixed';

/** m/ with loyalty/gold.yaml and partners/silver.yaml; records of gold, silver, and tin, whose loyalty/tin.yaml was removed. */
async function manifestsAndRecords(dir: string): Promise<void> {
  const store = new FileStateStore(path.join(dir, 'state'));
  await store.lock();
  try {
    for (const [key, manifestFile] of [
      ['gold', 'loyalty/gold.yaml'],
      ['silver', 'partners/silver.yaml'],
      ['tin', 'loyalty/tin.yaml'],
    ] as const)
      await store.put({ ...newRecord('prod', key), audienceId: `id-${key}`, manifestFile });
  } finally {
    await store.close();
  }
  await writeFiles(path.join(dir, 'm'), {
    'loyalty/gold.yaml': manifestYaml('gold'),
    'loyalty/copper.yaml': manifestYaml('copper'),
    'partners/silver.yaml': manifestYaml('silver'),
  });
  await lockOut(dir, 'm/partners');
}

const shown = (plan: Plan) => ({
  // gold's record has no fields or runs: its update and runs are beside the point.
  steps: plan.steps
    .filter((step) => step.key !== 'gold' && step.kind !== 'run')
    .map((step) => `${step.kind} ${step.key}`),
  held: plan.held,
  diagnostics: plan.diagnostics.map((d) => `${d.file}: ${d.severity}: ${d.message} [${d.rule}]`),
});

describe('a folder of the manifests that cannot be listed', () => {
  it('validate names it in one line, as an unreadable file: no internal error', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(path.join(dir, 'm'), {
        'gold.yaml': manifestYaml('gold'),
        'partners/silver.yaml': manifestYaml('silver'),
      });
      await lockOut(dir, 'm/partners');
      const result = await cli(dir, ['validate', 'm']);
      expect([result.code, result.stderr, result.stdout.split('\n')[0]]).toEqual([
        1,
        '',
        `m/${folder(path.join(dir, 'm', 'partners'))}`,
      ]);
    });
  });

  it('plan holds every deletion and plans the manifests it read, listed here and by the fact scan', async () => {
    await withTempDir(async (dir) => {
      await manifestsAndRecords(dir);
      const expected = {
        steps: ['create copper'],
        held: [
          { sandbox: 'prod', key: 'silver', reason: HELD },
          { sandbox: 'prod', key: 'tin', reason: HELD },
        ],
        diagnostics: [folder('m/partners')],
      };
      // No manifest cache yet: the listing is taken here.
      const first = await cli(dir, ['plan', 'm', '--state', 'state', '--output', 'json']);
      expect([first.code, first.stderr]).toEqual([1, '']);
      expect(shown(JSON.parse(first.stdout) as Plan)).toMatchObject(expected);
      // Through the cache the first wrote: the listing is taken by the fact scan's thread.
      expect(existsSync(path.join(dir, 'state', 'manifest-cache.jsonl'))).toBe(true);
      const second = await cli(dir, ['plan', 'm', '--state', 'state', '--output', 'json']);
      expect([second.code, second.stderr]).toEqual([1, '']);
      expect(shown(JSON.parse(second.stdout) as Plan)).toMatchObject(expected);
    });
  });

  it('filters that select no file in it leave it unread, as a file they do not select', async () => {
    await withTempDir(async (dir) => {
      await manifestsAndRecords(dir);
      for (const filters of [
        ['--include', 'loyalty/**'],
        ['--exclude', 'partners/**/*'],
      ]) {
        const planned = await cli(dir, ['plan', 'm', '--state', 'state', '--output', 'json', ...filters]);
        expect([planned.code, planned.stderr]).toEqual([0, '']);
        // tin's manifest was removed from the files the filters read: deleted; silver is out of scope.
        expect(shown(JSON.parse(planned.stdout) as Plan)).toMatchObject({
          steps: ['create copper', 'delete tin'],
          held: [],
          diagnostics: [],
        });
        const validated = await cli(dir, ['validate', 'm', ...filters]);
        expect([validated.code, validated.stderr]).toEqual([0, '']);
      }
      // picomatch's last `**` takes no name with a line break, which `*.yaml` does: a file under
      // partners may still be selected, so the folder holds the deletions.
      const doubt = await cli(dir, [
        'plan',
        'm',
        '--state',
        'state',
        '--output',
        'json',
        '--exclude',
        'partners/**',
      ]);
      expect([doubt.code, doubt.stderr]).toEqual([1, '']);
      expect(shown(JSON.parse(doubt.stdout) as Plan)).toMatchObject({
        steps: ['create copper'],
        held: [{ sandbox: 'prod', key: 'tin', reason: HELD }],
        diagnostics: [folder('m/partners')],
      });
    });
  });
});
