import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../../src/emulator/index.js';
import { controllerEnv, startController, type ControllerProcess, type TestParts } from './controller.js';

/** Writes `value` as the kubelet updates a mounted Secret: a new directory, ..data swapped to it. */
async function project(mount: string, key: string, version: string, value: string): Promise<void> {
  const dir = path.join(mount, `..${version}`);
  await mkdir(dir);
  await writeFile(path.join(dir, key), `${value}\n`);
  await symlink(`..${version}`, path.join(mount, '..data_tmp'));
  await rename(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
}

/** A controller reading a secret from a mounted Secret's `key`, and the way to rotate it. */
export type MountedSecret = {
  ctl: ControllerProcess;
  /** The path the controller was given: `<mount>/<key>`, a link through ..data. */
  file: string;
  /** Projects `value` as the Secret's version `version` (v2, v3, ...), as the kubelet does. */
  rotate: (version: string, value: string) => Promise<void>;
};

/**
 * Starts an emulator and `audiencectl run` (empty manifest dir, file state, --interval 1h) with
 * a Secret mounted as the kubelet mounts it, its `key` holding `first` (version v1); `give`
 * says how the controller is told of the file (arguments and environment beyond the emulator's).
 * Each part is put in `parts` as it is made, for the spec's cleanUp.
 */
export async function controllerWithMountedSecret(
  parts: TestParts,
  setup: {
    prefix: string;
    key: string;
    first: string;
    give: (file: string) => { args?: string[]; env?: Record<string, string> };
  },
): Promise<MountedSecret> {
  const emulator = await startEmulator({ port: 0 });
  parts.emulator = emulator;
  const root = await mkdtemp(path.join(tmpdir(), setup.prefix));
  parts.dir = root;
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  const mount = path.join(root, 'secret');
  await mkdir(mount);
  await project(mount, setup.key, 'v1', setup.first);
  await symlink(`..data/${setup.key}`, path.join(mount, setup.key));
  const file = path.join(mount, setup.key);
  const given = setup.give(file);
  const ctl = await startController(
    ['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h', ...(given.args ?? [])],
    { ...controllerEnv(emulator), ...given.env },
  );
  parts.controller = ctl;
  return { ctl, file, rotate: (version, value) => project(mount, setup.key, version, value) };
}
