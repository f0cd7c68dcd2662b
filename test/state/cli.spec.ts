import { rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { aRecord, pendingCreate, useTempDirs } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores } from './stores.js';

const tempDir = useTempDirs();
const stores = useStores();

/** Audience ids are UUIDs. */
const AUD1 = '11111111-1111-4111-8111-111111111111';
const AUD2 = '22222222-2222-4222-8222-222222222222';
const AUD9 = '99999999-9999-4999-8999-999999999999';
const OTHER = '0fe00000-0000-4000-8000-000000000000';
type Result = CliResult;

/** `audiencectl state ...`, in this process: see test/helpers/cli-in-process.ts. */
function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return runCliInProcess(['state', ...args], { env });
}

/** A user mistake is one `Error:` line, never a stack trace. */
function expectCleanError(result: Result, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^Error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

async function seed(location: string, records: AudienceRecord[]): Promise<void> {
  const store = await openStateStore(location);
  await store.lock();
  for (const record of records) await store.put(record);
  await store.close();
}

/** A directory of manifests: file name to the key its manifest names. */
async function manifestDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [file, key] of Object.entries(files)) await writeFile(path.join(dir, file), manifestYaml(key));
  return dir;
}

const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

describe.each(stores)('audiencectl state on the $name store', (kind) => {
  it('imports, lists, shows and forgets a record', async () => {
    const dir = await kind.fresh();
    const manifests = await manifestDir({ 'gold.yaml': 'gold-members', 'silver.yaml': 'silver' });
    const imported = await run(['import', 'gold-members', manifests, '--audience-id', AUD1, '--state', dir]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(new RegExp(`^Imported prod/gold-members: audience ${AUD1}.\n`));
    // No AEP credentials in this environment: the import says it could not check the id.
    expect(imported.stdout).toContain(
      '  - Not verified through the service: no AEP credentials are configured',
    );

    await run(['import', 'silver', manifests, '--audience-id', AUD2, '--state', dir], { AEP_SANDBOX: 'dev' });
    const listed = await run(['list', '--state', dir]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^SANDBOX\s+KEY\s+AUDIENCE ID\s+STATUS\s+LAST RUN$/);
    expect(lines[1]).toMatch(new RegExp(`^dev\\s+silver\\s+${AUD2}\\s+ok\\s+-$`));
    expect(lines[2]).toMatch(new RegExp(`^prod\\s+gold-members\\s+${AUD1}\\s+ok\\s+-$`));
    expect(listed.stdout).toMatch(/2 audiences; lineage [0-9a-f-]{36}, serial 2\./);
    // A filter that matches nothing says what the store does hold; a mistyped one is refused.
    const staging = await run(['list', '--sandbox', 'staging', '--state', dir]);
    expect(staging.stdout).toMatch(
      /^No audiences recorded for sandbox staging in .*; it holds 2 in other sandboxes: dev, prod\.\n$/,
    );
    const mistyped = await run(['list', '--sandbox', 'Dev', '--state', dir]);
    expect(mistyped).toMatchObject({ code: 1, stdout: '' });
    expect(mistyped.stderr).toBe(
      'Error: --sandbox: invalid sandbox name "Dev": use lowercase letters, digits and "-" (at most 63), as AEP does\n',
    );

    const shown = await run(['show', 'silver', '--state', dir]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ sandbox: 'dev', key: 'silver', audienceId: AUD2 });

    const forgotten = await run(['forget', 'gold-members', '--state', dir]);
    expect(forgotten.code).toBe(0);
    expect(forgotten.stdout).toContain(
      `Forgot prod/gold-members (audience ${AUD1}). The remote audience is untouched.`,
    );
    const json = JSON.parse((await run(['list', '--json', '--state', dir])).stdout) as {
      meta: { serial: number };
      audiences: AudienceRecord[];
    };
    expect(json.audiences.map((r) => r.key)).toEqual(['silver']);
    expect(json.meta.serial).toBe(3);
  });

  it('repairs an audience that exists remotely with an unknown id', async () => {
    const dir = await kind.fresh();
    const blocked = {
      code: 'EXISTS_REMOTELY',
      message: 'exists remotely, id unknown',
      at: '2026-11-22T10:00:00Z',
    };
    const intent = { id: 'i-1', kind: 'create' as const, startedAt: '2026-11-22T09:59:00Z' };
    await seed(dir, [
      {
        schemaVersion: 1,
        sandbox: 'prod',
        key: 'gold',
        deletionPolicy: 'Delete',
        runs: [],
        blocked,
        intent,
        // The create the intent sent, which the imported audience answers.
        pendingCreate: pendingCreate('gold'),
      },
    ]);
    const before = await run(['list', '--state', dir]);
    expect(before.stdout).toMatch(/prod\s+gold\s+-\s+blocked \(EXISTS_REMOTELY\)\s+-\n/);
    // The command carries the --state given (a URL's password never: src/text/paste-flags.spec.ts).
    expect(before.stdout).toContain('1 blocked: `audiencectl state show KEY --state ');

    const manifests = await manifestDir({ 'gold.yaml': 'gold' });
    const result = await run(['import', 'gold', manifests, '--audience-id', AUD9, '--state', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('cleared the blocked mark (EXISTS_REMOTELY)');
    // Without credentials nothing shows the audience is the create's own (review 10, 3): the
    // create is resolved, the audience counted as already ingested, as one made outside.
    expect(result.stdout).toContain(
      '  - the pending create intent from 2026-11-22T09:59:00Z is resolved by this audience, but without AEP credentials who created it, and when, could not be checked: not shown to be the audience that create made, so it is taken as made outside audiencectl\n',
    );
    const record = JSON.parse((await run(['show', 'gold', '--state', dir])).stdout) as AudienceRecord;
    expect(record).toEqual({
      schemaVersion: 1,
      sandbox: 'prod',
      key: 'gold',
      audienceId: AUD9,
      deletionPolicy: 'Delete',
      runs: [],
      imported: { at: expect.any(String) as string, name: 'Audience gold', unverified: true },
      manifestFile: 'gold.yaml',
      // The directory imported from, outside git as given (a plan of another one holds it).
      sourceRoot: manifests,
    });
  });

  it('refuses to re-point a key at another audience without --force', async () => {
    const dir = await kind.fresh();
    await seed(dir, [aRecord('gold')]);
    const manifests = await manifestDir({ 'gold.yaml': 'gold' });
    expectCleanError(
      await run(['import', 'gold', manifests, '--audience-id', OTHER, '--state', dir]),
      /already points at audience aud-gold; pass --force/,
    );
    const forced = await run([
      'import',
      'gold',
      manifests,
      '--audience-id',
      OTHER,
      '--force',
      '--state',
      dir,
    ]);
    expect(forced.code).toBe(0);
    const record = JSON.parse((await run(['show', 'gold', '--state', dir])).stdout) as AudienceRecord;
    expect(record.audienceId).toBe(OTHER);
    expect(record.applied).toBeUndefined();
  });

  it('asks for --sandbox when a key is recorded in several sandboxes', async () => {
    const dir = await kind.fresh();
    await seed(dir, [aRecord('gold'), aRecord('gold', { sandbox: 'dev', audienceId: 'dev-gold' })]);
    expectCleanError(
      await run(['show', 'gold', '--state', dir]),
      /recorded in sandboxes dev, prod; pass --sandbox/,
    );
    expect(
      JSON.parse((await run(['show', 'gold', '--sandbox', 'dev', '--state', dir])).stdout),
    ).toMatchObject({
      audienceId: 'dev-gold',
    });
    const fromEnv = await run(['show', 'gold', '--state', dir], { AEP_SANDBOX: 'prod' });
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ audienceId: 'aud-gold' });
    expectCleanError(
      await run(['forget', 'gold', '--sandbox', 'qa', '--state', dir]),
      /no record for qa\/gold .*; it exists in sandbox dev, prod: pass --sandbox/,
    );
  });
});

describe('audiencectl state on a directory', () => {
  it('says clearly when --state is wrong', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    expectCleanError(
      await run(['list', '--state', path.join(dir, 'missing')]),
      /no state directory at .*missing; pass --state/,
    );
    expectCleanError(await run(['list', '--state', file]), /a-file is not a directory/);
    expectCleanError(await run(['show', 'gold', '--state', file]), /a-file is not a directory/);
    expectCleanError(
      await run(['import', 'gold', dir, '--audience-id', AUD1, '--state', file]),
      /--state .*a-file is a file, not a state directory/,
    );
  });

  it('names a corrupt state file, and forget drops it', async () => {
    const dir = await tempDir();
    await seed(dir, [aRecord('gold'), aRecord('silver')]);
    const file = recordPath(dir, 'prod', 'gold');
    await writeFile(file, '{"schemaVersion": 1, "sandb');
    const corrupt = await run(['list', '--state', dir]);
    expectCleanError(corrupt, new RegExp(`state file ${file} is not valid JSON`));
    // The commands name the key, sandbox and store of the file (review 7, L2).
    expect(corrupt.stderr).toContain(
      `restore it from a backup, or drop it with \`audiencectl state forget gold --sandbox prod --state ${dir}\` and record the audience again with \`audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID --state ${dir}\` (MANIFESTS_DIR: your manifests directory; AUDIENCE_ID: its id from AEP)\n`,
    );
    expectCleanError(await run(['show', 'gold', '--state', dir]), /is not valid JSON/);
    expect((await run(['forget', 'gold', '--sandbox', 'prod', '--state', dir])).code).toBe(0);
    const listed = await run(['list', '--state', dir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('silver');
  });

  it('forget of a record file that cannot be read says so, never that there is no record', async () => {
    const dir = await tempDir();
    await seed(dir, [aRecord('gold')]);
    const file = recordPath(dir, 'prod', 'gold');
    // A link to itself: reading or stat-ing it fails (ELOOP), as an unreadable file's would.
    await rm(file);
    await symlink(path.basename(file), file);
    const result = await run(['forget', 'gold', '--state', dir]);
    expectCleanError(result, new RegExp(`cannot read state file ${file}`));
    expect(result.stderr).not.toMatch(/no record/i);
  });

  it('rejects bad keys, audience ids and durations', async () => {
    const dir = await tempDir();
    expectCleanError(
      await run(['import', '../x', dir, '--audience-id', AUD1, '--state', dir]),
      /invalid audience key "..\/x"/,
    );
    expectCleanError(
      await run(['import', 'x', dir, '--audience-id', 'a b', '--state', dir]),
      /--audience-id "a b" is not an audience id: AEP audience ids are UUIDs/,
    );
    expectCleanError(
      await run(['import', 'x', dir, '--audience-id', AUD1, '--lock-timeout', 'soon', '--state', dir]),
      /--lock-timeout: "soon" is not a duration \(e\.g\. 30s, 5m, 1h30m\)/,
    );
    const missing = await run(['import', 'x', '--state', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: state import needs <key> and --audience-id <id>, or --discover\n');
  });

  it('refuses to write while another process holds the lock, and takes over a dead one', async () => {
    const dir = await tempDir();
    await seed(dir, [aRecord('gold')]);
    const holder = spawnFixture('holder.mjs', [dir]);
    children.push(holder);
    await holder.waitFor(/^locked/);
    const refused = await run(['forget', 'gold', '--state', dir]);
    expectCleanError(
      refused,
      new RegExp(`locked by pid ${holder.pid} on host .* \\(test-holder\\) since .*--lock-timeout`),
    );
    // Reading needs no lock.
    expect((await run(['list', '--state', dir])).code).toBe(0);

    await holder.kill();
    const forgotten = await run(['forget', 'gold', '--state', dir]);
    expect(forgotten.code).toBe(0);
    expect(forgotten.stderr).toMatch(
      new RegExp(
        `Took over a stale state lock held by pid ${holder.pid} .*: its process is no longer running`,
      ),
    );
  });
});

describe('audiencectl state import KEY [dir]', () => {
  const REFUSED =
    'nothing was imported: recorded without a manifest, the audience would be deleted by the next apply (--without-manifest records it anyway, for that)\n';

  it('refuses a key no manifest of the directory given names (a typo), and records nothing', async () => {
    const dir = await tempDir();
    const manifests = await manifestDir({ 'gold.yaml': 'gold-members' });
    const result = await run(['import', 'gold-membres', manifests, '--audience-id', AUD1, '--state', dir]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `Error: no manifest in ${manifests} names prod/gold-membres (did you mean "gold-members"?); ${REFUSED}`,
    );
    const store = await openStateStore(dir);
    expect((await store.readAll()).audiences).toEqual([]);
    await store.close();
    // The key its manifest names is imported.
    const imported = await run(['import', 'gold-members', manifests, '--audience-id', AUD1, '--state', dir]);
    expect(imported.code).toBe(0);
  });

  it('refuses the typo without a dir too: the default . holds the manifests', async () => {
    const dir = await tempDir();
    const manifests = await manifestDir({ 'gold.yaml': 'gold-members' });
    const result = await runCliInProcess(
      ['state', 'import', 'gold-membres', '--audience-id', AUD1, '--state', dir],
      { cwd: manifests },
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `Error: no manifest in . names prod/gold-membres (did you mean "gold-members"?); ${REFUSED}`,
    );
    const store = await openStateStore(dir);
    expect((await store.readAll()).audiences).toEqual([]);
    await store.close();
  });

  it('refuses a key whose manifest is in another sandbox, naming it: --sandbox was forgotten', async () => {
    const dir = await tempDir();
    const manifests = await tempDir();
    await writeFile(
      path.join(manifests, 'gold.yaml'),
      manifestYaml('gold', { metadata: { sandbox: 'marketing' } }),
    );
    const result = await run(['import', 'gold', manifests, '--audience-id', AUD1, '--state', dir]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `Error: no manifest in ${manifests} names prod/gold (its manifest is in sandbox "marketing": pass --sandbox); ${REFUSED}`,
    );
    const imported = await run([
      'import',
      'gold',
      manifests,
      '--sandbox',
      'marketing',
      '--audience-id',
      AUD1,
      '--state',
      dir,
    ]);
    expect(imported.code).toBe(0);
  });

  it('imports a key a broken file names or may name: the plan holds it, never a deletion', async () => {
    const dir = await tempDir();
    const manifests = await manifestDir({ 'gold.yaml': 'gold-members' });
    // A schema error: the file is read far enough to know its key, which is held.
    await writeFile(
      path.join(manifests, 'silver.yaml'),
      manifestYaml('silver').replace('sourceSpec:', 'sourcespec:'),
    );
    const held = await run(['import', 'silver', manifests, '--audience-id', AUD1, '--state', dir]);
    expect(held.stderr).toBe('');
    expect(held.code).toBe(0);
    expect(held.stdout).toContain(
      '  - silver.yaml has errors: its ingestion.request token and file are not recorded; the record is held, never deleted, while the file has errors\n',
    );
    // A syntax error: its keys are unknown, and the plan holds every deletion.
    await writeFile(
      path.join(manifests, 'bronze.yaml'),
      'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata:\n  name: bronze\n  sandbox: [prod\nspec: {}\n',
    );
    const unknown = await run(['import', 'bronze', manifests, '--audience-id', AUD2, '--state', dir]);
    expect(unknown.stderr).toBe('');
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain(
      `  - a file in ${manifests} could not be read far enough to know its audiences (\`audiencectl validate ${manifests}\` names it), and it may name prod/bronze: its ingestion.request token and file are not recorded; deletions are held until it is fixed, and if no manifest names the key then, the next plan deletes this audience\n`,
    );
  });

  it('refuses a directory with no manifest of the sandbox, naming what to give; --without-manifest records it', async () => {
    const dir = await tempDir();
    const empty = await tempDir();
    const refused = await run(['import', 'gold', empty, '--audience-id', AUD1, '--state', dir]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toBe(
      `Error: no manifest in ${empty} names prod/gold (it holds no manifest of sandbox "prod": give the manifests' directory: \`audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id ${AUD1} --state ${dir}\` (MANIFESTS_DIR: your manifests directory)); ${REFUSED}`,
    );
    const store = await openStateStore(dir);
    expect((await store.readAll()).audiences).toEqual([]);
    await store.close();
    const recorded = await run([
      'import',
      'gold',
      empty,
      '--audience-id',
      AUD1,
      '--without-manifest',
      '--state',
      dir,
    ]);
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toContain('without a manifest, the next plan deletes this audience');
    expect(JSON.parse((await run(['show', 'gold', '--state', dir])).stdout)).toMatchObject({
      key: 'gold',
      audienceId: AUD1,
    });
  });
});
