import { spawn } from 'node:child_process';

// git run as a process of its own, for answers read whole (read-moved.ts, work-tree-repository.ts).

export type GitAnswer<T> = { ok: true; out: T } | { ok: false; why: string };

/** What a git command printed, or why it could not say (no git, no repository, exit > `ok`). */
export function gitBytes(
  cwd: string,
  args: readonly string[],
  input: string,
  ok = 0,
): Promise<GitAnswer<Buffer>> {
  return new Promise((resolve) => {
    // A partial clone must not fetch what it lacks to answer: it is not there, so unknown.
    const env = { ...process.env, GIT_NO_LAZY_FETCH: '1' };
    const child = spawn('git', args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ ok: false, why: error.message }));
    child.on('close', (code) =>
      resolve(
        code !== null && code <= ok
          ? { ok: true, out: Buffer.concat(chunks) }
          : { ok: false, why: stderr.trim().split('\n')[0] || `git exited with ${String(code)}` },
      ),
    );
    // A git that exits early (no repository) is told by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** gitBytes, its output as text. */
export async function git(
  cwd: string,
  args: readonly string[],
  input: string,
  ok = 0,
): Promise<GitAnswer<string>> {
  const answer = await gitBytes(cwd, args, input, ok);
  return answer.ok ? { ok: true, out: answer.out.toString('utf8') } : answer;
}
