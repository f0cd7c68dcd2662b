import { spawn } from 'node:child_process';

// git run as a process of its own, for answers read whole (read-moved.ts, work-tree-repository.ts).

/**
 * `stderr`, of an answer had (gitBytes): what git printed there though it exited ok (`git grep`'s
 * `error:` line for a file it could not read, which it skips: read-moved.ts).
 */
export type GitAnswer<T> = { ok: true; out: T; stderr?: string } | { ok: false; why: string };

/**
 * How a git that talks to a remote is run (gitBytes): stopped once silent for `silenceMs` (no
 * output: run it with --progress), with what it runs (ssh, a credential helper), and `env`
 * added to its environment.
 */
export type GitWatch = { silenceMs: number; env?: Record<string, string> };

/**
 * What a git command printed, or why it could not say (no git, no repository, exit > `ok`).
 * With `watch`, a git silent for its `silenceMs` is killed, its process group with it (an ssh
 * waiting on a host that never answers holds the pipes), and the answer says so.
 */
export function gitBytes(
  cwd: string,
  args: readonly string[],
  input: string,
  ok = 0,
  watch?: GitWatch,
): Promise<GitAnswer<Buffer>> {
  return new Promise((resolve) => {
    // A partial clone must not fetch what it lacks to answer: it is not there, so unknown.
    const env = { ...process.env, ...messagesInEnglish(process.env), GIT_NO_LAZY_FETCH: '1', ...watch?.env };
    // A group of its own, killed whole; ended with this process too (the exit hook below).
    const detached = watch !== undefined;
    const child = spawn('git', args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached });
    const chunks: Buffer[] = [];
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const killGroup = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const done = (answer: GitAnswer<Buffer>) => {
      clearTimeout(timer);
      if (detached) process.removeListener('exit', killGroup);
      resolve(answer);
    };
    const arm = () => {
      if (watch === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        killGroup();
        const seconds = Math.round(watch.silenceMs / 100) / 10;
        done({
          ok: false,
          why: `git ${args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? ''} was silent for ${seconds}s and was stopped (AUDIENCECTL_GIT_TIMEOUT)`,
        });
      }, watch.silenceMs);
    };
    if (detached) process.once('exit', killGroup);
    arm();
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      arm();
    });
    child.on('error', (error) => done({ ok: false, why: error.message }));
    child.on('close', (code) =>
      done(
        code !== null && code <= ok
          ? { ok: true, out: Buffer.concat(chunks), stderr }
          : {
              ok: false,
              why:
                (watch === undefined ? stderr.trim().split('\n')[0] : failureLine(stderr)) ||
                `git exited with ${String(code)}`,
            },
      ),
    );
    // A git that exits early (no repository) is told by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * git's messages in English, as they are read (read-moved.ts matches `error:` lines; a failure's
 * first line is matched and shown): LC_MESSAGES=C, and LANGUAGE (which gettext reads before it)
 * unset; a LC_ALL the user set, which would override LC_MESSAGES, kept as LC_CTYPE (how `git grep
 * -i` folds case and reads characters). Under LANGUAGE=de git wrote `Fehler: Konnte … nicht lesen`
 * for a file it skipped, and a removal's search took its silence for "no file names it".
 */
function messagesInEnglish(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return {
    LC_ALL: undefined,
    LANGUAGE: undefined,
    LC_MESSAGES: 'C',
    ...(env.LC_ALL ? { LC_CTYPE: env.LC_ALL } : {}),
  };
}

/**
 * The line of git's stderr that says why it failed: its first `fatal:` or `error:` line (the
 * progress a watched fetch prints comes before it), else its first line.
 */
function failureLine(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? '';
}

/** gitBytes, its output as text. */
export async function git(
  cwd: string,
  args: readonly string[],
  input: string,
  ok = 0,
  watch?: GitWatch,
): Promise<GitAnswer<string>> {
  const answer = await gitBytes(cwd, args, input, ok, watch);
  return answer.ok ? { ok: true, out: answer.out.toString('utf8') } : answer;
}
