import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// A machine whose clock is off the service's: the emulator runs its clock (Date header,
// createdAt, run stages) `clockOffsetMs` off this host's, and the CLI applies against it.

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const FAST = { operationDelayMs: 10, runStageDelayMs: 10 };

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function workspace() {
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-clock-'));
  roots.push(root);
  const dir = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  const write = async (request?: string) => {
    const ingestion = { onCreate: true, every: '1h', ...(request === undefined ? {} : { request }) };
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion }));
  };
  /** A config whose retries wait a few ms, not the default backoff: the read's retries are counted, not timed. */
  const quickRetries = async () => {
    const config = path.join(root, 'audiencectl.yaml');
    await writeFile(config, 'retry: { baseDelayMs: 1, maxDelayMs: 5 }\n');
    return config;
  };
  return { dir, state, write, quickRetries };
}

function runsOf(emulator: RunningEmulator) {
  return emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod');
}

describe('apply: a local clock off AEP clock', () => {
  it('2 days ahead: the periodic run is not started at every apply, the warning names the skew, a requested run still starts', async () => {
    await withEmulator({ ...FAST, clockOffsetMs: -2 * DAY_MS }, async (emulator) => {
      const { dir, state, write } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      const first = await apply(dir, state, env);
      expect(first.code, first.stderr).toBe(0);
      expect(runsOf(emulator)).toHaveLength(1);

      // By this host's clock the first run is 2 days old, so `every: 1h` looked due at every apply.
      for (let pass = 0; pass < 2; pass += 1) {
        const again = await apply(dir, state, env);
        expect(again.code, again.stderr).toBe(0);
        expect(runsOf(emulator)).toHaveLength(1);
        expect(again.stderr).toContain("Warning: the local clock is 2 d ahead of AEP's (its Date header)");
      }

      await write('more-please');
      const requested = await apply(dir, state, env);
      expect(requested.code, requested.stderr).toBe(0);
      expect(runsOf(emulator)).toHaveLength(2);
      const record = (await readState(state)).audiences.find((a) => a.key === 'gold');
      expect(record?.runs.map((run) => run.reason)).toEqual(['request:more-please', 'onCreate']);
    });
  });

  it('2 days ahead: a saved plan that timed an every run by the local clock does not start it', async () => {
    await withEmulator({ ...FAST, clockOffsetMs: -2 * DAY_MS }, async (emulator) => {
      const { dir, state, write } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      expect((await apply(dir, state, env)).code).toBe(0);
      const saved = path.join(path.dirname(dir), 'plan.json');
      // `plan` asks AEP nothing: by this host's clock the first run is 2 days old.
      const planned = await runCliInProcess(
        ['plan', dir, '--state', state, '--output', 'json', '--out', saved],
        {
          env,
        },
      );
      expect(planned.code, planned.stderr).toBe(0);
      const applied = await runCliInProcess(['apply', saved, '--state', state, '--auto-approve'], { env });
      expect(applied.code, applied.stderr).toBe(0);
      expect(runsOf(emulator)).toHaveLength(1);
      expect(applied.stdout).toContain(
        "deferred: this saved plan timed the period by the local clock, 2 d ahead of AEP's: plan again",
      );
      expect(applied.stderr).toContain("Warning: the local clock is 2 d ahead of AEP's (its Date header)");
    });
  });

  it('2 days behind: plan says why no periodic run is planned, and apply times it in AEP clock', async () => {
    await withEmulator({ ...FAST, clockOffsetMs: 2 * DAY_MS }, async (emulator) => {
      const { dir, state, write } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      expect((await apply(dir, state, env)).code).toBe(0);
      expect(runsOf(emulator)).toHaveLength(1);

      // Without network the plan cannot measure AEP's clock; the run in its future says enough.
      const planned = await runCliInProcess(['plan', dir, '--state', state], { env });
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stdout).toContain(
        "deferred: its last run was created 2 d after this machine's clock reads now: the local clock is behind AEP's",
      );
      expect(planned.stdout).toContain("Clock: a recorded run was created 2 d after this machine's clock");

      // Apply measures it: 1 h has not passed in AEP's clock, so nothing starts yet, and it says so.
      const early = await apply(dir, state, env);
      expect(early.code, early.stderr).toBe(0);
      expect(early.stderr).toContain("Warning: the local clock is 2 d behind AEP's (its Date header)");
      expect(runsOf(emulator)).toHaveLength(1);

      // An hour later in AEP's clock (this host's has not moved): the periodic run is due.
      emulator.control.updateSettings({ clockOffsetMs: 2 * DAY_MS + HOUR_MS });
      const due = await apply(dir, state, env);
      expect(due.code, due.stderr).toBe(0);
      expect(runsOf(emulator)).toHaveLength(2);
      const record = (await readState(state)).audiences.find((a) => a.key === 'gold');
      expect(record?.runs.map((run) => run.reason)).toEqual(['every', 'onCreate']);
    });
  });

  // A fresh apply's first request is its read of AEP's clock (one audience), before planning.
  it('2 days ahead: a clock read that meets a reset is retried, and the periodic run is not started again', async () => {
    await withEmulator({ ...FAST, clockOffsetMs: -2 * DAY_MS }, async (emulator) => {
      const { dir, state, write, quickRetries } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      expect((await apply(dir, state, env)).code).toBe(0);
      expect(runsOf(emulator)).toHaveLength(1);

      emulator.control.queueFault({ kind: 'drop', endpoint: 'listAudiences', count: 1 });
      const again = await apply(dir, state, env, '--config', await quickRetries());
      expect(again.code, again.stderr).toBe(0);
      expect(emulator.control.counters().byEndpoint.listAudiences.requests).toBeGreaterThanOrEqual(2);
      expect(again.stderr).toContain("Warning: the local clock is 2 d ahead of AEP's (its Date header)");
      expect(runsOf(emulator)).toHaveLength(1);
    });
  });

  it("2 days ahead: when AEP's clock cannot be read at all, the run is deferred, saying why, not timed by this clock", async () => {
    await withEmulator({ ...FAST, clockOffsetMs: -2 * DAY_MS }, async (emulator) => {
      const { dir, state, write, quickRetries } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      expect((await apply(dir, state, env)).code).toBe(0);
      expect(runsOf(emulator)).toHaveLength(1);

      // More resets than the client's retries: every attempt of the read fails.
      emulator.control.queueFault({ kind: 'drop', endpoint: 'listAudiences', count: 50 });
      const lists = () => emulator.control.counters().byEndpoint.listAudiences.requests;
      const listedBefore = lists();
      const unread = await apply(dir, state, env, '--config', await quickRetries());
      expect(unread.code, unread.stderr).toBe(0);
      expect(unread.stdout).toContain(
        "deferred prod/gold run: AEP's clock could not be read before planning (reading one audience failed, retries included)",
      );
      // The first attempt and the client's 4 retries (its default), no more.
      expect(lists() - listedBefore).toBe(5);
      expect(runsOf(emulator)).toHaveLength(1);
      expect(emulator.control.counters().byEndpoint.startRun.requests).toBe(1);

      // Once it can be read, the run is timed in AEP's clock: not due yet.
      emulator.control.clearFaults();
      const read = await apply(dir, state, env);
      expect(read.code, read.stderr).toBe(0);
      expect(read.stderr).toContain("Warning: the local clock is 2 d ahead of AEP's (its Date header)");
      expect(runsOf(emulator)).toHaveLength(1);
    });
  });

  it('in step with AEP: an in-sync apply asks AEP nothing and prints no clock warning', async () => {
    await withEmulator(FAST, async (emulator) => {
      const { dir, state, write } = await workspace();
      const env = emulatorEnv(emulator);
      await write();
      expect((await apply(dir, state, env)).code).toBe(0);
      const before = emulator.control.counters().requests;
      const again = await apply(dir, state, env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('No changes.');
      expect(again.stderr).not.toContain('clock');
      expect(emulator.control.counters().requests).toBe(before);
      expect(runsOf(emulator)).toHaveLength(1);
    });
  });
});
