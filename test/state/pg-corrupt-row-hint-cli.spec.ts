import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCli, withTempDir, type CliResult } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';
import { commandsIn } from '../helpers/backticked.js';

/**
 * Pass 50's left undone (controller.md): a PostgreSQL row that fails the record schema was said
 * as `state file postgres://… (row prod/gold) does not match…`, a file the store does not have,
 * and its hint was the bare `audiencectl state forget` and `state import`, without the key,
 * sandbox and store the directory store's hint gives (recordRepairHint was handed the URL, not a
 * record file's path). Now: the row named by sandbox and key in its table and store (never the
 * password), and the forget and import that mend it, which run here as printed (the password's
 * placeholder filled in, as the person would) from /bin/sh.
 */
const postgres = usePostgres();
const AUDIENCE = '9d1f0a2b-77aa-4c1e-8e0f-5b6a1c2d3e4f';

/** A fresh store holding gold (AUDIENCE) and silver, gold's row then given a policy no release writes. */
async function corruptStore(): Promise<{
  location: string;
  schema: string;
  display: string;
  password: string;
}> {
  const location = await postgres.freshLocation();
  const url = new URL(location);
  const schema = url.searchParams.get('schema') ?? '';
  const store = await openStateStore(location);
  try {
    await store.lock();
    await store.put(aRecord('gold', { audienceId: AUDIENCE }));
    await store.put(aRecord('silver'));
  } finally {
    await store.close();
  }
  await postgres.query(
    `UPDATE "${schema}".audiences SET body = body || '{"deletionPolicy": "Shred"}' WHERE sandbox = 'prod' AND key = 'gold'`,
  );
  const display = `postgres://${url.host}${url.pathname}?schema=${schema}`;
  return { location, schema, display, password: decodeURIComponent(url.password) };
}

function sh(script: string, cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const bin = path.join(cwd, 'bin');
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', script],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env, PATH: `${bin}:${process.env.PATH ?? ''}` } },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `audiencectl` on a PATH of `tmp`'s: the built CLI. */
async function linkCli(tmp: string): Promise<void> {
  const bin = path.join(tmp, 'bin');
  await mkdir(bin);
  const cli = path.resolve(import.meta.dirname, '../../dist/cli/main.js');
  await writeFile(path.join(bin, 'audiencectl'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`, {
    mode: 0o755,
  });
}

function expectOneLine(result: CliResult, password: string): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^Error: [^\n]*\n$/);
  expect(result.stderr).not.toContain(password);
}

describe('a PostgreSQL row that fails the record schema', () => {
  it('is named by sandbox, key, table and store, and its printed forget and import mend it', async () => {
    await withTempDir(async (tmp) => {
      await linkCli(tmp);
      const { location, schema, display, password } = await corruptStore();
      const listed = await runCli(['state', 'list', '--state', location], { cwd: tmp });
      expectOneLine(listed, password);
      // The command connects as the URL's user (as init's does); only the password is left out.
      const typed = display.replace('postgres://', `postgres://${new URL(location).username}@`);
      const state = `--state '${typed}' --state-password-file PASSWORD_FILE`;
      expect(listed.stderr).toBe(
        `Error: row prod/gold of table "${schema}".audiences in PostgreSQL state ${display} does not match the state schema at deletionPolicy: Invalid option: expected one of "Delete"|"Orphan"; ` +
          `restore it from a backup, or drop it with \`audiencectl state forget gold --sandbox prod ${state}\` ` +
          `and record the audience again with \`audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID ${state}\` ` +
          `(MANIFESTS_DIR: your manifests directory; AUDIENCE_ID: its id from AEP)\n`,
      );
      // show and plan say the same of it.
      const shown = await runCli(['state', 'show', 'gold', '--sandbox', 'prod', '--state', location], {
        cwd: tmp,
      });
      expectOneLine(shown, password);
      expect(shown.stderr).toBe(listed.stderr);

      // The person fills in the placeholders, and pastes.
      await writeFile(path.join(tmp, 'pw'), `${password}\n`, { mode: 0o600 });
      const manifests = path.join(tmp, 'manifests');
      await mkdir(manifests);
      await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold'));
      const [forget = '', importBack = ''] = commandsIn(listed.stderr);
      const filled = (command: string) =>
        command
          .replace('PASSWORD_FILE', './pw')
          .replace('MANIFESTS_DIR', './manifests')
          .replace('AUDIENCE_ID', AUDIENCE);
      const forgot = await sh(filled(forget), tmp);
      expect(forgot.stderr).toBe('');
      expect(forgot.code).toBe(0);
      const imported = await sh(filled(importBack), tmp);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);

      const [row] = await postgres.query<{ body: { audienceId: string; deletionPolicy: string } }>(
        `SELECT body FROM "${schema}".audiences WHERE sandbox = 'prod' AND key = 'gold'`,
      );
      expect(row?.body).toMatchObject({ audienceId: AUDIENCE, deletionPolicy: 'Delete' });
      const after = await runCli(['state', 'list', '--state', location], { cwd: tmp });
      expect(after.stderr).toBe('');
      expect(after.stdout).toMatch(/gold/);
      expect(after.stdout).toMatch(/silver/);
    });
  });

  it('from AUDIENCECTL_STATE, prints commands that inherit it, and they run as printed', async () => {
    await withTempDir(async (tmp) => {
      await linkCli(tmp);
      const { location, schema, display, password } = await corruptStore();
      const env = { AUDIENCECTL_STATE: location };
      const listed = await runCli(['state', 'list'], { cwd: tmp, env });
      expectOneLine(listed, password);
      expect(listed.stderr).toContain(
        `Error: row prod/gold of table "${schema}".audiences in PostgreSQL state ${display} does not match the state schema at deletionPolicy`,
      );
      const [forget = ''] = commandsIn(listed.stderr);
      expect(forget).toBe('audiencectl state forget gold --sandbox prod');
      const forgot = await sh(forget, tmp, env);
      expect(forgot.stderr).toBe('');
      expect(forgot.code).toBe(0);
      expect(
        await postgres.query(`SELECT key FROM "${schema}".audiences WHERE sandbox = 'prod' ORDER BY key`),
      ).toEqual([{ key: 'silver' }]);
    });
  });
});
