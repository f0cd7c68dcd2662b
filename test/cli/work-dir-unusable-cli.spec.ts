import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HANG_GUARD_MS, runCliGuarded } from '../helpers/hang-guard.js';

// Review verify-45, a neighbour of 5ef6aed4 (the compile cache's and manifest cache's
// directories under HOME=/proc/x): the controller made its --work-dir with Node's recursive
// mkdir too, which spins a core for ever where mkdir answers ENOENT under a parent that exists
// (any new path under /proc). `run --work-dir /proc/x/work` printed nothing, at 100 % CPU,
// until killed. Now it is refused in one line naming --work-dir, before anything listens.

let root: string | undefined;

afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('run with a --work-dir the file system refuses to create', () => {
  it('exits 1 with one line naming --work-dir, and does not hang', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-workdir-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    for (const name of ['AUDIENCECTL_WORK_DIR', 'AUDIENCECTL_STATE', 'AUDIENCECTL_CONFIG', 'AEP_SANDBOX'])
      delete env[name];
    const run = await runCliGuarded(
      [
        'run',
        '--repo',
        'https://example.invalid/audiences.git',
        '--emulator',
        '--state',
        path.join(root, 'state'),
        '--listen',
        '127.0.0.1:0',
        '--work-dir',
        '/proc/x/work',
      ],
      { env, cwd: root },
    );
    expect(run.hung, `killed after ${HANG_GUARD_MS} ms`).toBe(false);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--work-dir /proc/x/work');
    expect(run.stderr).toContain('/proc/x');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
