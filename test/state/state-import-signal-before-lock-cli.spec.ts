import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { GIT_ENV } from '../helpers/cli.js';
import { useTempDirs } from './helpers.js';
import { holding, spawnState } from './signalled-state-cli.js';

// Review 39 (cli-39) 4: `state import` heard Ctrl-C and SIGTERM only from its lock on (9a0a170c):
// a signal while it still read (the manifests, their git commit, the configuration) ended it
// by Node's default, no word said (exit 143 or 130 from the signal itself). Here git reads the
// manifests' commit from a repository whose HEAD is a named pipe the test answers: the signal
// is sent while git provably waits on it, before any lock. It should say it was stopped and that
// nothing was changed, as it does once it holds the lock: it does now.

const tempDir = useTempDirs();
const AUDIENCE_ID = '60ccea95-1435-4180-97a5-58af4aa285ab';

/** Writes `text` to the FIFO, `handle`: a git gone before it read (killed at the stop) is no answer waited for. */
async function answer(handle: FileHandle, text: string): Promise<void> {
  await handle.write(text).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  await handle.close();
}

describe('state import signalled while git reads the manifests’ commit (before the lock)', () => {
  it.each([
    { signal: 'SIGINT', git: 'answered' },
    { signal: 'SIGTERM', git: 'answered' },
    // A git that hangs (a network file system) is not waited out: the stop ends it.
    { signal: 'SIGTERM', git: 'never answered' },
  ] as const)(
    '$signal, git $git: says it was stopped with nothing changed, and only that',
    { timeout: 60_000 },
    async ({ signal, git: answered }) => {
      const dir = await tempDir();
      const location = await holding(path.join(dir, 'state'), 'gold');
      const manifests = path.join(dir, 'm');
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: manifests, env: { ...process.env, ...GIT_ENV } });
      execFileSync('mkdir', ['-p', manifests]);
      git('init', '-q');
      git('commit', '-q', '--allow-empty', '-m', 'first');
      const head = path.join(manifests, '.git', 'HEAD');
      const headText = await readFile(head, 'utf8');
      await rm(head);
      execFileSync('mkfifo', [head]);

      const state = spawnState([
        'import',
        'silver',
        manifests,
        '--audience-id',
        AUDIENCE_ID,
        '--without-manifest',
        '--sandbox',
        'prod',
        '--state',
        location,
      ]);
      const expectStopped = async (result: Awaited<typeof state.exited>) => {
        expect({
          signal: result.signal,
          code: result.code,
          stdout: result.stdout,
          stderr: result.stderr,
        }).toEqual({
          signal: null,
          code: signal === 'SIGTERM' ? 143 : 130,
          stdout: '',
          stderr: `Error: interrupted (${signal}): nothing was changed in ${location}; run the command again\n`,
        });
        const store = await openStateStore(location);
        try {
          expect((await store.readAll()).audiences.map((record) => record.key)).toEqual(['gold']);
        } finally {
          await store.close();
        }
      };
      let ended = false;
      const exited = state.exited.then((result) => {
        ended = true;
        return result;
      });
      // Resolves once git opened HEAD to read it: the command waits on git, before its lock.
      let first!: FileHandle;
      await state.reaches(
        open(head, 'w').then((handle) => {
          first = handle;
        }),
      );
      state.signal(signal);
      if (answered === 'never answered') {
        // git waits on its read of HEAD until the command ends it: the FIFO is held open.
        const result = await exited;
        await first.close();
        return expectStopped(result);
      }
      await answer(first, headText);
      // Each later read of HEAD (this git, and the next) is answered until the command ends.
      const serving = (async () => {
        while (!ended) await answer(await open(head, 'w'), headText);
      })();
      const result = await exited;
      // A writer still waiting for a reader is let go.
      const reader = await open(head, constants.O_RDONLY | constants.O_NONBLOCK);
      await serving.catch(() => undefined);
      await reader.close();

      await expectStopped(result);
    },
  );
});
