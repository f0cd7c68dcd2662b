import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RACY_MARGIN_MS } from '../../src/manifest/read-cache.js';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { SNAPSHOT_RACY_MARGIN_MS } from '../../src/state/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { distFilesLoaded, packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState } from '../helpers/planning.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * What the built CLI loads for the most common run of all: `plan` of unchanged manifests
 * over a directory store whose records the state snapshot serves. None of it needs zod
 * (a record is validated when it is read, and none is), the yaml library (no config
 * file), js-yaml (no manifest is parsed: the manifest cache serves them) or p-queue (no
 * call to the service); each of them cost every such plan its loading. Measured, not
 * inferred: a loader hook records every module the process loads, and each bundle chunk's
 * source map says which packages it holds (a dynamic import run on this path counts too).
 */
const tempDir = useTempDirs();
const NOT_ON_THE_PLAN_PATH = ['zod', 'yaml', 'js-yaml', 'p-queue', 'eventemitter3'];

/**
 * Manifests and the store an apply of them leaves, written long enough ago for the caches
 * to trust them: their racy rule distrusts a file changed (its change time, which no test
 * can set back) within a margin of the scan that recorded it.
 */
async function appliedRepo(): Promise<{ root: string; manifests: string; state: string }> {
  const root = await tempDir();
  const manifests = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  const texts = { 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') };
  const recorded = appliedState(loadTexts(texts));
  mkdirSync(manifests);
  const files: string[] = [];
  for (const [name, text] of Object.entries(texts)) {
    files.push(path.join(manifests, name));
    writeFileSync(path.join(manifests, name), text);
  }
  for (const record of recorded.audiences) {
    const file = recordPath(state, record.sandbox, record.key);
    mkdirSync(path.dirname(file), { recursive: true });
    // With the directory an apply of `manifests` records (sourceRoot): nothing to change.
    writeFileSync(file, JSON.stringify({ ...record, sourceRoot: manifests }));
    files.push(file);
  }
  writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 3 }));
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const file of files) utimesSync(file, anHourAgo, anHourAgo);
  await sleep(Math.max(RACY_MARGIN_MS, SNAPSHOT_RACY_MARGIN_MS) + 100);
  return { root, manifests, state };
}

describe('plan of unchanged manifests over a directory store: what the process loads', () => {
  it('loads neither zod, yaml, js-yaml nor p-queue when the snapshot and the manifest cache serve everything (a config file given: only the yaml library and zod, to check it)', async () => {
    const { root, manifests, state } = await appliedRepo();
    const args = ['plan', manifests, '--state', state];
    // The first plan reads and parses everything, and writes the caches.
    const first = await runCli(args);
    expect(first).toMatchObject({ code: 0, stdout: 'No changes. The audiences match the manifests.\n' });
    const log = path.join(root, 'loaded.txt');
    const second = await runCli(args, { env: recordingLoads(root, log) });
    expect(second).toMatchObject({
      code: 0,
      stdout: 'No changes. The audiences match the manifests.\n',
      stderr: '',
    });
    const packages = packagesLoaded(log);
    expect(NOT_ON_THE_PLAN_PATH.filter((name) => packages.has(name))).toEqual([]);
    // The check sees the bundle's packages (it would pass on an empty log otherwise).
    expect(packages.has('commander')).toBe(true);
    // Nor a file split off the plan's code by the records' reader, which only a record read
    // loads (scripts/bundle.mjs, groupKey): each was one file more for every such plan.
    const files = [...distFilesLoaded(log)];
    expect(files.filter((file) => file.includes('read-records'))).toEqual([]);
    expect(files).toContain('cli/main.js');

    // Credentials in the environment alone (a CI job's): checked (a manifest of a sandbox they
    // do not reach is held) without the configuration file's reader, yaml and zod.
    const credentials = {
      AEP_CLIENT_ID: 'env-client',
      AEP_CLIENT_SECRET: 'env-secret',
      AEP_ORG_ID: 'ENV@AdobeOrg',
    };
    for (const command of [args, ['validate', manifests]]) {
      const run = await runCli(command, { env: { ...credentials, ...recordingLoads(root, log) } });
      expect(run, command[0]).toMatchObject({ code: 0, stderr: '' });
      const loaded = packagesLoaded(log);
      expect(NOT_ON_THE_PLAN_PATH.filter((name) => loaded.has(name))).toEqual([]);
      expect(loaded.has('commander')).toBe(true);
    }

    // Beside --state, a configuration file whose client secret is in AEP_CLIENT_SECRET:
    // checked whole (yaml, zod), so that a plan refuses the file an apply would refuse;
    // nothing else loads for it.
    const config = path.join(root, 'aep.yaml');
    writeFileSync(config, 'credentials:\n  clientId: cfg-client\n  orgId: CFG@AdobeOrg\n');
    const configured = await runCli([...args, '--config', config], { env: recordingLoads(root, log) });
    expect(configured).toMatchObject({
      code: 0,
      stdout: 'No changes. The audiences match the manifests.\n',
      stderr: '',
    });
    const withConfig = packagesLoaded(log);
    expect(NOT_ON_THE_PLAN_PATH.filter((name) => withConfig.has(name))).toEqual(['zod', 'yaml']);
    expect(withConfig.has('commander')).toBe(true);

    // A record the snapshot does not serve (written since): read and validated, without zod
    // (validate-record-fast.ts).
    const [sandbox, key] = ['prod', 'gold'];
    const file = recordPath(state, sandbox, key);
    writeFileSync(file, readFileSync(file, 'utf8'));
    const changed = await runCli(args, { env: recordingLoads(root, log) });
    expect(changed).toMatchObject({ code: 0, stdout: 'No changes. The audiences match the manifests.\n' });
    expect(packagesLoaded(log).has('zod')).toBe(false);
    expect(packagesLoaded(log).has('commander')).toBe(true);

    // One the fast validator leaves to zod (a run time in milliseconds, as releases before
    // aep/epoch.ts recorded the service's): zod is loaded for it, and reads it in seconds.
    const record = JSON.parse(readFileSync(file, 'utf8')) as { runs: unknown[] };
    const run = { runId: 'r-old', status: 'SUCCESS', createdAt: 1_700_000_000_000, dataFilterStartTime: 0 };
    writeFileSync(file, JSON.stringify({ ...record, runs: [...record.runs, run] }));
    const older = await runCli(args, { env: recordingLoads(root, log) });
    expect(older).toMatchObject({ code: 0, stdout: 'No changes. The audiences match the manifests.\n' });
    expect(packagesLoaded(log).has('zod')).toBe(true);
  });

  it('loads no zod when no cache serves anything: every record is read and validated without it', async () => {
    const { root, manifests, state } = await appliedRepo();
    const log = path.join(root, 'loaded.txt');
    // The first plan: no state snapshot and no manifest cache yet.
    const cold = await runCli(['plan', manifests, '--state', state], { env: recordingLoads(root, log) });
    expect(cold).toMatchObject({
      code: 0,
      stdout: 'No changes. The audiences match the manifests.\n',
      stderr: '',
    });
    const packages = packagesLoaded(log);
    expect(NOT_ON_THE_PLAN_PATH.filter((name) => packages.has(name))).toEqual([]);
    expect(packages.has('commander')).toBe(true);
  });
});

describe('validate and plan of a small source with no cache: no parser thread', () => {
  it("parse the examples' files here, their file of two manifests too: neither the parser thread's script nor the yaml library loads, nor the store's code and zod", async () => {
    const root = await tempDir();
    const log = path.join(root, 'loaded.txt');
    // The store does not exist: a plan then has no manifest cache, every file is read and parsed.
    const state = path.join(root, 'no-store');
    const examples = path.resolve('examples/audiences');
    for (const args of [
      ['validate', examples],
      ['plan', examples, '--state', state],
    ]) {
      const run = await runCli(args, { env: recordingLoads(root, log) });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        args[0] === 'validate' ? /^8 valid manifest\(s\); 0 error/ : /Plan: 8 to create/,
      );
      // The witness works: the command's own chunks are listed.
      expect(distFilesLoaded(log).has('cli/main.js')).toBe(true);
      expect([...distFilesLoaded(log)].filter((file) => file.startsWith('manifest/'))).toEqual([]);
      expect(packagesLoaded(log).has('yaml')).toBe(false);
      // Nor the store's code: validate reads none, and a store that does not exist holds nothing
      // to read (the plan opened it, loading its writers, their record schemas and zod).
      expect(distFilesLoaded(log).has('state/open.js'), args[0]).toBe(false);
      expect(packagesLoaded(log).has('zod'), args[0]).toBe(false);
    }
  });
});
