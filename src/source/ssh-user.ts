import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SourceConfigError } from './errors.js';
import type { GitTransport } from './git-url.js';

/**
 * OpenSSH's client stops before connecting when the process's uid has no passwd entry
 * ("No user exists for uid N"), as under a uid the cluster assigns (OpenShift) or any
 * `runAsUser` but the image's 10001. nss_wrapper (a preloaded library) answers ssh's
 * lookup from a passwd file of ours instead, with no write to /etc.
 */
export type SshUser = { kind: 'system' } | { kind: 'wrapped'; library: string; uid: number; gid: number };

/** Where Debian (both architectures of the image) and other distributions put nss_wrapper. */
const NSS_WRAPPER_LIBRARIES = [
  '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so',
  '/usr/lib/aarch64-linux-gnu/libnss_wrapper.so',
  '/usr/lib64/libnss_wrapper.so',
  '/usr/lib/libnss_wrapper.so',
];

export type SshUserInput = {
  transport: GitTransport;
  /** Undefined where the platform has no uids. */
  ids: { uid: number; gid: number } | undefined;
  hasUser: boolean;
  /** The nss_wrapper library found, if any. */
  library: string | undefined;
};

/** What ssh needs to run: SourceConfigError when it cannot run at all, so the controller refuses at start. */
export function planSshUser(input: SshUserInput): SshUser {
  if (input.transport !== 'ssh' || input.ids === undefined || input.hasUser) return { kind: 'system' };
  if (input.library === undefined) {
    throw new SourceConfigError(
      'SOURCE_OPTIONS_INVALID',
      `git over ssh cannot run as uid ${input.ids.uid}: ssh needs a user for it, and the system has neither one nor nss_wrapper (libnss_wrapper.so) to provide one; run as a uid with a user (the image's is 10001), install nss_wrapper, or use an https:// URL with a token`,
    );
  }
  return { kind: 'wrapped', library: input.library, ...input.ids };
}

function hasPasswdEntry(): boolean {
  try {
    os.userInfo();
    return true;
  } catch {
    return false;
  }
}

/** planSshUser for this process. */
export function sshUserFor(transport: GitTransport): SshUser {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  const ids = uid === undefined || gid === undefined ? undefined : { uid, gid };
  const needsLookup = transport === 'ssh' && ids !== undefined;
  return planSshUser({
    transport,
    ids,
    hasUser: needsLookup ? hasPasswdEntry() : true,
    library: needsLookup ? NSS_WRAPPER_LIBRARIES.find((file) => existsSync(file)) : undefined,
  });
}

async function readOrEmpty(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Writes the passwd and group files nss_wrapper reads (the system's, plus this uid and
 * its group when missing) into the private git HOME, and returns the variables that
 * make every git process, and the ssh it starts, use them.
 */
export async function sshUserEnv(user: SshUser, homeDir: string): Promise<Record<string, string>> {
  if (user.kind === 'system') return {};
  const passwdFile = path.join(homeDir, 'passwd');
  const groupFile = path.join(homeDir, 'group');
  const passwd = await readOrEmpty('/etc/passwd');
  const group = await readOrEmpty('/etc/group');
  const hasGroup = group.split('\n').some((line) => line.split(':')[2] === String(user.gid));
  // A passwd field holds no ':' or line break; ssh only needs the entry to exist.
  const home = /[:\n\r]/.test(homeDir) ? '/nonexistent' : homeDir;
  await writeFile(
    passwdFile,
    `${passwd}audiencectl:x:${user.uid}:${user.gid}:audiencectl:${home}:/usr/sbin/nologin\n`,
    { mode: 0o600 },
  );
  await writeFile(groupFile, hasGroup ? group : `${group}audiencectl:x:${user.gid}:\n`, { mode: 0o600 });
  return { LD_PRELOAD: user.library, NSS_WRAPPER_PASSWD: passwdFile, NSS_WRAPPER_GROUP: groupFile };
}
