import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stateLocationOf } from './state-options.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function configWith(text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'audiencectl.yaml');
  await writeFile(file, text);
  return { dir, file };
}

describe('the state location: --state, AUDIENCECTL_STATE, the config file, the default', () => {
  it('reads state: from the config file, a directory relative to the file', async () => {
    const { dir, file } = await configWith('state: ./my-state\n');
    expect(await stateLocationOf({ config: file }, {})).toEqual({
      kind: 'dir',
      dir: path.join(dir, 'my-state'),
    });
    // AUDIENCECTL_CONFIG names the file for commands without --config (plan, state list).
    expect(await stateLocationOf({}, { AUDIENCECTL_CONFIG: file })).toEqual({
      kind: 'dir',
      dir: path.join(dir, 'my-state'),
    });
  });

  it('reads a postgres URL from the config file, and never shows its password or user', async () => {
    const { file } = await configWith('state: postgres://ci:s3cret-pw@db.internal:5432/aud?schema=team_a\n');
    const location = await stateLocationOf({ config: file }, {});
    expect(location).toMatchObject({ kind: 'postgres', schema: 'team_a' });
    expect(location.kind === 'postgres' && location.display).toBe(
      'postgres://db.internal:5432/aud?schema=team_a',
    );
  });

  it('lets the flag win over the environment, and the environment over the file', async () => {
    const { file } = await configWith('state: from-file\n');
    const env = { AUDIENCECTL_STATE: '/tmp/from-env' };
    expect(await stateLocationOf({ config: file, state: '/tmp/from-flag' }, env)).toEqual({
      kind: 'dir',
      dir: '/tmp/from-flag',
    });
    expect(await stateLocationOf({ config: file }, env)).toEqual({ kind: 'dir', dir: '/tmp/from-env' });
    expect(await stateLocationOf({}, {})).toEqual({ kind: 'dir', dir: path.resolve('.audiencectl-state') });
  });

  it('refuses AUDIENCECTL_STATE set but empty, and names AUDIENCECTL_STATE_DIR for what it holds (review 20a, M3)', async () => {
    await expect(
      stateLocationOf({}, { AUDIENCECTL_STATE: ' ', AUDIENCECTL_STATE_DIR: '/tmp/image' }),
    ).rejects.toThrow(/^AUDIENCECTL_STATE: the value is empty \(an unset shell variable\?\)/);
    await expect(stateLocationOf({}, { AUDIENCECTL_STATE_DIR: 'mysql://db/x' })).rejects.toThrow(
      /^AUDIENCECTL_STATE_DIR: mysql:\/\/ is not a state store/,
    );
    // Empty, the older name is unset, as before: the image sets it, a deployment may blank it.
    expect(await stateLocationOf({}, { AUDIENCECTL_STATE_DIR: '' })).toEqual({
      kind: 'dir',
      dir: path.resolve('.audiencectl-state'),
    });
  });

  it('refuses a config file whose state: is invalid, naming the file and place', async () => {
    const { file } = await configWith('baseUrl: https://platform.adobe.io\nstate: ""\n');
    await expect(stateLocationOf({ config: file }, {})).rejects.toThrow(
      /audiencectl\.yaml:2:\d+ state: must not be empty/,
    );
    const missing = path.join(path.dirname(file), 'nope.yaml');
    await expect(stateLocationOf({ config: missing }, {})).rejects.toThrow(
      /Cannot read the configuration file .*nope\.yaml \(ENOENT\)/,
    );
  });
});
