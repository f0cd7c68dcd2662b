import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { apply, emulatorEnv, ManifestDir, remoteByName } from '../helpers/apply-env.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';
import { HELD_CREATE, waitOutHeldCreates } from '../helpers/held-creates.js';

// `apply` processes sharing one PostgreSQL state: one writer at a time, a killed or
// disconnected one leaves nothing behind, and the next one finishes its work.
const postgres = usePostgres();
const tempDir = useTempDirs();
const MANIFESTS = Array.from({ length: 6 }, (_, i) =>
  manifestObject(`aud-${i}`, { ingestion: { onCreate: i < 3 } }),
);

type Running = {
  exited: Promise<CliResult>;
  kill(): void;
  /** Resolves once the process printed `pattern` (stdout or stderr); rejects if it exits first. */
  printed(pattern: RegExp): Promise<void>;
};

function startApply(dir: string, state: string, env: Record<string, string>, ...flags: string[]): Running {
  const child = spawn(process.execPath, [CLI, 'apply', dir, '--state', state, '--auto-approve', ...flags], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const wake = () => {
    for (const check of watchers) check();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    wake();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    wake();
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(stdout + stderr)) return;
        watchers.delete(check);
        resolve();
      };
      watchers.add(check);
      check();
      void exited.then((result) => {
        if (watchers.delete(check))
          reject(new Error(`exited ${result.code} before printing ${pattern}:\n${stdout}${stderr}`));
      });
    });
  return { exited, kill: () => child.kill('SIGKILL'), printed };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function creates(emulator: TestEmulator): number {
  return emulator.control.counters().byEndpoint.createAudience.requests;
}

/**
 * Applies until nothing is left, importing what a lost answer left blocked, and waiting out a
 * create held while its killed POST may land, as an operator would.
 * In this process (the CLI's own entry): the processes these cases are about ran before it.
 */
async function converge(emulator: TestEmulator, dir: string, state: string, env: Record<string, string>) {
  for (let attempt = 0; attempt < 6; attempt += 1) {
    const result = await apply(dir, state, env);
    if (result.code === 0 && result.stdout.includes('No changes.')) return;
    if (result.stdout.includes(HELD_CREATE)) {
      const held = await openStateStore(state);
      try {
        await waitOutHeldCreates(held);
      } finally {
        await held.close();
      }
    }
    const store = await openStateStore(state);
    const blocked = (await store.readAll()).audiences.filter((r) => r.blocked);
    await store.close();
    for (const record of blocked) {
      const name = MANIFESTS.find((m) => m.metadata.name === record.key)!.spec.name;
      const id = remoteByName(emulator).get(name)!.audienceId;
      const args = ['state', 'import', record.key, dir, '--audience-id', id, '--state', state];
      expect((await runCliInProcess(args, { env })).code).toBe(0);
    }
  }
  throw new Error('apply did not converge');
}

/** One audience per manifest, at most one run each. */
function expectNoDuplicates(emulator: TestEmulator): void {
  const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  expect(audiences.map((a) => a.audienceName).sort()).toEqual(MANIFESTS.map((m) => m.spec.name).sort());
  for (const audience of audiences) {
    const runs = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId);
    expect(runs.length, audience.audienceName).toBeLessThanOrEqual(1);
  }
}

async function setup(emulator: TestEmulator, latencyMs = 50) {
  emulator.control.setLatency(latencyMs);
  const dir = new ManifestDir(path.join(await tempDir(), 'm'));
  await dir.write(MANIFESTS);
  return { dir: dir.dir, state: await postgres.freshLocation(), env: emulatorEnv(emulator) };
}

describe('apply processes on one PostgreSQL state', { timeout: 180_000 }, () => {
  it('two at once: one is refused, one waits and finds nothing left to do; nothing interleaves', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, env } = await setup(emulator);
      // The first apply's first create is answered only once the others have started: the
      // refused one has ended, and the waiting one says it waits for the lock.
      const held = gate();
      let createsSeen = 0;
      const stopHolding = emulator.control.observeRequests((request) =>
        request.endpoint === 'createAudience' && (createsSeen += 1) === 1 ? held.promise : undefined,
      );
      try {
        const first = startApply(dir, state, env);
        await until(() => createsSeen >= 1, 'the first apply creating');
        const refused = await apply(dir, state, env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/is locked by pid \d+ on host .* \(audiencectl apply\)/);
        const waiting = startApply(dir, state, env, '--lock-timeout', '120');
        await waiting.printed(/Waiting up to 120 s for the state lock held by /);
        held.open();
        const [a, b] = await Promise.all([first.exited, waiting.exited]);
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        expect(b.stdout).toContain('No changes.');
        expect(creates(emulator)).toBe(MANIFESTS.length);
        expectNoDuplicates(emulator);
      } finally {
        held.open();
        stopHolding();
      }
    });
  });

  it('kill -9 of the holder mid-apply: the lock is free at once and the next apply finishes', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, env } = await setup(emulator);
      const first = startApply(dir, state, env);
      await until(() => creates(emulator) >= 2, 'the first apply creating');
      first.kill();
      await first.exited;
      // No --lock-timeout, no takeover: the server ended the dead session's lock.
      const next = await apply(dir, state, env);
      expect(next.stderr).not.toMatch(/locked|Took over/);
      await converge(emulator, dir, state, env);
      expectNoDuplicates(emulator);
    });
  });

  it('a dropped database connection mid-apply: the process stops writing, the next holder resumes', async () => {
    await withEmulator({}, async (emulator) => {
      const { dir, state, env } = await setup(emulator);
      const schema = new URL(state).searchParams.get('schema')!;
      const serial = async () =>
        Number(
          (await postgres.query<{ serial: string }>(`SELECT serial FROM "${schema}".meta`))[0]?.serial ?? 0,
        );
      const first = startApply(dir, state, env);
      await until(() => creates(emulator) >= 2, 'the first apply creating');
      await postgres.query(`SELECT pg_terminate_backend(backend_pid) FROM "${schema}".lock_state`);
      // The next holder's lock waits for writes that passed the fence before the cut, then fences
      // out every later one: from here on the cut-off process must not change anything.
      const next = await openStateStore(state);
      await next.lock({ timeoutMs: 30_000 });
      const cutAt = await serial();
      const result = await first.exited;
      expect(await serial(), 'no write after another holder took the lock').toBe(cutAt);
      await next.close();
      expect(result.code).toBe(1);
      expect(`${result.stdout}${result.stderr}`).toMatch(
        /lost the connection holding the state lock .* so this one stops writing/,
      );
      await converge(emulator, dir, state, env);
      expectNoDuplicates(emulator);
    });
  });

  it('a lost lock stops the apply at once: it does not follow its runs while another may hold the lock', async () => {
    await withEmulator({}, async (emulator) => {
      // Runs that stay in progress far longer than the test: only the lost lock can end the apply.
      emulator.control.setDelays({ runStageDelayMs: 3_600_000 });
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write([manifestObject('gold', { ingestion: { onCreate: true } })]);
      const state = await postgres.freshLocation();
      const schema = new URL(state).searchParams.get('schema')!;
      const first = startApply(dir.dir, state, emulatorEnv(emulator), '--run-wait', '1h');
      const runs = () => emulator.control.counters().byEndpoint.getRun.requests;
      await until(() => runs() >= 1, 'the apply following its run');
      await postgres.query(`SELECT pg_terminate_backend(backend_pid) FROM "${schema}".lock_state`);
      const result = await first.exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^Error: lost the connection holding the state lock .* so this one stops writing/m,
      );
      expect(result.stderr).not.toMatch(/^\s+at /m);
      // The run was recorded before the loss: the next apply follows it, nothing is started twice.
      const store = await openStateStore(state);
      const record = await store.get('prod', 'gold');
      await store.close();
      expect(record?.runs).toHaveLength(1);
      expect(emulator.control.counters().byEndpoint.startRun.requests).toBe(1);
    });
  });

  it('many audiences at once: the calls in flight listen to the lost-lock signal without a leak warning', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.control.setDelays({ operationDelayMs: 0 });
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write(Array.from({ length: 12 }, (_, i) => manifestObject(`many-${i}`)));
      const state = await postgres.freshLocation();
      const args = ['apply', dir.dir, '--state', state, '--auto-approve'];
      const result = await runCli(args, { env: emulatorEnv(emulator) });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/MaxListenersExceededWarning/);
    });
  });
});

/** A promise and its resolve, for a test to say when something may go on. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
