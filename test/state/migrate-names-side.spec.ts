import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

/**
 * Review 33, L-2. Bad input names its flag: `state migrate` refused a folder that is not a
 * store, and a PostgreSQL schema `init` never made, with the message every other command
 * gives for `--state` ("Point --state (or AUDIENCECTL_STATE) at the store"; the same
 * "has no audiencectl tables yet" for either side). The command has no --state: the line
 * says which of --from and --to it is about (as it already did for a URL holding "@").
 */
const pg = usePostgres();

describe('state migrate refusing one of its stores', () => {
  it('names --to, not --state, for a --to folder that is not a store', async () => {
    await withTempDir(async (tmp) => {
      const from = path.join(tmp, 'from');
      await mkdir(from);
      const to = path.join(tmp, 'notes');
      await mkdir(to);
      await writeFile(path.join(to, 'notes.txt'), 'mine\n');
      const result = await runCli(['state', 'migrate', '--from', from, '--to', to]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--to');
      expect(result.stderr).not.toContain('--state');
      expect(result.stderr).toBe(
        `Error: ${to} is not a state store: it has no meta.json and holds "notes.txt", which a store never holds. ` +
          'Point --to at the store; a new store goes in a new or empty directory\n',
      );
    });
  });

  it('names --from for a --from folder that is not a store', async () => {
    await withTempDir(async (tmp) => {
      const from = path.join(tmp, 'notes');
      await mkdir(from);
      await writeFile(path.join(from, 'notes.txt'), 'mine\n');
      const result = await runCli(['state', 'migrate', '--from', from, '--to', path.join(tmp, 'to')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--from');
      expect(result.stderr).not.toContain('--state');
    });
  });

  it('says which side is the PostgreSQL schema init never made', async () => {
    await withTempDir(async (tmp) => {
      const from = await pg.freshLocation({ init: false });
      const result = await runCli(['state', 'migrate', '--from', from, '--to', path.join(tmp, 'to')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/--from/);
      expect(result.stderr).toMatch(
        /^Error: --from: the PostgreSQL state postgres:\/\/127\.0\.0\.1:\d+\/\S* has no audiencectl tables yet; /,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  // cli-46 (d): a store that cannot be reached was told as `PostgreSQL state …: connect
  // ECONNREFUSED`, the same line for either side. Port 1 of the loopback refuses at once.
  it.each(['--from', '--to'])('names %s for a PostgreSQL store it cannot connect to', async (side) => {
    await withTempDir(async (tmp) => {
      const from = path.join(tmp, 'from');
      await mkdir(from);
      const down = 'postgres://audiencectl@127.0.0.1:1/audiences';
      const args = side === '--from' ? ['--from', down, '--to', from] : ['--from', from, '--to', down];
      const result = await runCli(['state', 'migrate', ...args]);
      expect(result.stderr).toMatch(
        new RegExp(
          `^Error: ${side}: PostgreSQL state postgres://127\\.0\\.0\\.1:1/audiences\\S*: [^\\n]*ECONNREFUSED[^\\n]*\\n$`,
        ),
      );
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    });
  });

  it('names --to for a --to schema init never made, and never its password', async () => {
    await withTempDir(async (tmp) => {
      const from = path.join(tmp, 'from');
      await mkdir(from);
      const to = await pg.freshLocation({ init: false });
      const password = new URL(to).password;
      const result = await runCli(['state', 'migrate', '--from', from, '--to', to]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^Error: --to: the PostgreSQL state postgres:\/\/127\.0\.0\.1:\d+\/\S* has no audiencectl tables yet; /,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(password).not.toBe('');
      expect(result.stderr).not.toContain(password);
    });
  });
});
