import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { RECORD_SCHEMA_ID } from '../../src/state/record-schema-id.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { SNAPSHOT_RACY_MARGIN_MS, STATE_SNAPSHOT_NAME, writeSnapshot } from '../../src/state/snapshot.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState } from '../helpers/planning.js';
import { usePostgres } from '../state/pg.js';
import { useTempDirs } from '../state/helpers.js';

// A release before failure reasons were scrubbed where they enter (src/aep/types.ts) kept
// the service's text as it came: one that quoted the request it failed is still in the state.

/** The client secret, in AEP_CLIENT_SECRET as a CI job sets it; the plan loads no configuration. */
const CLIENT_SECRET = 'cs-0ld-Rec0rd-7f3a9b';
const BEARER = 'eyJhbGciOiJSUzI1NiJ9.old-access-token-4c1d';
const PASSWORD = 'dlz-pw-81c2e0';
const RAW = `Ingestion failed: GET https://loader:${PASSWORD}@dlz.example.com/exports/gold.csv answered 403 to Authorization: Bearer ${BEARER} (client ${CLIENT_SECRET})`;
const SCRUBBED =
  'Ingestion failed: GET https://dlz.example.com/exports/gold.csv answered 403 to Authorization: Bearer [REDACTED] (client [REDACTED])';
const LEAKS = [CLIENT_SECRET, BEARER, PASSWORD];

const tempDir = useTempDirs();
const postgres = usePostgres();

const MANIFEST = manifestYaml('gold', { ingestion: { onCreate: true } });

/** The manifests, and the record an apply of them left, its first run failed with `reason`. */
async function oldRecord(reason: string): Promise<{ manifests: string; record: AudienceRecord }> {
  const manifests = path.join(await tempDir(), 'manifests');
  mkdirSync(manifests);
  writeFileSync(path.join(manifests, 'gold.yaml'), MANIFEST);
  const [record] = appliedState(loadTexts({ 'gold.yaml': MANIFEST })).audiences;
  if (!record) throw new Error('the apply left no record');
  record.runs = [{ ...record.runs[0]!, status: 'FAILED', failureReason: reason }];
  return { manifests, record };
}

/** A directory store holding `record` as it was written. */
async function stateDir(record: AudienceRecord): Promise<string> {
  const state = path.join(await tempDir(), 'state');
  mkdirSync(path.join(state, 'audiences', 'prod'), { recursive: true });
  writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 3 }));
  writeFileSync(recordPath(state, 'prod', 'gold'), JSON.stringify(record));
  return state;
}

async function plan(manifests: string, state: string, ...more: string[]): Promise<string> {
  const result = await runCliInProcess(['plan', manifests, '--state', state, '--sandbox', 'prod', ...more], {
    env: { AEP_CLIENT_SECRET: CLIENT_SECRET },
  });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.code).toBe(0);
  return result.stdout + result.stderr;
}

function expectScrubbed(text: string, reason = SCRUBBED): void {
  for (const leak of LEAKS) expect(text).not.toContain(leak);
  expect(text).toContain(`FAILED: ${reason}; change ingestion.request to start a new run`);
}

describe("a failed run's reason recorded unscrubbed by an older release", () => {
  it('is scrubbed in every form of the plan (text, JSON, Markdown written with --out) and by state show', async () => {
    const { manifests, record } = await oldRecord(RAW);
    const state = await stateDir(record);
    const text = await plan(manifests, state);
    // Only the directory the older release did not record (no API call); the failed run is
    // not started again.
    expect(text).toContain('~ prod/gold update: manifest directory recorded (record only, no API call)');
    expect(text).not.toMatch(/prod\/gold run/);
    expectScrubbed(text);
    const json = JSON.parse(await plan(manifests, state, '--output', 'json')) as { failedRuns: unknown };
    expect(json.failedRuns).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        runId: record.runs[0]!.runId,
        reason: SCRUBBED,
        next: 'change ingestion.request to start a new run',
      },
    ]);
    const out = path.join(await tempDir(), 'plan.md');
    await plan(manifests, state, '--output', 'markdown', '--out', out);
    // Markdown escapes the brackets of [REDACTED] and follows https with a zero-width space
    // (running text: no link is made of either; e3ecee3f).
    const markdownReason = SCRUBBED.replaceAll('[', '\\[')
      .replaceAll(']', '\\]')
      .replace('https://', 'https&#8203;://');
    expectScrubbed(readFileSync(out, 'utf8'), markdownReason);
    // `state show`: the record (JSON on standard output) and its last run's failure.
    const shown = await runCliInProcess(['state', 'show', 'gold', '--state', state, '--sandbox', 'prod'], {
      env: { AEP_CLIENT_SECRET: CLIENT_SECRET },
    });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runs: [{ failureReason: SCRUBBED }] });
    expectScrubbed(shown.stdout + shown.stderr);
  });

  it('is scrubbed when the state snapshot an older release wrote serves the record', async () => {
    const { manifests, record } = await oldRecord('read from the file');
    const state = await stateDir(record);
    const file = recordPath(state, 'prod', 'gold');
    const { size, mtimeMs, ctimeMs, ino } = statSync(file);
    // The record as the older release read it, in a snapshot of a listing made after the
    // file's last change (so trusted): what only the snapshot holds shows it was served.
    const served: AudienceRecord = {
      ...record,
      runs: [{ ...record.runs[0]!, failureReason: `${RAW} (snapshot)` }],
    };
    const scannedAt = Math.max(mtimeMs, ctimeMs) + SNAPSHOT_RACY_MARGIN_MS + 1_000;
    const facts = { size, mtimeMs, ctimeMs, ino };
    const snapshot = path.join(state, STATE_SNAPSHOT_NAME);
    expect(
      writeSnapshot(snapshot, path.resolve(state), RECORD_SCHEMA_ID, scannedAt, [{ facts, record: served }]),
    ).toBe(true);
    expectScrubbed(await plan(manifests, state), `${SCRUBBED} (snapshot)`);
  });

  it('is scrubbed when read from a PostgreSQL store', async () => {
    const { manifests, record } = await oldRecord(RAW);
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema') ?? '';
    await postgres.query(`INSERT INTO ${schema}.audiences (sandbox, key, body) VALUES ('prod', 'gold', $1)`, [
      JSON.stringify(record),
    ]);
    expectScrubbed(await plan(manifests, location));
  });
});

describe("a failed run's reason quoting a client secret only the configuration file names", () => {
  // No AEP_CLIENT_SECRET: the secrets come from a variable the file names (clientSecretEnv)
  // and from a file it names (clientSecretFile), which a plan without --refresh never needs.
  const FROM_ENV = 'cs-named-Var-2e7d41';
  const FROM_FILE = 'cs-in-File-8b3f06';
  const QUOTING = `Ingestion failed: 401 for the client secret ${FROM_ENV} (and ${FROM_FILE})`;
  const QUOTED = 'Ingestion failed: 401 for the client secret [REDACTED] (and [REDACTED])';

  /** aep.yaml naming the store (`state:`) and the secrets, beside the secret file. */
  async function configFile(state: string, secrets: { env: string; file: string }): Promise<string> {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'prod-secret.txt'), `${FROM_FILE}\n`);
    const file = path.join(dir, 'aep.yaml');
    writeFileSync(
      file,
      [
        `state: ${state}`,
        'credentials:',
        '  clientId: cfg-client',
        '  orgId: CFG@AdobeOrg',
        `  clientSecretFile: ${secrets.file}`,
        'sandboxes:',
        `  prod: { clientSecretEnv: ${secrets.env} }`,
        '',
      ].join('\n'),
    );
    return file;
  }

  const ENV = {
    AEP_CLIENT_SECRET: undefined,
    AEP_CLIENT_ID: undefined,
    AEP_ORG_ID: undefined,
    AUDIENCECTL_STATE: undefined,
    AUDIENCECTL_STATE_DIR: undefined,
    AUDIENCECTL_CONFIG: undefined,
    PROD_AEP_SECRET: FROM_ENV,
  };

  /** Standard output and error of a run that succeeded. */
  async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
    const result = await runCliInProcess(args, { env: { ...ENV, ...env } });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    return result.stdout + result.stderr;
  }

  function expectQuotedScrubbed(text: string, reason = QUOTED): void {
    for (const leak of [FROM_ENV, FROM_FILE]) expect(text).not.toContain(leak);
    expect(text).toContain(reason);
  }

  it('is scrubbed by plan without --refresh (text, JSON, Markdown) and by state list and show', async () => {
    const { manifests, record } = await oldRecord(QUOTING);
    const state = await stateDir(record);
    const config = await configFile(state, { env: 'PROD_AEP_SECRET', file: 'prod-secret.txt' });
    const plan = ['plan', manifests, '--sandbox', 'prod'];
    // The store named by --state (the file is then read for nothing else) and by the file's `state:`.
    const text = await run([...plan, '--state', state, '--config', config]);
    // Only the directory the older release did not record (no API call); the failed run is
    // not started again.
    expect(text).toContain('~ prod/gold update: manifest directory recorded (record only, no API call)');
    expect(text).not.toMatch(/prod\/gold run/);
    expectQuotedScrubbed(text);
    expectQuotedScrubbed(await run(plan, { AUDIENCECTL_CONFIG: config }));
    const json = JSON.parse(await run([...plan, '--config', config, '--output', 'json'])) as {
      failedRuns: Array<{ reason: string }>;
    };
    expect(json.failedRuns.map((run) => run.reason)).toEqual([QUOTED]);
    const out = path.join(await tempDir(), 'plan.md');
    await run([...plan, '--config', config, '--output', 'markdown', '--out', out]);
    expectQuotedScrubbed(readFileSync(out, 'utf8'), QUOTED.replaceAll('[', '\\[').replaceAll(']', '\\]'));
    // The state commands take the file from AUDIENCECTL_CONFIG (they have no --config).
    const listed = await run(['state', 'list', '--json'], { AUDIENCECTL_CONFIG: config });
    expectQuotedScrubbed(listed);
    const shown = await runCliInProcess(['state', 'show', 'gold', '--state', state], {
      env: { ...ENV, AUDIENCECTL_CONFIG: config },
    });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runs: [{ failureReason: QUOTED }] });
    expectQuotedScrubbed(shown.stdout + shown.stderr);
  });

  it('does not fail a plan without --refresh when the secret file or the named variable is missing', async () => {
    const { manifests, record } = await oldRecord('the run failed');
    const state = await stateDir(record);
    const config = await configFile(state, { env: 'UNSET_AEP_SECRET', file: 'no-such-secret.txt' });
    for (const args of [
      ['--config', config],
      ['--config', config, '--state', state, '--output', 'json'],
    ]) {
      const result = await runCliInProcess(['plan', manifests, '--sandbox', 'prod', ...args], { env: ENV });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('the run failed');
    }
  });
});
