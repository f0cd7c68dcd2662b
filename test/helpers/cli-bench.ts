import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { emulatorEnv } from './apply-env.js';
import { runCli } from './cli.js';
import { runCliInProcess } from './cli-in-process.js';
import { withEmulator, type TestEmulator } from './with-emulator.js';
import { gitRepository } from './work-tree.js';

/** What cliBench gives a test: the emulator, a temporary directory, the built CLI on its store. */
export type CliBench = {
  emulator: TestEmulator;
  tmp: string;
  /** The built CLI, run in `tmp` against the emulator, with `--state` the store initialised. */
  cli: (...args: string[]) => ReturnType<typeof runCli>;
  /**
   * The same command run by the CLI's own entry in this process (cli-in-process.ts): for the
   * steps that set a story up, not its subject (a process costs ~0.5 s of CPU to start).
   */
  setUp: (...args: string[]) => ReturnType<typeof runCli>;
};

/** A directory store initialised (`init`), the emulator over HTTP, the built CLI; all removed after. */
export async function cliBench(fn: (b: CliBench) => Promise<void>): Promise<void> {
  await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-bench-'));
    try {
      const state = path.join(tmp, 'state');
      const options = { env: emulatorEnv(emulator), cwd: tmp };
      const cli = (...args: string[]) => runCli([...args, '--state', state], options);
      const setUp = (...args: string[]) => runCliInProcess([...args, '--state', state], options);
      const init = await setUp('init');
      expect(init.code, init.stderr).toBe(0);
      await fn({ emulator, tmp, cli, setUp });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

/**
 * A git repository of `files` (work-tree.ts gitRepository) in the bench's directory, each of
 * `dirs` (relative to it) applied in turn, in this process (setUp); each apply checked to succeed.
 */
export async function appliedRepository(
  { tmp, setUp }: CliBench,
  files: Record<string, string>,
  dirs: readonly string[],
): Promise<Awaited<ReturnType<typeof gitRepository>>> {
  const repository = await gitRepository(tmp, files);
  for (const dir of dirs) {
    const applied = await setUp('apply', path.join(repository.repo, dir), '--auto-approve');
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  }
  return repository;
}
