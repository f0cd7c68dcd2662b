import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { STATE_SNAPSHOT_NAME } from '../../src/state/snapshot.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { aRecord, useTempDirs } from '../state/helpers.js';

const tempDir = useTempDirs();

/** A store of two records and an empty manifest directory: the plan deletes both. */
async function store(): Promise<{ manifests: string; state: string }> {
  const root = await tempDir();
  const manifests = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  mkdirSync(manifests);
  mkdirSync(path.join(state, 'audiences', 'prod'), { recursive: true });
  writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 2 }));
  for (const key of ['k1', 'k2'])
    writeFileSync(
      recordPath(state, 'prod', key),
      JSON.stringify(aRecord(key, { audienceId: `aud-${key}-1` })),
    );
  return { manifests, state };
}

const planArgs = (manifests: string, state: string) => [
  'plan',
  manifests,
  '--state',
  state,
  '--allow-empty-source',
  '--allow-mass-delete',
  '--output',
  'json',
];

/** The plan's steps (a JSON plan also carries the time it was made). */
function steps(stdout: string): unknown {
  return (JSON.parse(stdout) as { steps: unknown }).steps;
}

describe('plan with the state snapshot', () => {
  it('writes it beside the records and plans what the records say, with or without it', async () => {
    const { manifests, state } = await store();
    const first = await runCliInProcess(planArgs(manifests, state));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('aud-k1-1');
    expect(existsSync(path.join(state, STATE_SNAPSHOT_NAME))).toBe(true);
    // A record edited after the snapshot was written: the plan shows the edit.
    writeFileSync(recordPath(state, 'prod', 'k1'), JSON.stringify(aRecord('k1', { audienceId: 'aud-k1-2' })));
    const second = await runCliInProcess(planArgs(manifests, state));
    expect(second.stdout).toContain('aud-k1-2');
    expect(second.stdout).not.toContain('aud-k1-1');
    const without = await runCliInProcess(planArgs(manifests, state), {
      env: { AUDIENCECTL_STATE_SNAPSHOT: 'off' },
    });
    expect(without.code).toBe(second.code);
    expect(steps(without.stdout)).toEqual(steps(second.stdout));
  });

  it('is neither read nor written with AUDIENCECTL_STATE_SNAPSHOT=off or AUDIENCECTL_MANIFEST_CACHE=off', async () => {
    for (const env of [{ AUDIENCECTL_STATE_SNAPSHOT: 'off' }, { AUDIENCECTL_MANIFEST_CACHE: 'off' }]) {
      const { manifests, state } = await store();
      expect((await runCliInProcess(planArgs(manifests, state), { env })).code).toBe(0);
      expect(existsSync(path.join(state, STATE_SNAPSHOT_NAME))).toBe(false);
    }
  });
});
