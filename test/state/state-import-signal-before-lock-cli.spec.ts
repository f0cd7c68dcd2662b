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

describe('state import signalled while git reads the manifests’ commit (before the lock)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: says it was stopped with nothing changed',
    { timeout: 60_000 },
    async (signal) => {
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
      // git may be gone before it reads (the signalled command ends it): its end of the FIFO
      // closed, the write fails with EPIPE, which is no answer the test waits for.
      await first.write(headText).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
      });
      await first.close();
      // Each later read of HEAD (this git, and the next) is answered until the command ends.
      const serving = (async () => {
        while (!ended) {
          const handle = await open(head, 'w');
          await handle.write(headText);
          await handle.close();
        }
      })();
      const result = await exited;
      // A writer still waiting for a reader is let go.
      const reader = await open(head, constants.O_RDONLY | constants.O_NONBLOCK);
      await serving.catch(() => undefined);
      await reader.close();

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
    },
  );
});
