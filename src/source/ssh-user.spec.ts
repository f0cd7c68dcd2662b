import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceConfigError } from './errors.js';
import { planSshUser, sshUserEnv } from './ssh-user.js';

const IDS = { uid: 54_321, gid: 54_322 };
const LIBRARY = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so';

describe('the user ssh runs as', () => {
  it('is the system one over https, or for a uid the system has a user for', () => {
    expect(planSshUser({ transport: 'https', ids: IDS, hasUser: false, library: undefined })).toEqual({
      kind: 'system',
    });
    expect(planSshUser({ transport: 'ssh', ids: IDS, hasUser: true, library: LIBRARY })).toEqual({
      kind: 'system',
    });
  });

  it("is nss_wrapper's for a uid without a user", () => {
    expect(planSshUser({ transport: 'ssh', ids: IDS, hasUser: false, library: LIBRARY })).toEqual({
      kind: 'wrapped',
      library: LIBRARY,
      uid: 54_321,
      gid: 54_322,
    });
  });

  it('is refused, in one line naming the uid, when neither exists', () => {
    const refuse = () => planSshUser({ transport: 'ssh', ids: IDS, hasUser: false, library: undefined });
    expect(refuse).toThrow(SourceConfigError);
    expect(refuse).toThrow(
      "git over ssh cannot run as uid 54321: ssh needs a user for it, and the system has neither one nor nss_wrapper (libnss_wrapper.so) to provide one; run as a uid with a user (the image's is 10001), install nss_wrapper, or use an https:// URL with a token",
    );
  });

  it("gives nss_wrapper the system's users and groups, and this uid's", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'ssh-user-'));
    try {
      const env = await sshUserEnv({ kind: 'wrapped', library: LIBRARY, ...IDS }, home);
      expect(env).toEqual({
        LD_PRELOAD: LIBRARY,
        NSS_WRAPPER_PASSWD: path.join(home, 'passwd'),
        NSS_WRAPPER_GROUP: path.join(home, 'group'),
      });
      const passwd = (await readFile(path.join(home, 'passwd'), 'utf8')).split('\n');
      expect(passwd.at(-2)).toBe(`audiencectl:x:54321:54322:audiencectl:${home}:/usr/sbin/nologin`);
      expect(passwd).toContainEqual(expect.stringMatching(/^root:x:0:0:/));
      const group = (await readFile(path.join(home, 'group'), 'utf8')).split('\n');
      expect(group.at(-2)).toBe('audiencectl:x:54322:');
      expect(group).toContainEqual(expect.stringMatching(/^root:x:0:/));
      // OpenShift's gid 0 has its group already: the system's file, unchanged.
      await sshUserEnv({ kind: 'wrapped', library: LIBRARY, uid: 54_321, gid: 0 }, home);
      expect(await readFile(path.join(home, 'group'), 'utf8')).toBe(await readFile('/etc/group', 'utf8'));
      expect(await sshUserEnv({ kind: 'system' }, home)).toEqual({});
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
