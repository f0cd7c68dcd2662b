import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

/**
 * REVIEW-34a M-2. The chart runs the controller as uid 10001, the one user the image's
 * /etc/passwd holds, but offers `podSecurityContext` to change it, and clusters that assign
 * the uid themselves (OpenShift's restricted SCC: `runAsUser: null`, a uid from the
 * namespace's range) or require one of their own range are common. Then `git.auth: ssh`, the
 * documented deploy-key set-up, never syncs: OpenSSH's client stops before connecting,
 * `No user exists for uid <n>`, and the pod stays unready for ever. HTTPS works under any uid.
 * docs/deploy.md says nothing of it; the chart renders such values without a word.
 *
 * Reproduced with the built controller run under a uid without a passwd entry (as the image
 * is under any uid but 10001), an SSH remote that refuses connections (127.0.0.1:1), a key
 * and a known_hosts file as the chart mounts them. Once fixed, either the fetch gets past
 * ssh's user lookup (the sync fails on the refused connection), or the controller refuses to
 * start in one line naming the uid.
 */
const UID = 54_321;
const KNOWN_HOSTS =
  'localhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n';
const isRoot = process.getuid?.() === 0;
const hasUser = spawnSync('getent', ['passwd', String(UID)]).status === 0;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function readyReason(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await response.json()) as { ready: boolean; reason?: string };
  return body.reason ?? '';
}

describe('git over ssh under a uid the image has no user for', () => {
  it.skipIf(!isRoot || hasUser)(
    "gets past ssh's user lookup, or refuses at start naming the uid",
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'review-34a-ssh-uid-'));
      dirs.push(dir);
      await chmod(dir, 0o755);
      const key = path.join(dir, 'ssh-privatekey');
      const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      expect(keygen.status).toBe(0);
      // As the chart mounts it: owned by root, group fsGroup, 0440.
      await chown(key, 0, UID);
      await chmod(key, 0o440);
      await writeFile(path.join(dir, 'known_hosts'), KNOWN_HOSTS);
      for (const sub of ['state', 'work', 'tmp']) {
        await mkdir(path.join(dir, sub));
        await chown(path.join(dir, sub), UID, UID);
      }
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/nonexistent',
        TMPDIR: path.join(dir, 'tmp'),
        AUDIENCECTL_REPO_URL: 'ssh://git@127.0.0.1:1/acme/audiences.git',
        AUDIENCECTL_GIT_SSH_KEY_FILE: key,
        AUDIENCECTL_GIT_KNOWN_HOSTS_FILE: path.join(dir, 'known_hosts'),
        AUDIENCECTL_GIT_STRICT_HOST_KEY_CHECKING: 'yes',
        AUDIENCECTL_STATE_DIR: path.join(dir, 'state'),
        AUDIENCECTL_WORK_DIR: path.join(dir, 'work'),
        AUDIENCECTL_LISTEN: '127.0.0.1:0',
        AUDIENCECTL_DRY_RUN: 'true',
        AUDIENCECTL_REFRESH_INTERVAL: '0',
      };
      const child = spawn(
        'setpriv',
        [
          '--reuid',
          String(UID),
          '--regid',
          String(UID),
          '--groups',
          String(UID),
          process.execPath,
          CLI,
          'run',
        ],
        { env },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number>((resolve) => {
        child.on('exit', (code) => resolve(code ?? 1));
        child.on('error', () => resolve(127));
      });
      try {
        // The listen address, from the "controller started" log line (on stderr); or the refusal at start.
        let port = 0;
        let exitCode: number | undefined;
        void exited.then((code) => (exitCode = code));
        while (port === 0 && exitCode === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stdout + stderr);
          if (match) port = Number(match[1]);
        }
        if (exitCode !== undefined) {
          expect(exitCode).not.toBe(0);
          expect(stderr.trim().split('\n')).toHaveLength(1);
          expect(stderr).toContain(String(UID));
          return;
        }
        let reason = '';
        while (!reason.includes('SOURCE_FETCH_FAILED')) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          reason = await readyReason(port);
        }
        expect(reason).not.toContain('No user exists');
        expect(reason).toMatch(/[Cc]onnection refused/);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
  );
});
