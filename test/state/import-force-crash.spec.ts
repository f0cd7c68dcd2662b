import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { applyAt } from '../apply/helpers/interrupted-apply.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withPgWriteGate } from '../helpers/pg-write-gate.js';
import { colleagueAudience, withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { useStores, type StoreKind } from './stores.js';

// `state import --force` over a record of another audience forgets what it recorded of that
// audience but keeps its runs that still count against the sandbox's daily run budget. It wrote
// that in two writes when the record held an intent: the intent resolved by removing the record,
// then the new record put. A process killed between them left no record at all: the runs that
// still count, and the intent, were lost. One write now (the intent resolved by the new record).
// On both stores the import's writes are counted (the serial moves once per write); the kill is
// made on PostgreSQL, whose write can be held inside the server (a trigger waiting on a lock held
// here), so the kill is known to land in it. A directory store's write is the process's own file
// calls, with nothing outside it to hold them at.

const stores = useStores();

const NO_CREDENTIALS = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AEP_BASE_URL: undefined,
  AEP_IMS_URL: undefined,
  AEP_SANDBOX: undefined,
};

type Setup = { location: string; old: AudienceRecord; other: string; serial: number };

/** A store on which gold's record points at an audience with a run and holds a pending intent. */
async function withStore<T>(
  kind: StoreKind,
  fn: (setup: Setup, emulator: TestEmulator) => Promise<T>,
): Promise<T> {
  return withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-import-force-'));
    try {
      const location = await kind.fresh();
      await ensureDirStore(location);
      // gold's audience, with the run its create started: it counts against today's budget.
      await applyAt(executorEnv(emulator, path.join(tmp, 'unused')), location, [manifestObject('gold')]);
      const store = await openStateStore(location);
      let old: AudienceRecord;
      let serial: number;
      try {
        await store.lock();
        const applied = (await store.get('prod', 'gold'))!;
        // A call announced and never resolved (an apply killed in its PATCH).
        old = await store.beginIntent(applied, 'patch');
        serial = (await store.readAll()).meta!.serial;
        await store.unlock();
      } finally {
        await store.close();
      }
      expect(old.runs.length, 'the create started a run').toBe(1);
      const other = colleagueAudience(emulator, { name: 'Audience other' }).id;
      return await fn({ location, old, other, serial }, emulator);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

const importArgs = (setup: Setup) => [
  'state',
  'import',
  'gold',
  '--without-manifest',
  '--sandbox',
  'prod',
  '--state',
  setup.location,
  '--audience-id',
  setup.other,
  '--force',
];

async function stateAt(location: string) {
  const store = await openStateStore(location);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

/** What the import leaves: gold points at the other audience and keeps the old one's run. */
function expectImported(record: AudienceRecord | undefined, setup: Setup): void {
  expect(record?.audienceId).toBe(setup.other);
  expect(record?.intent).toBeUndefined();
  expect(
    record?.runs.map((r) => r.runId),
    "the old audience's run, which still counts",
  ).toEqual(setup.old.runs.map((r) => r.runId));
}

describe.each(stores)('$name store: state import --force over a record holding an intent', (kind) => {
  it('is one write: the serial moves once, the run that counts is kept', { timeout: 120_000 }, async () => {
    await withStore(kind, async (setup) => {
      const imported = await runCli(importArgs(setup), { env: NO_CREDENTIALS });
      expect(imported.code, imported.stderr).toBe(0);
      const state = await stateAt(setup.location);
      expectImported(
        state.audiences.find((r) => r.key === 'gold'),
        setup,
      );
      expect(state.meta?.serial, 'writes the import made').toBe(setup.serial + 1);
    });
  });
});

const GATE = 47_047;

describe('postgres store: state import --force killed (SIGKILL) in the write that points the key at the other audience', () => {
  it(
    'leaves the old record (its intent, its run) or the new one, never none',
    { timeout: 120_000 },
    async () => {
      await withStore(stores[1]!, async (setup) => {
        // Holds, inside the server, the write that records the other audience's id.
        const write = {
          on: 'INSERT OR UPDATE',
          when: `NEW.body->>'audienceId' = '${setup.other}'`,
          key: GATE,
        } as const;
        await withPgWriteGate(stores.postgres, setup.location, write, async (gate) => {
          const env = Object.fromEntries(
            Object.entries({ ...process.env, ...NO_CREDENTIALS, NO_COLOR: '1' }).filter(
              ([, v]) => v !== undefined,
            ),
          );
          const child = spawn(process.execPath, [CLI, ...importArgs(setup)], { env });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          const exited = new Promise<CliResult>((resolve) =>
            child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
          );
          // The write waits at the gate: the kill lands in it.
          const held = await gate.reached(exited);
          expect(held, 'the statement held: the put of gold’s new record').toEqual([
            expect.stringMatching(/INSERT INTO \S+\.audiences\b/),
          ]);
          child.kill('SIGKILL');
          expect((await exited).code, 'killed, not ended').toBe(-1);
          await gate.open();

          const record = (await stateAt(setup.location)).audiences.find((r) => r.key === 'gold');
          // The write's transaction is the dead process's: rolled back, or committed whole.
          if (record?.audienceId === setup.other) expectImported(record, setup);
          else expect(record, 'the old record, its intent and its run').toEqual(setup.old);

          // The import done again finds no lock held and records it.
          const again = await runCli(importArgs(setup), { env: NO_CREDENTIALS });
          expect(again.code, again.stderr).toBe(0);
          expectImported(
            (await stateAt(setup.location)).audiences.find((r) => r.key === 'gold'),
            setup,
          );
        });
      });
    },
  );
});
