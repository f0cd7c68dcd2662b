import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { readStateThroughSnapshot } from '../../src/state/read-snapshot.js';
import { SNAPSHOT_RACY_MARGIN_MS, STATE_SNAPSHOT_NAME } from '../../src/state/snapshot.js';
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

  it("plans again from the records when a spec the plan reads is not in the snapshot's specs section as written", async () => {
    const { manifests, state } = await store();
    // The snapshot trusts a record only once its racy margin has passed since it was written
    // (a change time cannot be set back).
    await sleep(SNAPSHOT_RACY_MARGIN_MS + 100);
    expect((await runCliInProcess(planArgs(manifests, state))).code).toBe(0);
    const snapshot = path.join(state, STATE_SNAPSHOT_NAME);
    // Every byte of the specs section (after the records' lines, which its digest covers) changed in place.
    const bytes = readFileSync(snapshot);
    const end = bytes.indexOf(0x0a);
    const { index } = JSON.parse(bytes.toString('utf8', 0, end)) as { index: number };
    expect(end + 1 + index).toBeLessThan(bytes.length);
    for (let at = end + 1 + index; at < bytes.length; at += 1) bytes[at] = 0x78;
    writeFileSync(snapshot, bytes);

    // A JSON plan reads every record's spec (its state digest is of their JSON).
    const damaged = await runCliInProcess(planArgs(manifests, state));
    const without = await runCliInProcess(planArgs(manifests, state), {
      env: { AUDIENCECTL_STATE_SNAPSHOT: 'off' },
    });
    expect(damaged.stderr).toBe(without.stderr);
    expect(damaged.code).toBe(without.code);
    expect(steps(damaged.stdout)).toEqual(steps(without.stdout));
    // Written anew by the plan made again: it serves both records, specs and all.
    const read = await readStateThroughSnapshot(state, snapshot);
    expect(read.hits).toBe(2);
    expect(JSON.parse(JSON.stringify(read.state.audiences))).toEqual(
      ['k1', 'k2'].map((key) => JSON.parse(readFileSync(recordPath(state, 'prod', key), 'utf8')) as unknown),
    );
  });
});
