import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DesiredCache } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { assertBuilt } from './helpers/controller.js';

/**
 * Review 41 (controller-41), F-4. `--include c.yaml` where c.yaml is a FIFO: the
 * filter selects it, and it is refused as not a regular file (source/not-a-file), which holds
 * every deletion. The full read (validate, plan, apply, the controller's loadRevision) also warns
 * "no file is selected by --include c.yaml: nothing was read" (source/include-matched-nothing),
 * the typo warning, beside an error naming the file the filter selected, and the plan reads
 * "no manifest was read (the filters select no file)"; the controller's DesiredCache says no such
 * thing of the same tree, so /status and the CLI disagree about one directory.
 */
let dir: string;
beforeAll(assertBuilt);
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-41-fifo-'));
  await writeFile(path.join(dir, 'a.yaml'), manifestYaml('a'));
  execFileSync('mkfifo', [path.join(dir, 'c.yaml')]);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const said = (diagnostics: ReadonlyArray<{ file: string; rule: string }>) =>
  diagnostics.map((d) => `${d.file} ${d.rule}`);

describe('filters that select only a FIFO', () => {
  it('validate names the FIFO, and never says the filters select no file', async () => {
    const validated = await runCli(['validate', dir, '--include', 'c.yaml']);
    expect(validated.code).toBe(1);
    const said = validated.stdout + validated.stderr;
    expect(said).toContain('c.yaml: error: it is a named pipe (FIFO)');
    expect(said).not.toContain('no file is selected');
    expect(said).not.toContain('[source/include-matched-nothing]');
  });

  it("the controller's read and the full read say the same: the FIFO, no 'nothing selected'", async () => {
    const settings = { read: { include: ['c.yaml'] }, defaultSandbox: 'prod' };
    const src = new DirectorySource(dir);
    const cache = new DesiredCache(settings);
    const loaded = await cache.load(await src.sync(undefined, { full: true }), src, {
      full: true,
      reason: 'startup',
    });
    const full = await loadRevision(dir, settings);
    expect(said(full.diagnostics)).toEqual(['c.yaml source/not-a-file']);
    expect(said(loaded.diagnostics)).toEqual(['c.yaml source/not-a-file']);
    expect(loaded).toEqual(full);
  });

  it('filters that select no file at all still warn, in both reads', async () => {
    const settings = { read: { include: ['x.yaml'] }, defaultSandbox: 'prod' };
    const src = new DirectorySource(dir);
    const cache = new DesiredCache(settings);
    const loaded = await cache.load(await src.sync(undefined, { full: true }), src, {
      full: true,
      reason: 'startup',
    });
    const full = await loadRevision(dir, settings);
    expect(said(full.diagnostics)).toEqual(['. source/include-matched-nothing']);
    expect(loaded).toEqual(full);
  });
});
