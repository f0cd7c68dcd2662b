import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type EmulatorClient } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { CLI, writeFiles, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// A store (and a saved plan) belongs to the IMS org it was written for: credentials of
// another org are refused before any call, so a refresh never reads the records as
// "deleted outside audiencectl" and creates every audience again in the wrong org.
const A: EmulatorClient = DEMO_CLIENT;
const B: EmulatorClient = {
  clientId: 'org-b-client',
  clientSecret: 'org-b-secret',
  orgId: 'B0B0B0B0B0B0B0B0B0B0B0B0@AdobeOrg',
};
const emulator = useEmulator({ clients: [A, B], operationDelayMs: 10 });
const tempDir = useTempDirs();
const postgres = usePostgres();

function envOf(client: EmulatorClient): Record<string, string> {
  return emulatorEnv(emulator(), {
    AEP_CLIENT_ID: client.clientId,
    AEP_CLIENT_SECRET: client.clientSecret,
    AEP_ORG_ID: client.orgId,
  });
}

/** What the user is told when the store is A's and the credentials B's. */
function otherOrg(location: string): string {
  return `Error: the state ${location} belongs to IMS org ${A.orgId} (sandbox prod), but these credentials are for ${B.orgId} (AEP_ORG_ID); nothing was sent to AEP or written. Use the state store of ${B.orgId} (--state), or set AEP_ORG_ID to ${A.orgId} if this store is the right one\n`;
}

/** Refused in one line, as the last thing said, without a stack trace. */
function expectRefused(result: CliResult, line: string): void {
  expect(result.code).toBe(1);
  expect(result.stderr.endsWith(line), result.stderr).toBe(true);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** Audience names in `client`'s org, sandbox prod. */
function remote(client: EmulatorClient): string[] {
  return emulator()
    .control.listAudiences(client.orgId, 'prod')
    .map((audience) => audience.audienceName)
    .sort();
}

/** Requests the emulator received (IMS tokens included) since the last reset. */
function requests(): number {
  return emulator().control.counters().requests;
}

/** Manifests of `names` in a directory of their own (no first run), and an empty state directory. */
async function repo(names: readonly string[]): Promise<{ root: string; dir: string; state: string }> {
  const root = await tempDir();
  const dir = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  await writeFiles(
    dir,
    Object.fromEntries(
      names.map((name) => [`${name}.yaml`, manifestYaml(name, { ingestion: { onCreate: false } })]),
    ),
  );
  return { root, dir, state };
}

/** Every file of a directory store (records and meta.json), as bytes by relative path. */
async function storeBytes(state: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(state, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(state, file);
    if (relative === 'meta.json' || relative.startsWith('audiences'))
      files[relative] = (await readFile(file)).toString('base64');
  }
  return files;
}

/**
 * `audiencectl run` until it exits; one that starts instead (its "controller started" log
 * line) is killed at once, and its result says so.
 */
function runController(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    env: { ...process.env, ...env, AUDIENCECTL_LOG_LEVEL: 'info' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.includes('"controller started"')) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

describe('a state store belongs to one IMS org', { timeout: 60_000 }, () => {
  it('(directory) made under org A: apply --refresh and plan --refresh under org B are refused, nothing sent or written', async () => {
    const { dir, state } = await repo(['gold', 'silver']);
    expect((await apply(dir, state, envOf(A))).code).toBe(0);
    const names = remote(A);
    expect(names).toHaveLength(2);
    const before = await storeBytes(state);
    emulator().control.resetCounters();

    const args = ['apply', dir, '--state', state, '--auto-approve', '--refresh'];
    expectRefused(await runCliInProcess(args, { env: envOf(B) }), otherOrg(state));
    const planned = await runCliInProcess(['plan', dir, '--state', state, '--refresh'], { env: envOf(B) });
    expectRefused(planned, otherOrg(state));
    expect(planned.stdout).toBe('');
    // Without --refresh an apply under B is refused all the same: its creates would go to B.
    expectRefused(await apply(dir, state, envOf(B)), otherOrg(state));

    expect(requests()).toBe(0);
    expect(remote(B)).toEqual([]);
    expect(remote(A)).toEqual(names);
    expect(await storeBytes(state)).toEqual(before);
    // The org that refused them, as the first apply recorded it.
    expect(JSON.parse(await readFile(path.join(state, 'meta.json'), 'utf8'))).toMatchObject({
      orgs: { prod: A.orgId },
    });
    // Under A the store is the one it always was.
    const again = await apply(dir, state, envOf(A), '--refresh');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes.');
  });

  it('(PostgreSQL) made under org A: apply --refresh under org B is refused, nothing sent or written', async () => {
    const { dir } = await repo(['tin']);
    const location = await postgres.freshLocation();
    expect((await apply(dir, location, envOf(A))).code).toBe(0);
    const store = await openStateStore(location);
    const before = await store.readAll().finally(() => store.close());
    emulator().control.resetCounters();

    const refused = await runCliInProcess(
      ['apply', dir, '--state', location, '--auto-approve', '--refresh'],
      { env: envOf(B) },
    );
    // The store as messages name it: the URL without its password.
    const display = new URL(location);
    display.password = '';
    display.username = '';
    expectRefused(refused, otherOrg(display.href));
    expect(requests()).toBe(0);
    expect(remote(B)).toEqual([]);
    const after = await openStateStore(location);
    expect(await after.readAll().finally(() => after.close())).toEqual(before);
    const schema = new URL(location).searchParams.get('schema')!;
    const bound = await postgres.query<{ orgs: unknown }>(`SELECT orgs FROM ${schema}.meta`);
    expect(bound).toEqual([{ orgs: { prod: A.orgId } }]);
  });

  it('a store written before orgs were recorded is bound by its first write under credentials, and works on', async () => {
    const { dir, state } = await repo(['iron']);
    expect((await apply(dir, state, envOf(A))).code).toBe(0);
    // meta.json as earlier versions wrote it: lineage and serial, no org.
    const metaFile = path.join(state, 'meta.json');
    const { lineage, serial } = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
    await writeFile(metaFile, `${JSON.stringify({ schemaVersion: 1, lineage, serial }, null, 2)}\n`);
    const unchanged = await apply(dir, state, envOf(A));
    expect(unchanged.stdout).toContain('No changes.');
    // Nothing written, nothing bound.
    expect(JSON.parse(await readFile(metaFile, 'utf8'))).toEqual({ schemaVersion: 1, lineage, serial });

    await writeFiles(dir, {
      'iron.yaml': manifestYaml('iron', { spec: { description: 'Edited' }, ingestion: { onCreate: false } }),
    });
    const edited = await apply(dir, state, envOf(A));
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toContain('1 applied');
    const bound = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
    // Format 2: a release from before orgs refuses it rather than write it back without them.
    expect(bound).toMatchObject({ schemaVersion: 2, lineage, orgs: { prod: A.orgId } });
    expect(bound['serial']).toBeGreaterThan(serial as number);
    const later = await apply(dir, state, envOf(A), '--refresh');
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain('No changes.');
    expectRefused(await apply(dir, state, envOf(B), '--refresh'), otherOrg(state));
    expect(remote(A).filter((name) => name === 'Audience iron')).toHaveLength(1);
  });

  it('a store no write has bound yet, refreshed with org B: the mass re-create is blocked, nothing created', async () => {
    const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const { dir, state } = await repo(names);
    expect((await apply(dir, state, envOf(A))).code).toBe(0);
    // meta.json as earlier versions wrote it: no org, so the org check cannot refuse B.
    const metaFile = path.join(state, 'meta.json');
    const { lineage, serial } = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
    await writeFile(metaFile, `${JSON.stringify({ schemaVersion: 1, lineage, serial }, null, 2)}\n`);
    const before = await storeBytes(state);

    const refreshed = await apply(dir, state, envOf(B), '--refresh');
    expect(refreshed.code, refreshed.stderr).not.toBe(0);
    expect(refreshed.stdout).toContain(
      'the refresh found 6 recorded audiences missing from AEP, more than 5 (the larger of 5 and 10% of the managed audiences)',
    );
    expect(remote(B)).toEqual([]);
    expect(await storeBytes(state)).toEqual(before);
    expect(remote(A)).toEqual(expect.arrayContaining(names.map((name) => `Audience ${name}`)));
  });

  it('a saved plan made under org A is refused under org B, even on a new store; nothing created', async () => {
    const { root, dir, state } = await repo(['bronze']);
    const planFile = path.join(root, 'plan.json');
    const planArgs = ['plan', dir, '--state', state, '--output', 'json', '--out', planFile];
    expect((await runCliInProcess(planArgs, { env: envOf(A) })).code).toBe(0);
    emulator().control.resetCounters();

    const refused = await apply(planFile, state, envOf(B));
    expectRefused(
      refused,
      `Error: ${planFile} was made for IMS org ${A.orgId} (sandbox prod), but these credentials are for ${B.orgId} (AEP_ORG_ID); nothing was sent to AEP or written. Apply it with the credentials of ${A.orgId}, or plan again for ${B.orgId} with its state store\n`,
    );
    expect(requests()).toBe(0);
    expect(remote(B)).toEqual([]);
    expect(remote(A)).not.toContain('Audience bronze');
    expect(await storeBytes(state)).toEqual({});
    const saved = JSON.parse(await readFile(planFile, 'utf8')) as { origin: { orgs?: unknown } };
    expect(saved.origin.orgs).toEqual({ prod: A.orgId });
    // The plan itself is sound: under A it applies.
    const applied = await apply(planFile, state, envOf(A));
    expect(applied.code, applied.stderr).toBe(0);
    expect(remote(A)).toContain('Audience bronze');

    // A plan made without credentials records no org; the store's own org still refuses B.
    await writeFiles(dir, {
      'bronze.yaml': manifestYaml('bronze', {
        spec: { description: 'Edited' },
        ingestion: { onCreate: false },
      }),
    });
    const noCredentials = { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined };
    expect((await runCliInProcess(planArgs, { env: noCredentials })).code).toBe(0);
    const blind = JSON.parse(await readFile(planFile, 'utf8')) as { origin: Record<string, unknown> };
    expect(blind.origin).not.toHaveProperty('orgs');
    const before = await storeBytes(state);
    expectRefused(await apply(planFile, state, envOf(B)), otherOrg(state));
    expect(await storeBytes(state)).toEqual(before);
    expect(remote(B)).toEqual([]);
  });

  it('the controller refuses to start on a store of another org (before any call)', async () => {
    const { dir, state } = await repo(['copper']);
    expect((await apply(dir, state, envOf(A))).code).toBe(0);
    const before = await storeBytes(state);
    emulator().control.resetCounters();
    const started = await runController(
      ['--dir', dir, '--state', state, '--listen', '127.0.0.1:0'],
      envOf(B),
    );
    expectRefused(started, otherOrg(state));
    expect(requests()).toBe(0);
    expect(remote(B)).toEqual([]);
    expect(await storeBytes(state)).toEqual(before);
  });
});
