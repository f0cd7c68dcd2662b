import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// With a PostgreSQL store the manifest cache is a local file, and the `manifest_cache`
// table keeps a copy for a machine without one (a fresh CI runner, a new pod).
const postgres = usePostgres();
const tempDir = useTempDirs();

/** Writes each manifest anew (a fresh inode, as a new clone has), `description` as given. */
async function writeManifests(dir: string, descriptions: Record<string, string>): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [name, description] of Object.entries(descriptions)) {
    const manifest: ManifestInput = manifestObject(name, { spec: { description } });
    await writeFile(path.join(dir, `${name}.yaml`), stringify(manifest));
  }
}

/** The descriptions a JSON plan would create, by audience name. */
async function plannedDescriptions(dir: string, location: string, cacheHome: string) {
  const result = await runCliInProcess(['plan', dir, '--state', location, '--output', 'json'], {
    env: { XDG_CACHE_HOME: cacheHome },
  });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const plan = JSON.parse(result.stdout) as {
    steps: Array<{ create?: { name: string; description?: string } }>;
  };
  return Object.fromEntries(
    plan.steps.flatMap((step) => (step.create ? [[step.create.name, step.create.description]] : [])),
  );
}

async function localCaches(cacheHome: string): Promise<string[]> {
  const dir = path.join(cacheHome, 'audiencectl');
  const names = await readdir(dir).catch(() => []);
  return Promise.all(names.map((name) => readFile(path.join(dir, name), 'utf8')));
}

async function tableDocument(location: string, source: string): Promise<string | undefined> {
  const schema = new URL(location).searchParams.get('schema') ?? '';
  const rows = await postgres.query<{ document: string }>(
    `SELECT document FROM ${schema}.manifest_cache WHERE source = $1`,
    [source],
  );
  return rows[0]?.document;
}

describe('the manifest cache of a PostgreSQL store', { timeout: 90_000 }, () => {
  it('is copied to the table, seeds a machine without a local cache, and never hides a change', async () => {
    const location = await postgres.freshLocation();
    const dir = path.join(await tempDir(), 'audiences');
    await writeManifests(dir, { a0: 'first', a1: 'first' });
    const source = await realpath(dir);

    // The first machine: parses everything, writes its local cache and the table's copy.
    const first = await tempDir();
    expect(await plannedDescriptions(dir, location, first)).toEqual({
      'Audience a0': 'first',
      'Audience a1': 'first',
    });
    const [local] = await localCaches(first);
    expect(local).toBeDefined();
    expect(await tableDocument(location, source)).toBe(local);

    // The copy is what a fresh machine uses: to prove it, the table's copy says something
    // else for a0 (with its digest made to match, so it passes the cache's own checks).
    const [header, ...body] = local!.split('\n');
    const forgedBody = body.join('\n').replaceAll('"description":"first"', '"description":"from the table"');
    const forgedHeader = {
      ...(JSON.parse(header!) as Record<string, unknown>),
      digest: createHash('sha1').update(forgedBody).digest('hex'),
    };
    const schema = new URL(location).searchParams.get('schema') ?? '';
    await postgres.query(`UPDATE ${schema}.manifest_cache SET document = $1 WHERE source = $2`, [
      `${JSON.stringify(forgedHeader)}\n${forgedBody}`,
      source,
    ]);

    // A fresh machine: no local cache, every file a new inode. a0's content is unchanged,
    // so its cached parse is taken (not parsed again); a1 changed, so it is parsed.
    await writeManifests(dir, { a0: 'first', a1: 'edited' });
    const fresh = await tempDir();
    expect(await plannedDescriptions(dir, location, fresh)).toEqual({
      'Audience a0': 'from the table',
      'Audience a1': 'edited',
    });
    // The fresh machine's cache (new facts, a1's new parse) went back to the table.
    const [freshLocal] = await localCaches(fresh);
    expect(freshLocal).toContain('"description":"edited"');
    expect(await tableDocument(location, source)).toBe(freshLocal);
  });

  it('plans as without it when the table cannot be read', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema') ?? '';
    await postgres.query(`DROP TABLE ${schema}.manifest_cache`);
    const dir = path.join(await tempDir(), 'audiences');
    await writeManifests(dir, { a0: 'first' });
    expect(await plannedDescriptions(dir, location, await tempDir())).toEqual({ 'Audience a0': 'first' });
  });
});
