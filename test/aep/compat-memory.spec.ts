import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompatChoices } from '../../src/aep/compat-schema.js';
import { compatMemory } from '../../src/cli/compat-memory.js';
import type { CompatSettings } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { MIGRATIONS } from '../../src/state/pg/migrations.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { aRecord } from '../state/helpers.js';
import { useStores, type StoreKind } from '../state/stores.js';
import { clientFor, createAndWait, spec } from './helpers.js';

// Issue 12: the readings of the API page a client learned are kept in the state store, so
// the next process (each apply, each CI job) starts from them instead of probing again.
const stores = useStores();

/** A service that takes the other reading of the page everywhere the client has a default. */
const STRICT: CompatSettings = { operationsPath: 'singular', sourceSpec: 'flat', runsListParams: 'refused' };
const LEARNED_STRICT: CompatChoices = {
  operationsPath: 'singular',
  sourceSpec: { prod: 'flat' },
  runsListParams: 'refused',
};

/** One CLI process as far as the API is concerned: its own store handle, memory and client. */
async function startProcess(kind: StoreKind, location: string, emulator: TestEmulator) {
  const store = await kind.open(location);
  const warnings: string[] = [];
  const memory = await compatMemory(store, emulator.apiBaseUrl, (message) => warnings.push(message));
  const client = clientFor(emulator, { compat: memory.options });
  return { store, memory, client, warnings };
}

/** What an apply of one new audience asks: create, wait for the operation, list its runs. */
async function applyOne(process: Awaited<ReturnType<typeof startProcess>>): Promise<string> {
  const id = await createAndWait(process.client, 'prod', spec());
  await process.client.listRuns('prod', id);
  await process.memory.settled();
  return id;
}

/** The API calls the emulator saw, as `endpoint status`, IMS left out. */
function calls(emulator: TestEmulator): string[] {
  return emulator.control
    .requestLog()
    .filter((entry) => entry.endpoint !== 'imsToken')
    .map((entry) => `${entry.endpoint} ${entry.status}`);
}

function refusals(emulator: TestEmulator): string[] {
  return calls(emulator).filter((call) => / [45]\d\d$/.test(call));
}

/** Loses the memory as an operator may: the file deleted, or the rows. */
async function forget(kind: StoreKind, location: string): Promise<void> {
  if (kind.name === 'directory') {
    await rm(path.join(location, 'compat.json'));
    return;
  }
  const schema = new URL(location).searchParams.get('schema') ?? '';
  await stores.postgres.query(`DELETE FROM ${schema}.compat`);
}

/** Everything the store holds about the readings, as text. */
async function rawMemory(kind: StoreKind, location: string): Promise<string> {
  if (kind.name === 'directory') return readFile(path.join(location, 'compat.json'), 'utf8');
  const schema = new URL(location).searchParams.get('schema') ?? '';
  return JSON.stringify(await stores.postgres.query(`SELECT * FROM ${schema}.compat`));
}

describe.each(stores)('$name store: the readings of the page, remembered', (kind) => {
  it('are learned by one process; the next starts from them and probes nothing', async () => {
    await withEmulator({ compat: STRICT, operationDelayMs: 0 }, async (emulator) => {
      const location = await kind.fresh();
      // An earlier process saw a service that took the runs list's parameters.
      const seed = await kind.open(location);
      await seed.rememberCompat(emulator.apiBaseUrl, { choice: 'runsListParams', value: 'accepted' });

      const first = await startProcess(kind, location, emulator);
      await applyOne(first);
      expect(refusals(emulator)).toEqual(['createAudience 400', 'getOperation 404', 'listRuns 400']);
      expect(await first.store.readCompat(emulator.apiBaseUrl)).toEqual(LEARNED_STRICT);

      emulator.control.resetCounters();
      const second = await startProcess(kind, location, emulator);
      await applyOne(second);
      expect(refusals(emulator)).toEqual([]);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
      expect(emulator.control.counters().byEndpoint.listRuns.requests).toBe(1);
      expect([...first.warnings, ...second.warnings]).toEqual([]);
    });
  });

  it('lost, are probed again; after the service changed, are relearned; a call failing at both teaches nothing', async () => {
    await withEmulator({ compat: STRICT, operationDelayMs: 0 }, async (emulator) => {
      const location = await kind.fresh();
      await applyOne(await startProcess(kind, location, emulator));
      await forget(kind, location);

      emulator.control.resetCounters();
      const again = await startProcess(kind, location, emulator);
      await applyOne(again);
      expect(refusals(emulator)).toEqual(['createAudience 400', 'getOperation 404']);
      expect(await again.store.readCompat(emulator.apiBaseUrl)).toEqual({
        operationsPath: 'singular',
        sourceSpec: { prod: 'flat' },
      });

      // The service now takes the page's other readings only.
      emulator.control.updateSettings({ compat: { operationsPath: 'plural', sourceSpec: 'params' } });
      emulator.control.resetCounters();
      const changed = await startProcess(kind, location, emulator);
      await applyOne(changed);
      expect(refusals(emulator)).toEqual(['createAudience 400', 'getOperation 404']);
      expect(calls(emulator).slice(0, 4)).toEqual([
        'createAudience 400',
        'createAudience 202',
        'getOperation 404',
        'getOperation 200',
      ]);
      const relearned = { operationsPath: 'plural', sourceSpec: { prod: 'params' } };
      expect(await changed.store.readCompat(emulator.apiBaseUrl)).toEqual(relearned);

      // An operation unknown at both spellings is a 404, not a reason to switch.
      await expect(changed.client.getOperation('prod', 'no-such-operation')).rejects.toMatchObject({
        status: 404,
      });
      await changed.memory.settled();
      expect(await changed.store.readCompat(emulator.apiBaseUrl)).toEqual(relearned);
      expect(changed.client.compat()).toEqual(relearned);
    });
  });

  it('are kept by base URL without user info or query, and per sandbox for sourceSpec', async () => {
    const location = await kind.fresh();
    const store = await kind.open(location);
    const withSecrets = 'https://deployer:pw-canary-1@aep.example/data/core/ais/?token=tok-canary-2';
    await store.rememberCompat(withSecrets, { choice: 'operationsPath', value: 'singular' });
    await store.rememberCompat(withSecrets, { choice: 'sourceSpec', sandbox: 'dev', value: 'flat' });
    await store.rememberCompat('https://other.example/data/core/ais', {
      choice: 'operationsPath',
      value: 'plural',
    });
    expect(await store.readCompat('https://aep.example/data/core/ais')).toEqual({
      operationsPath: 'singular',
      sourceSpec: { dev: 'flat' },
    });
    expect(await store.readCompat('https://other.example/data/core/ais/')).toEqual({
      operationsPath: 'plural',
    });
    expect(await store.readCompat('https://third.example/data/core/ais')).toEqual({});
    const raw = await rawMemory(kind, location);
    for (const secret of ['pw-canary-1', 'tok-canary-2', 'deployer']) expect(raw).not.toContain(secret);
  });
});

describe('a compat.json that is not readable', () => {
  it('is warned about once, probed past, and replaced by what is learned', async () => {
    const [directory] = stores;
    if (!directory) throw new Error('no directory store');
    await withEmulator({ compat: STRICT, operationDelayMs: 0 }, async (emulator) => {
      const location = await directory.fresh();
      await writeFile(path.join(location, 'compat.json'), '{ "schemaVersion": 1, "baseUrls": [');
      const process = await startProcess(directory, location, emulator);
      expect(process.warnings).toHaveLength(1);
      expect(process.warnings[0]).toMatch(/compat\.json is not valid JSON .*delete it/);
      await applyOne(process);
      expect(await process.store.readCompat(emulator.apiBaseUrl)).toEqual({
        operationsPath: 'singular',
        sourceSpec: { prod: 'flat' },
      });
    });
  });
});

describe('a PostgreSQL store made before the compat table', () => {
  it('is refused as outdated until init applies migration 2, which keeps the records', async () => {
    const location = await stores.postgres.freshLocation({ init: false });
    const schema = new URL(location).searchParams.get('schema') ?? '';
    // The schema as audiencectl's first migration left it, with one record.
    const first = MIGRATIONS.find((migration) => migration.version === 1);
    if (!first) throw new Error('no migration 1');
    await stores.postgres.query(
      `CREATE SCHEMA ${schema};
       CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${first.sql.replaceAll('{s}', schema)}
       INSERT INTO ${schema}.schema_migrations (version, name) VALUES (1, 'records, meta, lock state');`,
    );
    await stores.postgres.query(
      `INSERT INTO ${schema}.audiences (sandbox, key, body) VALUES ('prod', 'gold', $1)`,
      [JSON.stringify(aRecord('gold'))],
    );
    const store = await openStateStore(location);
    try {
      await expect(store.readCompat('https://aep.example/data/core/ais')).rejects.toMatchObject({
        code: 'STATE_SCHEMA_OUTDATED',
      });
      expect(await store.init()).toEqual([
        expect.stringMatching(
          /: applied migration 2 \(compat: readings of the API page learned per base URL\)$/,
        ),
        expect.stringMatching(/: applied migration 3 \(manifest_cache: /),
        expect.stringMatching(/: applied migration 4 \(meta.orgs: /),
        expect.stringMatching(/: applied migration 5 \(meta.revisions: /),
        expect.stringMatching(/: applied migration 6 \(meta.nonce: /),
        expect.stringMatching(/: applied migration 7 \(audiences.line: /),
        // The record written before migration 7 given its line (src/state/pg/fill-lines.ts).
        expect.stringMatching(
          /: wrote the line of 1 record written before this release \(read as lines by a plan\)$/,
        ),
      ]);
      expect(await store.readCompat('https://aep.example/data/core/ais')).toEqual({});
      expect(await store.get('prod', 'gold')).toEqual(aRecord('gold'));
    } finally {
      await store.close();
    }
  });
});
