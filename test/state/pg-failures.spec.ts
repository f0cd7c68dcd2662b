import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { apply, emulatorEnv, ManifestDir, quickRetries } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { reply, startAlteringProxy } from '../helpers/altering-proxy.js';
import { startLateEndProxy, type LateEndProxy } from '../helpers/late-end-proxy.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord, useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// A state call that fails is never read as an answer: not a failed write as a refused
// API call, not a failed read as a missing record. Failures are made by the server at
// the statement in question (a trigger), never at a wall-clock instant.
const postgres = usePostgres();
const tempDir = useTempDirs();

/**
 * Ends the session holding the store's lock, and waits until it is gone (the timeout only
 * bounds a server that never ends it): its end reaches the apply before that of the write
 * ended next, so the apply hears first that its lock is lost, as when the lock goes first.
 */
const LOCK_SESSION_ENDED = (schema: string) =>
  `pg_terminate_backend(backend_pid, 60000) FROM "${schema}".lock_state`;

/** Ends the server session that writes the first record body holding `field`, once. */
function killFirstWriteOf(schema: string, field: string): Promise<void> {
  return killFirstWriteWhere(schema, `NEW.body ? '${field}'`);
}

/**
 * Ends the server session that writes the first record whose `NEW` meets `condition`, once;
 * with `lockToo`, first the session holding the store's lock (the apply loses its lock).
 */
async function killFirstWriteWhere(schema: string, condition: string, lockToo = false): Promise<void> {
  const lock = lockToo ? `PERFORM ${LOCK_SESSION_ENDED(schema)};` : '';
  await postgres.query(`
    CREATE SEQUENCE "${schema}".kill_once;
    CREATE FUNCTION "${schema}".kill_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Nested: the sequence counts only the writes that meet the condition (an AND may
      -- evaluate its operands in any order).
      IF ${condition} THEN
        IF nextval('"${schema}".kill_once') = 1 THEN
          ${lock}
          PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER kill_write BEFORE INSERT OR UPDATE ON "${schema}".audiences
      FOR EACH ROW EXECUTE FUNCTION "${schema}".kill_write();`);
}

/**
 * Ends the server session that first removes the record of `key` (a DELETE of its row), once, and
 * first the session holding the store's lock (the apply loses its lock).
 */
async function killRemovalAndLock(schema: string, key: string): Promise<void> {
  await postgres.query(`
    CREATE SEQUENCE "${schema}".kill_removal_once;
    CREATE FUNCTION "${schema}".kill_removal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.key = '${key}' THEN
        IF nextval('"${schema}".kill_removal_once') = 1 THEN
          PERFORM ${LOCK_SESSION_ENDED(schema)};
          PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
      END IF;
      RETURN OLD;
    END $$;
    CREATE TRIGGER kill_removal BEFORE DELETE ON "${schema}".audiences
      FOR EACH ROW EXECUTE FUNCTION "${schema}".kill_removal();`);
}

/** The advisory lock the test holds while a write waits at the gate (gateFirstWriteWhere). */
const GATE = 7357;

/**
 * Holds the first write whose `NEW` meets `condition` at a gate: its trigger waits for an
 * advisory lock the returned session holds, until that session ends.
 */
async function gateFirstWriteWhere(schema: string, condition: string): Promise<pg.Client> {
  await postgres.query(`
    CREATE SEQUENCE "${schema}".gate_once;
    CREATE FUNCTION "${schema}".gate_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN
        IF nextval('"${schema}".gate_once') = 1 THEN
          PERFORM pg_advisory_xact_lock(${GATE});
        END IF;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER gate_write BEFORE INSERT OR UPDATE ON "${schema}".audiences
      FOR EACH ROW EXECUTE FUNCTION "${schema}".gate_write();`);
  const gate = new pg.Client({ connectionString: postgres.url });
  await gate.connect();
  await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
  return gate;
}

/**
 * The server process of the write waiting at the gate, once one waits; fails with what the
 * apply printed if it ended first.
 */
async function writerAtGate(applying: Promise<CliResult>): Promise<number> {
  let ended: CliResult | undefined;
  void applying.then((result) => (ended = result));
  for (;;) {
    const [waiting] = await postgres.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ${GATE} AND objsubid = 1`,
    );
    if (waiting) return waiting.pid;
    if (ended)
      throw new Error(`the apply ended before its write reached the gate:\n${ended.stdout}${ended.stderr}`);
    await sleep(20);
  }
}

/**
 * The server process of the read waiting for the audiences table (locked by the test), once
 * one waits; fails with what the apply printed if it ended first.
 */
async function readerAtTableLock(schema: string, applying: Promise<CliResult>): Promise<number> {
  let ended: CliResult | undefined;
  void applying.then((result) => (ended = result));
  for (;;) {
    const [waiting] = await postgres.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'relation' AND NOT granted AND relation = '"${schema}".audiences'::regclass`,
    );
    if (waiting) return waiting.pid;
    if (ended)
      throw new Error(
        `the apply ended before its read reached the table lock:\n${ended.stdout}${ended.stderr}`,
      );
    await sleep(20);
  }
}

/** Requests the emulator received at `endpoint` (a mutating call: each one reached the service). */
function requestsTo(emulator: RunningEmulator, endpoint: 'patchAudience' | 'deleteAudience' | 'startRun') {
  return emulator.control.counters().byEndpoint[endpoint].requests;
}

/**
 * A manifest directory holding gold, a fresh PostgreSQL store, and the emulator's environment,
 * its retries waiting milliseconds (quickRetries): the faults here fail attempts until the
 * retries run out, and what is asserted is what the apply made of each answer, not how long
 * it backed off (as many attempts, each still an HTTP request to the emulator).
 */
async function goldOnPostgres(emulator: RunningEmulator) {
  const root = await tempDir();
  const dir = new ManifestDir(path.join(root, 'm'));
  await dir.write([manifestObject('gold')]);
  const state = await postgres.freshLocation();
  const schema = new URL(state).searchParams.get('schema')!;
  return { dir, state, schema, env: emulatorEnv(emulator, await quickRetries(root)) };
}

/** The write of the create's answer (its operation id), and the session holding the lock, both end. */
function killCreateAnswerWithLock(schema: string): Promise<void> {
  return killFirstWriteWhere(schema, `NEW.body ? 'operationId'`, true);
}

/** A proxy before the store at `state` that can hold back a session's end; the URL through it. */
async function lateEndProxyTo(state: string) {
  const server = new URL(state);
  const proxy = await startLateEndProxy({ host: server.hostname, port: Number(server.port) });
  const viaProxy = new URL(state);
  viaProxy.port = String(proxy.port);
  return { proxy, viaProxy };
}

/**
 * The lock's session ends first, its end held back on the way; then `other`'s session, whose end
 * reaches the apply at once: it hears that end before the lock's.
 */
async function endLockThen(schema: string, proxy: LateEndProxy, other: number): Promise<void> {
  const [lock] = await postgres.query<{ port: number }>(
    `SELECT a.client_port AS port FROM pg_stat_activity a JOIN "${schema}".lock_state l ON a.pid = l.backend_pid`,
  );
  proxy.holdErrorOf(lock!.port);
  await postgres.query(`SELECT ${LOCK_SESSION_ENDED(schema)}`);
  await postgres.query('SELECT pg_terminate_backend($1, 60000)', [other]);
}

/** The lost lock's one-line error, last, with no stack trace and no password of the store's URL. */
function expectLostLockError(result: CliResult, state: string): void {
  expect(result.stderr).toMatch(
    /^Error: lost the connection holding the state lock of .+, so this one stops writing\n$/m,
  );
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const password = new URL(state).password;
  expect(password).not.toBe('');
  expect(`${result.stdout}${result.stderr}`).not.toContain(password);
}

/**
 * gold and silver applied (gold without a run: its delete removes its record whole), then
 * gold's manifest removed and its DELETE answered, its record's removal cut with the lock:
 * the record keeps its delete intent. gold's audience id, and silver.
 */
async function deleteNotRecorded(emulator: RunningEmulator) {
  const goldOn = await goldOnPostgres(emulator);
  const { dir, state, schema, env } = goldOn;
  const silver = manifestObject('silver');
  await dir.write([manifestObject('gold', { ingestion: { onCreate: false } }), silver]);
  expect((await apply(dir.dir, state, env)).code).toBe(0);
  const goldId = emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === manifestObject('gold').spec.name)!.audienceId;
  await dir.write([silver]);
  await killRemovalAndLock(schema, 'gold');
  const first = await apply(dir.dir, state, env);
  expect(first.stdout).toMatch(/FAILED +prod\/gold delete: DELETE sent \(.+ deleted\) but not recorded/);
  return { ...goldOn, silver, goldId };
}

/** gold's record as the store holds it now. */
async function goldRecord(state: string) {
  const store = await openStateStore(state);
  try {
    return await store.get('prod', 'gold');
  } finally {
    await store.close();
  }
}

describe('a PostgreSQL state call that fails mid-apply', { timeout: 120_000 }, () => {
  it('a write whose session the server ends is a one-line error, not a crash, and no call follows it', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      // The intent write, made before the create is sent.
      await killFirstWriteOf(schema, 'intent');
      const result = await runCli(['apply', dir.dir, '--state', state, '--auto-approve'], { env });
      expect(result.code, result.stderr).toBe(1);
      expect(`${result.stdout}${result.stderr}`).toMatch(/the server terminated the connection \[57P01\]/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
    });
  });

  it('a record write lost after a create keeps its intent: the next apply adopts the audience', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      // The write that records the create's answer (its operation id) loses its session.
      await killFirstWriteOf(schema, 'operationId');
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(first.stdout).not.toContain('create refused');
      // Said as sent, with the operation the service named: not only the database's error.
      const [operation] = emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
      expect(first.stdout).toContain(
        `create sent (202, operation ${operation!.operationId}) but not recorded (`,
      );
      expect(first.stdout).toMatch(
        /the server terminated the connection \[57P01\]\): the next apply resolves it/,
      );
      const store = await openStateStore(state);
      try {
        const kept = await store.get('prod', 'gold');
        expect(kept?.intent?.kind, 'the create intent is the proof the audience is ours').toBe('create');
      } finally {
        await store.close();
      }
      // Listed from now on whatever the time: the next apply's 409 finds it by name.
      emulator.control.finishOperation(DEMO_CLIENT.orgId, 'prod', operation!.operationId);
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audiences.map((a) => a.audienceName)).toEqual([manifestObject('gold').spec.name]);
      const after = await openStateStore(state);
      try {
        const record = await after.get('prod', 'gold');
        expect(record?.audienceId).toBe(audiences[0]!.audienceId);
        expect(record?.intent).toBeUndefined();
      } finally {
        await after.close();
      }
    });
  });

  it('a create answered 202 whose answer is not recorded as the lock is lost is a failed create said sent, never "skipped"', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      await killCreateAnswerWithLock(schema);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      const [operation] = emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
      expect(first.stdout).not.toMatch(/skipped +prod\/gold create/);
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold create: create sent \\(202, operation ${operation!.operationId}\\) but not recorded \\(.+\\): the next apply resolves it`,
        ),
      );
      // Listed from now on whatever the time: the next apply's 409 finds it by name.
      emulator.control.finishOperation(DEMO_CLIENT.orgId, 'prod', operation!.operationId);
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${first.stdout}${first.stderr}\n---\n${second.stdout}${second.stderr}`).toBe(0);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });

  it('a create whose operation made the audience, its id not recorded, is a failed create naming it; the next apply records it', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      // The write that records the audience id the operation gave, and the lock, end.
      await killFirstWriteWhere(schema, `NEW.body ? 'audienceId'`, true);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      const [operation] = emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
      expect(first.stdout).toContain(
        `FAILED   prod/gold create: create sent (operation ${operation!.operationId}, which made ${audience!.audienceId}) but not recorded (`,
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });

  it('a record write lost after a PATCH is a failed write, not a failed PATCH; the next apply settles it', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      await dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      // The write that records the PATCH's answer loses its session.
      await killFirstWriteWhere(schema, `NEW.body->'observed'->>'source' = 'patch'`);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(first.stdout).not.toContain('PATCH failed');
      // Said as sent, naming the audience the service answered for: not only the database's error.
      const [patched] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold update: PATCH sent \\(${patched!.audienceId}: description patched\\) but not recorded \\(.*the server terminated the connection \\[57P01\\]\\): the next apply resolves it`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audience?.description).toBe('Gold, revised');
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
    });
  });

  it('a PATCH answered whose answer is not recorded as the lock is lost is a failed update said sent; the next apply reads the audience back and records the PATCH it made, not sent again', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      await dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      // The write of the PATCH's answer, and the session holding the lock, both end.
      await killFirstWriteWhere(schema, `NEW.body->'observed'->>'source' = 'patch'`, true);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(requestsTo(emulator, 'patchAudience')).toBe(1);
      expect(first.stdout).not.toMatch(/skipped +prod\/gold update/);
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold update: PATCH sent \\(${audience!.audienceId}: description patched\\) but not recorded \\(.+\\): the next apply resolves it`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      // Its intent kept, the next apply reads the audience back (resume.ts): it shows what the
      // PATCH sent, which is recorded, and no PATCH is needed.
      expect(second.stdout).toContain(
        `resumed: prod/gold: interrupted PATCH of ${audience!.audienceId} settled by reading the audience back: the service shows description "Gold, revised", recorded; the plan brings the audience to the manifest`,
      );
      expect(requestsTo(emulator, 'patchAudience')).toBe(1);
      const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audiences.map((a) => [a.audienceId, a.description])).toEqual([
        [audience!.audienceId, 'Gold, revised'],
      ]);
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
    });
  });

  // And one answered 500 until the retries gave up (the change may have been made): it was
  // "skipped … the apply was stopped" (review 22, M2).
  it.each([
    [
      'refused (403)',
      { kind: 'clientError', status: 403 } as const,
      /PATCH sent and refused \(.*HTTP 403.*\)/,
    ],
    [
      'answered 500 to every attempt',
      { kind: 'error500', count: 50 } as const,
      /PATCH sent, its outcome unknown \(.*500.*\)/,
    ],
  ])(
    'a PATCH %s whose answer is not recorded as the lock is lost is a failed update said sent; the next apply sends it again',
    async (_, fault, said) => {
      await withEmulator({}, async (emulator) => {
        const { dir, state, schema, env } = await goldOnPostgres(emulator);
        expect((await apply(dir.dir, state, env)).code).toBe(0);
        await dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
        emulator.control.queueFault({ ...fault, endpoint: 'patchAudience' });
        // The write that clears the PATCH's intent after its answer, and the lock, both end.
        await killFirstWriteWhere(schema, `NOT NEW.body ? 'intent'`, true);
        const first = await apply(dir.dir, state, env);
        expect(first.code, first.stdout).toBe(1);
        expect(first.stdout).not.toMatch(/skipped +prod\/gold update/);
        expect(first.stdout).toMatch(
          new RegExp(
            `FAILED +prod/gold update: ${said.source} but not recorded \\(.+\\): the next apply resolves it`,
          ),
        );
        const sent = requestsTo(emulator, 'patchAudience');
        emulator.control.clearFaults();
        const second = await apply(dir.dir, state, env);
        expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
        expect(requestsTo(emulator, 'patchAudience')).toBe(sent + 1);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]?.description).toBe(
          'Gold, revised',
        );
      });
    },
  );

  // A retry IMS keeps unsent (the token it needs refused) takes nothing back from the 500
  // before it: the IMS refusal alone was thrown, as for a PATCH never sent. Its outcome unknown,
  // the audience is read back (patch-readback.ts), which IMS refuses too: nothing is written,
  // and the intent is kept for the next apply, which reads it back.
  it('a PATCH answered 500 whose retry IMS keeps unsent is a failed update with its outcome unknown, naming the refusal; its read back refused too, the intent is kept and the next apply settles it', async () => {
    await withEmulator({}, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url);
      try {
        const { dir, state, env: direct } = await goldOnPostgres(emulator);
        const env = { ...direct, AEP_IMS_URL: `${proxy.url}/ims/token/v3` };
        expect((await apply(dir.dir, state, env)).code).toBe(0);
        await dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
        // The apply's first token is issued; every token asked for after it is refused by IMS.
        let tokens = 0;
        proxy.alter((answer) =>
          answer.path === '/ims/token/v3' && ++tokens > 1
            ? reply(401, { error: 'invalid_client', error_description: 'invalid client_secret parameter' })
            : undefined,
        );
        // The PATCH is answered 500; its retry is refused the token (expired: 100911-400), and
        // the retry after the renewal IMS refuses is never sent.
        emulator.control.queueFault({ kind: 'error500', endpoint: 'patchAudience' });
        emulator.control.queueFault({
          kind: 'clientError',
          status: 400,
          errorCode: '100911-400',
          endpoint: 'patchAudience',
        });
        const first = await apply(dir.dir, state, env);
        expect(first.code, first.stdout).toBe(1);
        expect(requestsTo(emulator, 'patchAudience')).toBe(2);
        expect(first.stdout).toMatch(
          /FAILED +prod\/gold update: PATCH failed: .*HTTP 500.*It could not be retried: IMS refused the client secret .*; reading the audience back failed \(IMS refused the client secret.*\): its intent is kept, and the next apply reads it back before it plans/,
        );
        expect((await goldRecord(state))?.intent?.kind).toBe('patch');
        proxy.alter(undefined);
        const second = await apply(dir.dir, state, env);
        expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
        expect(requestsTo(emulator, 'patchAudience')).toBe(3);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]?.description).toBe(
          'Gold, revised',
        );
      } finally {
        await proxy.close();
      }
    });
  });

  // The PATCH's answer lost (the change made), its retry answered by a proxy's 404 page: that
  // page alone was said, as of a PATCH never sent, and with the lock lost at the write clearing
  // its intent the step read "skipped … the apply was stopped".
  it("a PATCH whose answer is lost, its retry answered by a proxy's 404 page, its intent not cleared as the lock is lost, is a failed update said sent with its outcome unknown", async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      await dir.write([manifestObject('gold', { spec: { description: 'Gold, revised' } })]);
      emulator.control.queueFault({ kind: 'responseLost', endpoint: 'patchAudience' });
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'patchAudience', after: 1 });
      // The write that clears the PATCH's intent after its failure, and the lock, both end.
      await killFirstWriteWhere(schema, `NOT NEW.body ? 'intent'`, true);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(requestsTo(emulator, 'patchAudience')).toBe(2);
      expect(first.stdout).toMatch(
        /FAILED +prod\/gold update: PATCH sent, its outcome unknown \(Cannot reach AEP .*The change may or may not have been made\. It was retried, and the last attempt did not settle it: PATCH \S+ answered HTTP 404 with a body of type text\/html .*\) but not recorded \(.+\): the next apply resolves it/,
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]?.description).toBe('Gold, revised');
    });
  });

  it('a DELETE answered whose record is not removed as the lock is lost is a failed delete said sent; the next apply finishes it, no audience left recorded', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      // No run: the delete removes gold's record whole (no run of the last day to keep).
      const silver = manifestObject('silver');
      await dir.write([manifestObject('gold', { ingestion: { onCreate: false } }), silver]);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      const gold = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .find((a) => a.audienceName === manifestObject('gold').spec.name)!;
      await dir.write([silver]);
      // The removal of gold's record, and the session holding the lock, both end.
      await killRemovalAndLock(schema, 'gold');
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(requestsTo(emulator, 'deleteAudience')).toBe(1);
      expect(first.stdout).not.toMatch(/skipped +prod\/gold delete/);
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold delete: DELETE sent \\(${gold.audienceId} deleted\\) but not recorded \\(.+\\): the next apply resolves it`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(second.stdout).toContain(
        `resumed: prod/gold: finished an interrupted delete of ${gold.audienceId}`,
      );
      expect(second.stdout).not.toMatch(/FAILED/);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
        silver.spec.name,
      ]);
      const store = await openStateStore(state);
      try {
        expect(await store.get('prod', 'gold'), 'no record of the deleted audience').toBeUndefined();
      } finally {
        await store.close();
      }
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
    });
  });

  // The resume sends no DELETE (review 23, M2): one lookup's 404 is gone only once the runs list
  // is the service's 404 too. A proxy's page there is no answer of the service: the intent is
  // kept, and the plan's delete (the manifest still removed) reads the service before acting.
  // The DELETE that removed it was audiencectl's own, interrupted: never "deleted outside audiencectl".
  it("a DELETE not recorded, whose resume meets a proxy's 404 page at the runs list, keeps its intent for the plan's delete, which finds it gone on the service's read and says finished", async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, env, silver, goldId } = await deleteNotRecorded(emulator);
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(second.stdout).toMatch(
        /resumed: prod\/gold: interrupted delete could not be settled \(.*HTTP 404 with a body of type text\/html.*not AEP's JSON error.*\); its intent is kept for the next apply/,
      );
      expect(second.stdout).toContain(
        `ok       prod/gold delete: finished an interrupted delete: ${goldId} is gone; record forgotten`,
      );
      expect(second.stdout).not.toMatch(/outside audiencectl/);
      expect(requestsTo(emulator, 'deleteAudience'), "no DELETE but the first apply's").toBe(1);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
        silver.spec.name,
      ]);
      expect(await goldRecord(state)).toBeUndefined();
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
    });
  });

  it('a DELETE not recorded, whose resume meets a 404 page at the runs list and whose lookups then fail, keeps its record and intent until the service shows it gone; then said finished, not deleted outside', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, env, goldId } = await deleteNotRecorded(emulator);
      // The resume's lookup answers (the service's 404); the runs list meets a proxy's page, and
      // so does every lookup after it.
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns', count: 1000 });
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'getAudience', after: 1, count: 1000 });
      const second = await apply(dir.dir, state, env);
      expect(second.code, second.stdout).toBe(1);
      expect(second.stdout).toMatch(
        /resumed: prod\/gold: interrupted delete could not be settled \(.*HTTP 404 with a body of type text\/html.*\); its intent is kept for the next apply/,
      );
      expect(second.stdout).toMatch(/FAILED +prod\/gold delete: not deleted: cannot confirm what /);
      expect(second.stdout).not.toMatch(/outside audiencectl|finished an interrupted delete/);
      expect((await goldRecord(state))?.intent?.kind, 'nothing proves it gone: the record stays').toBe(
        'delete',
      );
      expect(requestsTo(emulator, 'deleteAudience'), "no DELETE but the first apply's").toBe(1);

      // The resume's lookup meets the page again; the plan's delete reads the service's answer.
      emulator.control.clearFaults();
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'getAudience' });
      const third = await apply(dir.dir, state, env);
      expect(third.code, `${third.stdout}${third.stderr}`).toBe(0);
      expect(third.stdout).toMatch(/resumed: prod\/gold: interrupted delete could not be settled/);
      expect(third.stdout).toMatch(
        new RegExp(
          `ok +prod/gold delete: finished an interrupted delete: ${goldId} is gone; record forgotten`,
        ),
      );
      expect(third.stdout).not.toMatch(/outside audiencectl/);
      expect(await goldRecord(state)).toBeUndefined();
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
    });
  });

  it('a replace whose DELETE was done and recorded, its create then cut with the lock, is a failed replace saying what it deleted; the next apply creates the audience', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      const renamed = manifestObject('gold', {
        metadata: { allowReplace: true },
        spec: { name: 'Gold renamed' },
      });
      await dir.write([manifestObject('gold', { metadata: { allowReplace: true } })]);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      const [old] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      await dir.write([renamed]);
      // The create's intent write (after the DELETE was recorded), and the lock, both end.
      await killFirstWriteWhere(schema, `NEW.body->'intent'->>'kind' = 'create'`, true);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(requestsTo(emulator, 'deleteAudience')).toBe(1);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
      expect(first.stdout).not.toMatch(/skipped +prod\/gold replace/);
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold replace: deleted ${old!.audienceId}.*; then the create failed \\(.+\\)`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audiences.map((a) => a.audienceName)).toEqual(['Gold renamed']);
      const store = await openStateStore(state);
      try {
        expect((await store.get('prod', 'gold'))?.audienceId).toBe(audiences[0]!.audienceId);
      } finally {
        await store.close();
      }
    });
  });

  it('a run request answered whose run is not recorded as the lock is lost is a failed run said sent; the next apply adopts that run and starts none', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      expect(requestsTo(emulator, 'startRun'), 'the first run, on create').toBe(1);
      await dir.write([manifestObject('gold', { ingestion: { request: 'r2' } })]);
      // The write that records the run (and the request it honours), and the lock, both end.
      await killFirstWriteWhere(schema, `NEW.body->'applied'->>'ingestionRequest' = 'r2'`, true);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(requestsTo(emulator, 'startRun')).toBe(2);
      const runs = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod');
      const started = runs.at(-1)!;
      expect(first.stdout).not.toMatch(/skipped +prod\/gold run/);
      expect(first.stdout).toMatch(
        new RegExp(
          `FAILED +prod/gold run: run request sent \\(run ${started.runId} started\\) but not recorded \\(.+\\): the next apply resolves it`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(second.stdout).toContain(
        `resumed: prod/gold: adopted run ${started.runId} started by an interrupted apply`,
      );
      // The run is never started twice: the request is honoured by the run the first apply started.
      expect(requestsTo(emulator, 'startRun')).toBe(2);
      const store = await openStateStore(state);
      try {
        const record = await store.get('prod', 'gold');
        expect(record?.intent).toBeUndefined();
        expect(record?.applied?.ingestionRequest).toBe('r2');
        expect(record?.runs.map((run) => run.runId)).toContain(started.runId);
      } finally {
        await store.close();
      }
      expect((await apply(dir.dir, state, env)).stdout).toContain('No changes.');
      expect(requestsTo(emulator, 'startRun')).toBe(2);
    });
  });

  it('a run started and recorded whose end is not recorded as the lock is lost is said started and recorded, never "skipped"; the next apply starts none', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      await dir.write([manifestObject('gold', { ingestion: { request: 'r2' } })]);
      // The write of the r2 run's end (followed after its start was recorded), and the lock, end.
      await killFirstWriteWhere(
        schema,
        `NEW.body->'runs'->0->>'reason' = 'request:r2' AND NEW.body->'runs'->0->>'status' = 'SUCCESS'`,
        true,
      );
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      const started = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').at(-1)!;
      expect(first.stdout).not.toMatch(/skipped +prod\/gold run/);
      expect(first.stdout).toMatch(
        new RegExp(
          `prod/gold run: run ${started.runId} started and recorded \\(\\w+\\)(; the apply was stopped before its end|, but not its end \\(.+\\)): the next run of this audience waits for it`,
        ),
      );
      const second = await apply(dir.dir, state, env);
      expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
      expect(requestsTo(emulator, 'startRun'), 'the run on create, and r2 once').toBe(2);
      expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
    });
  });

  // IMS's refusal of a token is no answer of the service's: the call it kept from being sent
  // is not "sent and refused" (review 22, unverified suspicion: isRefusal took any 4xx).
  it('a run request kept unsent by IMS refusing the token is not said sent when the lock is lost at the write after it; the next apply starts the run', async () => {
    await withEmulator({}, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url);
      try {
        const { dir, state, schema, env: direct } = await goldOnPostgres(emulator);
        const env = { ...direct, AEP_IMS_URL: `${proxy.url}/ims/token/v3` };
        expect((await apply(dir.dir, state, env)).code).toBe(0);
        await dir.write([
          manifestObject('gold', { spec: { description: 'Gold, revised' }, ingestion: { request: 'r2' } }),
        ]);
        // The apply's first token is issued; every token asked for after it is refused by IMS.
        let tokens = 0;
        proxy.alter((answer) =>
          answer.path === '/ims/token/v3' && ++tokens > 1
            ? reply(401, { error: 'invalid_client', error_description: 'invalid client_secret parameter' })
            : undefined,
        );
        // AEP refuses the run request's token: the client asks IMS for another, which refuses,
        // so the run request is never sent with a token AEP takes. (The PATCH and the runs list
        // before the request answer: a runs list that fails starts no run, and writes no intent.)
        emulator.control.queueFault({
          kind: 'clientError',
          status: 401,
          errorCode: '100920-401',
          endpoint: 'startRun',
        });
        // The write that clears the run's intent, and the session holding the lock, both end.
        await killFirstWriteWhere(
          schema,
          `OLD.body->'intent'->>'kind' = 'run' AND NOT NEW.body ? 'intent'`,
          true,
        );
        const first = await apply(dir.dir, state, env);
        expect(first.code, first.stdout).toBe(1);
        expect(first.stdout).toMatch(/ok +prod\/gold update: patched description/);
        expect(emulator.control.counters().byEndpoint.startRun.byStatus['401']).toBe(1);
        expect(first.stdout).not.toContain('run request sent');
        expect(first.stdout).toMatch(/skipped +prod\/gold run: the apply was stopped/);
        proxy.alter(undefined);
        const second = await apply(dir.dir, state, env);
        expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
        // Started: the run on create, and r2 once (the 401 started none).
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
      } finally {
        await proxy.close();
      }
    });
  });

  // The summary and the way on an interrupted apply prints, with the lost lock as the reason,
  // then the one-line error naming it (review 22, L3): it once ended on the error alone.
  it('an apply whose lock is lost mid-step prints its summary and the "Stopped before the end" note, then the one-line error', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      // The create fails, said sent; its first run (which waits for it) never starts.
      await killCreateAnswerWithLock(schema);
      const first = await apply(dir.dir, state, env);
      expect(first.code, first.stdout).toBe(1);
      expect(first.stdout).toMatch(
        /FAILED +prod\/gold create: create sent \(202, operation .+\) but not recorded/,
      );
      expect(first.stdout).toContain(
        '\nApply: 0 applied, 0 run(s) still running, 1 failed, 0 blocked, 0 deferred, 1 skipped.\n' +
          'Stopped before the end (the state lock was lost): 1 step(s) not started; the next apply picks up where this one stopped.\n',
      );
      expectLostLockError(first, state);
    });
  });

  // Both sessions ended at once (every session of the apply's terminated, a server restart),
  // the write's end heard first: the write's failure was reported as such (57P01), the steps
  // went on, and the apply ended with no note, the lock's end unheard.
  it("an apply whose lock's session and write's session end together, the write's end heard first, reports the lost lock: the step's reason, the summary and the note", async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      const { proxy, viaProxy } = await lateEndProxyTo(state);
      // The write of the create's answer waits at the gate.
      const gate = await gateFirstWriteWhere(schema, `NEW.body ? 'operationId'`);
      try {
        const applying = apply(dir.dir, viaProxy.href, env);
        // The apply hears the write's end before the lock's.
        await endLockThen(schema, proxy, await writerAtGate(applying));
        const first = await applying;
        expect(first.code, first.stdout).toBe(1);
        expect(first.stdout).toMatch(
          /FAILED +prod\/gold create: create sent \(202, operation .+\) but not recorded \(lost the connection holding the state lock of /,
        );
        expect(first.stdout).toContain(
          '\nApply: 0 applied, 0 run(s) still running, 1 failed, 0 blocked, 0 deferred, 1 skipped.\n' +
            'Stopped before the end (the state lock was lost): 1 step(s) not started; the next apply picks up where this one stopped.\n',
        );
        expectLostLockError(first, viaProxy.href);
      } finally {
        await gate.end();
        await proxy.close();
      }
    });
  });

  // The same event met by a read (the record an update step reads first), not a write: the
  // read's failure was said as the step's (57P01), and the apply ended with no note.
  it("an apply whose lock's session and a read's session end together, the read's end heard first, reports the lost lock: the summary and the note", async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      await dir.write([manifestObject('gold', { spec: { description: 'About gold, again' } })]);
      const { proxy, viaProxy } = await lateEndProxyTo(state);
      // While --refresh's read of the service is answered, the audiences table is locked: the
      // next read of a record (the update step's, after every read before the steps) waits for it.
      const tableLock = new pg.Client({ connectionString: postgres.url });
      await tableLock.connect();
      const aep = await startAlteringProxy(emulator.url);
      aep.alter(async (answer) => {
        if (answer.path.endsWith('/audiences/bulk-get'))
          await tableLock.query(`BEGIN; LOCK TABLE "${schema}".audiences IN ACCESS EXCLUSIVE MODE`);
        return undefined;
      });
      const viaAep = { ...env, AEP_BASE_URL: env.AEP_BASE_URL!.replace(emulator.url, aep.url) };
      try {
        const applying = apply(dir.dir, viaProxy.href, viaAep, '--refresh');
        await endLockThen(schema, proxy, await readerAtTableLock(schema, applying));
        const first = await applying;
        expect(first.code, first.stdout).toBe(1);
        expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(0);
        expect(first.stdout).toContain(
          '\nApply: 0 applied, 0 run(s) still running, 0 failed, 0 blocked, 0 deferred, 1 skipped.\n' +
            'Stopped before the end (the state lock was lost): 1 step(s) not started; the next apply picks up where this one stopped.\n',
        );
        expectLostLockError(first, viaProxy.href);
      } finally {
        await tableLock.end();
        await aep.close();
        await proxy.close();
      }
    });
  });

  it('`apply plan.json` whose lock is lost mid-step prints its summary and the note naming the plan to make again', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, schema, env } = await goldOnPostgres(emulator);
      const saved = path.join(await tempDir(), 'p.json');
      const planned = await runCliInProcess(
        ['plan', dir.dir, '--state', state, '--output', 'json', '--out', saved],
        { env },
      );
      expect(planned.code, planned.stderr).toBe(0);
      await killCreateAnswerWithLock(schema);
      const first = await runCliInProcess(['apply', saved, '--state', state, '--auto-approve'], { env });
      expect(first.code, first.stdout).toBe(1);
      // The pasted --state keeps no password: it says where the password goes instead.
      const bare = new URL(state);
      bare.password = '';
      const stateFlags = `--state '${bare.href}' --state-password-file PASSWORD_FILE`;
      expect(first.stdout).toContain(
        '\nApply: 0 applied, 0 run(s) still running, 1 failed, 0 blocked, 0 deferred, 1 skipped.\n' +
          `Stopped before the end (the state lock was lost): 1 step(s) not started; ${saved} cannot be applied again (the state moved on): ` +
          `plan again with the options it was made with (\`audiencectl plan ${dir.dir} --output json --out ${saved} ${stateFlags}\`) ` +
          `and apply that plan (\`audiencectl apply ${saved} ${stateFlags}\`), which picks up where this one stopped.\n`,
      );
      expectLostLockError(first, state);
    });
  });

  it.each([
    ['audiences', ['readAll', 'get', 'list']],
    // The meta row holds the lineage and the org bindings: none is not "no meta".
    ['meta', ['readAll', 'meta']],
  ] as const)(
    'a statement the server refuses on %s is an error naming what it refused, never an empty state',
    async (table, reads) => {
      const state = await postgres.freshLocation();
      const schema = new URL(state).searchParams.get('schema')!;
      const seeded = await openStateStore(state);
      await seeded.lock();
      await seeded.put(aRecord('gold'));
      await seeded.close();
      // A role that may read every table but one (a bad GRANT after a migration).
      const role = `r_${randomBytes(4).toString('hex')}`;
      await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}';
        GRANT USAGE ON SCHEMA "${schema}" TO ${role};
        GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role};
        REVOKE SELECT ON "${schema}".${table} FROM ${role}`);
      const url = new URL(state);
      url.username = role;
      url.password = role;
      const store = await openStateStore(url.href);
      const calls = {
        readAll: () => store.readAll(),
        get: () => store.get('prod', 'gold'),
        list: () => store.list(),
        meta: () => store.meta(),
      };
      try {
        for (const read of reads) {
          const error = await calls[read]().then(
            () => undefined,
            (failure: unknown) => failure as { code?: string; message?: string },
          );
          expect(error?.code, read).toBe('STATE_DB_ERROR');
          expect(error?.message).toContain(`permission denied for table ${table}: `);
          expect(error?.message).toMatch(
            / needs USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on its tables .*\[42501\]$/,
          );
        }
      } finally {
        await store.close();
        await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    },
  );

  it('a store that found no schema reads it once init has created it (the refusal is not kept)', async () => {
    const state = await postgres.freshLocation({ init: false });
    const early = await openStateStore(state);
    try {
      await expect(early.readAll()).rejects.toMatchObject({ code: 'STATE_NOT_INITIALISED' });
      // Another process runs init meanwhile (a controller started before its init job).
      const initialising = await openStateStore(state);
      await initialising.init();
      await initialising.lock();
      await initialising.put(aRecord('gold'));
      await initialising.close();
      expect((await early.readAll()).audiences.map((record) => record.key)).toEqual(['gold']);
    } finally {
      await early.close();
    }
  });

  it('a schema one version behind, from a newer release, or with no migration recorded is refused', async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    const migrations = `"${schema}".schema_migrations`;
    const [{ version } = { version: 0 }] = await postgres.query<{ version: number }>(
      `SELECT max(version) AS version FROM ${migrations}`,
    );
    const refusal = async () => {
      const store = await openStateStore(state);
      try {
        return await store.readAll().then(
          () => undefined,
          (failure: unknown) => failure as { code?: string; message?: string },
        );
      } finally {
        await store.close();
      }
    };
    await postgres.query(
      `INSERT INTO ${migrations} (version, name) VALUES (${version + 1}, 'a newer release')`,
    );
    expect(await refusal()).toMatchObject({ code: 'STATE_SCHEMA_NEWER' });
    expect((await refusal())?.message).toMatch(/made by a newer audiencectl .*; upgrade audiencectl$/);
    await postgres.query(`DELETE FROM ${migrations} WHERE version >= ${version}`);
    expect(await refusal()).toMatchObject({ code: 'STATE_SCHEMA_OUTDATED' });
    await postgres.query(`DELETE FROM ${migrations}`);
    expect(await refusal()).toMatchObject({ code: 'STATE_NOT_INITIALISED' });
  });

  it('a schema check whose session the server ends is a one-line error, not a crash', async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    // Reading the schema version (every command's first statement) ends its own session.
    await postgres.query(`
      ALTER TABLE "${schema}".schema_migrations RENAME TO migrations_kept;
      CREATE FUNCTION "${schema}".end_session() RETURNS boolean LANGUAGE sql
        AS 'SELECT pg_terminate_backend(pg_backend_pid())';
      CREATE VIEW "${schema}".schema_migrations AS
        SELECT * FROM "${schema}".migrations_kept WHERE "${schema}".end_session();`);
    const result = await runCli(['state', 'list', '--state', state]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^Error: PostgreSQL state .*\[57P01\]$/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
