import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { PushListener, StateStore } from '../../src/state/store.js';
import { eventually } from '../daemon/helpers/controller.js';
import { usePostgres } from './pg.js';

// Review 35b, L-2: a push a standby verified reaches the leader through PostgreSQL
// (NOTIFY/LISTEN), and the listening survives its connection being cut: the cut said once,
// listening again said too.

const postgres = usePostgres();
const LISTENING =
  "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'";
const open: StateStore[] = [];
const listeners: PushListener[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  await Promise.all(open.splice(0).map((store) => store.close()));
});

async function store(location: string): Promise<StateStore> {
  const opened = await openStateStore(location);
  open.push(opened);
  return opened;
}

describe('push hints between replicas', () => {
  it('tells the replicas of one schema, not those of another, and listens again after a cut', async () => {
    const location = await postgres.freshLocation();
    const [leader, standby, elsewhere] = [
      await store(location),
      await store(location),
      await store(await postgres.freshLocation()),
    ];
    const heard: string[] = [];
    const errors: unknown[] = [];
    const back: string[] = [];
    listeners.push(
      leader.listenForPushes!(
        () => heard.push('leader'),
        (error) => errors.push(error),
        () => back.push('leader'),
      ),
      elsewhere.listenForPushes!(
        () => heard.push('elsewhere'),
        () => undefined,
        () => undefined,
      ),
    );
    // Both listeners' LISTEN sessions up before any hint: otherwise `elsewhere` hearing nothing
    // proves nothing, and the cut below may find one session (CI at 312bc485 did).
    await eventually(
      async () => (await postgres.query(LISTENING)).length,
      (count) => count === 2,
      10_000,
      'both listeners listening',
    );
    // The LISTEN is sent as the listener connects: hint until it is heard (a guard, not a deadline).
    await eventually(
      async () => {
        await standby.hintPush!();
        return heard.length;
      },
      (count) => count > 0,
      10_000,
      'the first hint heard',
    );
    expect(new Set(heard)).toEqual(new Set(['leader']));

    // The server ends the listening session (a restart, a failover, an idle cut).
    const cut = await postgres.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM (${LISTENING}) AS listening`,
    );
    expect(cut.map((row) => row.ended)).toEqual([true, true]);
    heard.splice(0);
    await eventually(
      async () => {
        await standby.hintPush!();
        return heard.length;
      },
      (count) => count > 0,
      20_000,
      'a hint heard after the cut',
    );
    expect(new Set(heard)).toEqual(new Set(['leader']));
    // The cut is told once (review 36d, L-3: its error and the end after it were two warnings),
    // and so is listening again.
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'terminating connection due to administrator command',
    ]);
    // A hint sent as the LISTEN is answered can arrive in the same read as that answer: the
    // driver emits it before the LISTEN's await resumes to tell that listening works again (CI at
    // d151b634, Node 20: `back` still empty when the hint was heard).
    await eventually(
      () => Promise.resolve(back.length),
      (count) => count > 0,
      10_000,
      'listening again told',
    );
    expect(back).toEqual(['leader']);
  });
});
