import { cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ageFiles, cacheWrittenLater } from '../helpers/cache-age.js';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRepo } from '../../bench/lib/generate.js';
import { loadManifestDir } from '../../src/manifest/read-source.js';
import { readStateThroughSnapshot } from '../../src/state/read-snapshot.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runs } from '../helpers/property-runs.js';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const COUNT = 30;

/** A repository of COUNT applied audiences whose caches serve every one (a warm plan's). */
async function warmRepo(
  /** Done before the caches are written: what they then serve as they were. */
  prepare: (manifests: string, state: string) => void = () => undefined,
): Promise<{ root: string; manifests: string; state: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'plan-quiet-'));
  roots.push(root);
  const { manifests, state } = await generateRepo(root, COUNT, true);
  prepare(manifests, state);
  ageFiles(manifests);
  ageFiles(state);
  // Exit 1 with an invalid file: the caches are written all the same. The CLI's entry in this
  // process (the caches are the premise; the warm plans below are spawned, as users run them).
  const first = await runCliInProcess(['plan', manifests, '--state', state]);
  expect(first.stderr).not.toMatch(/at .*\.js:\d+/);
  cacheWrittenLater(path.join(state, 'manifest-cache.jsonl'));
  cacheWrittenLater(path.join(state, 'state-snapshot.jsonl'));
  return { root, manifests, state };
}

const fileOf = (manifests: string, i: number) =>
  path.join(manifests, `group-${Math.floor(i / 100)}`, `audience-${i}.yaml`);

function recordFileOf(state: string, i: number): string {
  const sandbox = i % 10 === 0 ? 'dev' : 'prod';
  const dir = path.join(state, 'audiences', sandbox);
  const name = readdirSync(dir).find((f) => f.startsWith(`audience-${i}.`) || f === `audience-${i}.json`);
  return path.join(dir, name ?? `audience-${i}.json`);
}

type Edit =
  | 'spec'
  | 'delete'
  | 'add'
  | 'run'
  | 'failed-run'
  | 'policy'
  | 'duplicate'
  | 'invalid'
  | 'on-create'
  | 'forget-record'
  | 'rename';
const editArb = fc.constantFrom<Edit>(
  'spec',
  'delete',
  'add',
  'run',
  'failed-run',
  'policy',
  'duplicate',
  'invalid',
  'on-create',
  'forget-record',
  'rename',
);

function edit(kind: Edit, i: number, manifests: string, state: string): void {
  const file = fileOf(manifests, i);
  const record = recordFileOf(state, i);
  const json = () => JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown>;
  try {
    if (kind === 'spec') writeFileSync(file, readFileSync(file, 'utf8').replace('Generated', 'Edited'));
    else if (kind === 'delete') rmSync(file);
    else if (kind === 'add')
      writeFileSync(
        path.join(manifests, `new-${i}.yaml`),
        readFileSync(file, 'utf8').replace(/audience-(\d+)\n/, `fresh-${i}\n`),
      );
    else if (kind === 'run' || kind === 'failed-run') {
      const run = {
        runId: `r${i}`,
        status: kind === 'run' ? 'SUCCESS' : 'FAILED',
        createdAt: 1_790_000_000,
        dataFilterStartTime: 0,
      };
      writeFileSync(record, JSON.stringify({ ...json(), runs: [run] }, null, 2));
    } else if (kind === 'policy')
      writeFileSync(record, JSON.stringify({ ...json(), deletionPolicy: 'Orphan' }, null, 2));
    else if (kind === 'duplicate')
      writeFileSync(path.join(manifests, `copy-${i}.yaml`), readFileSync(file, 'utf8'));
    else if (kind === 'invalid')
      writeFileSync(file, 'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: {name: x\n');
    else if (kind === 'on-create')
      writeFileSync(file, readFileSync(file, 'utf8').replace('onCreate: false', 'onCreate: true'));
    else if (kind === 'forget-record') rmSync(record);
    else renameSync(file, path.join(manifests, `renamed-${i}.yaml`));
  } catch {
    // Already gone (an earlier edit): nothing to do.
  }
}

describe('plan with audiences of two kinds (src/plan/quiet.ts)', () => {
  it('leaves the manifests and records the caches serve in sync as lines', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'plan-quiet-'));
    roots.push(root);
    const { manifests, state } = await generateRepo(root, COUNT, true);
    ageFiles(manifests);
    ageFiles(state);
    const cacheFile = path.join(root, 'manifest-cache.jsonl');
    const snapshot = path.join(state, 'state-snapshot.jsonl');
    const options = { defaultSandbox: 'prod', cacheFile };
    await (await loadManifestDir(manifests, options)).saveCache();
    expect((await readStateThroughSnapshot(state, snapshot)).save()).toBe(true);
    cacheWrittenLater(cacheFile);
    cacheWrittenLater(snapshot);
    const load = await loadManifestDir(manifests, { ...options, quiet: true });
    expect(load.quiet?.files.length).toBe(COUNT);
    const read = await readStateThroughSnapshot(
      state,
      snapshot,
      Date.now,
      undefined,
      undefined,
      undefined,
      true,
    );
    expect(read.quiet?.records.length).toBe(COUNT);
    expect(read.state.audiences).toEqual([]);
    // Made objects when asked: what the load and the state read without `quiet` give.
    expect(load.result).toEqual((await loadManifestDir(manifests, options)).result);
    const all = await readStateThroughSnapshot(state, snapshot);
    expect(all.hits).toBe(COUNT);
    expect(read.quiet?.records.map((r) => r.record())).toEqual(all.state.audiences);
  });

  it('leaves the manifests a cold load parses (no manifest cache) as lines too', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'plan-quiet-'));
    roots.push(root);
    const { manifests } = await generateRepo(root, COUNT, true);
    const options = { defaultSandbox: 'prod' };
    const load = await loadManifestDir(manifests, { ...options, quiet: true });
    expect(load.quiet?.files.length).toBe(COUNT);
    // Made objects when asked: what the load without `quiet` gives.
    expect(load.result).toEqual((await loadManifestDir(manifests, options)).result);
  });

  it('plans as a plan without the caches does, through edits of manifests and records', async () => {
    const editsArb = fc.array(fc.tuple(editArb, fc.nat({ max: COUNT - 1 })), { maxLength: 3 });
    await fc.assert(
      // `served`: made before the caches were written, which then serve them; `edits`: after.
      fc.asyncProperty(editsArb, editsArb, async (served, edits) => {
        const { root, manifests, state } = await warmRepo((m, s) => {
          for (const [kind, i] of served) edit(kind, i, m, s);
        });
        for (const [kind, i] of edits) edit(kind, i, manifests, state);
        // The same store without its caches: every file read and parsed, every record read.
        const cold = path.join(root, 'cold-state');
        cpSync(state, cold, { recursive: true });
        rmSync(path.join(cold, 'manifest-cache.jsonl'));
        rmSync(path.join(cold, 'state-snapshot.jsonl'));
        const warm = await runCli(['plan', manifests, '--state', state, '--detailed-exitcode']);
        // The expected plan: the CLI's entry in this process, every file parsed here and every
        // record read (no thread, no cache), against the built CLI's warm and cold plans below.
        const reference = await runCliInProcess(['plan', manifests, '--state', cold, '--detailed-exitcode']);
        const same = (text: string) => text.replaceAll(cold, state);
        expect({ code: warm.code, stdout: warm.stdout, stderr: warm.stderr }).toEqual({
          code: reference.code,
          stdout: same(reference.stdout),
          stderr: same(reference.stderr),
        });
        // And then without its manifest cache alone (a cold plan: every file parsed, the snapshot
        // as the warm plan left it: its quiet records paired with the files parsed now).
        rmSync(path.join(state, 'manifest-cache.jsonl'), { force: true });
        const parsed = await runCli(['plan', manifests, '--state', state, '--detailed-exitcode']);
        expect({ code: parsed.code, stdout: parsed.stdout, stderr: parsed.stderr }).toEqual({
          code: reference.code,
          stdout: same(reference.stdout),
          stderr: same(reference.stderr),
        });
      }),
      {
        numRuns: runs(10),
        // A failed run served by the snapshot, always tried: ten random cases drew it in 2 of 5
        // runs, so a quiet record that let runs through (quietRecordHead) passed the other 3.
        examples: [[[['failed-run', 0]], []]],
      },
    );
  }, 400_000);
});
