import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { PgDatabase } from '../state/pg.js';
import { apply, emulatorEnv } from './apply-env.js';
import { manifestYaml } from './manifests.js';
import type { TestEmulator } from './with-emulator.js';

/**
 * The stray-key-record specs' story: a record under a key no manifest can have (`Bad Key`, made
 * outside audiencectl: a PostgreSQL row edited by hand, a record file renamed). `names` are
 * applied (quiet manifests in `root`/audiences, bronze among them), then `rename` gives bronze's
 * record that key, then `after` changes the manifests (bronze.yaml removed, rewritten, or kept).
 */
export type BadKeyStory = { manifests: string; env: Record<string, string>; bronzeId: string };

export const QUIET = { ingestion: { onCreate: false } };

export async function badKeyStory(
  root: string,
  emulator: TestEmulator,
  state: string,
  names: readonly string[],
  rename: () => Promise<void>,
  after: (manifests: string) => Promise<void> = () => Promise.resolve(),
): Promise<BadKeyStory> {
  const manifests = path.join(root, 'audiences');
  const env = emulatorEnv(emulator);
  await mkdir(manifests);
  for (const name of names) await writeFile(path.join(manifests, `${name}.yaml`), manifestYaml(name, QUIET));
  expect((await apply(manifests, state, env)).code).toBe(0);
  const bronze = emulator.control
    .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
    .find((audience) => audience.audienceName === 'Audience bronze');
  await rename();
  await after(manifests);
  return { manifests, env, bronzeId: bronze?.audienceId ?? '' };
}

/** `rename` for a PostgreSQL store: bronze's row (and its body's key) edited by hand. */
export function badKeyRow(postgres: PgDatabase, schema: string): () => Promise<void> {
  return async () => {
    await postgres.query(
      `UPDATE "${schema}".audiences SET key = 'Bad Key', body = jsonb_set(body, '{key}', '"Bad Key"') WHERE sandbox = 'prod' AND key = 'bronze'`,
    );
  };
}

/** `rename` for a directory store: bronze's record file renamed, its key edited. */
export function badKeyFile(state: string): () => Promise<void> {
  const records = path.join(state, 'audiences', 'prod');
  return async () => {
    const bronze = JSON.parse(await readFile(path.join(records, 'bronze.json'), 'utf8')) as object;
    await writeFile(path.join(records, 'Bad Key.json'), JSON.stringify({ ...bronze, key: 'Bad Key' }));
    await rm(path.join(records, 'bronze.json'));
  };
}
