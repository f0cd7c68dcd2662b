import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../src/state/paths.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { audienceNames } from '../helpers/work-tree.js';
import { assertBuilt } from './helpers/controller.js';

beforeAll(assertBuilt);

/** Tells on standard output a crash that standard error cannot (fixtures/crash-witness.mjs). */
const WITNESS = fileURLToPath(new URL('fixtures/crash-witness.mjs', import.meta.url));

/**
 * The controller's log is written to standard error by pino's own stream, not through
 * process.stderr: a write it cannot make (a log file on a full disk; here the file size limit
 * of `ulimit -f 3`, 1536 bytes, reached by the debug lines of the first pass once it holds the
 * state lock and has created the audience) was re-emitted by pino as an 'error' nobody heard.
 * The log call threw, and the controller died mid-pass of an unhandled rejection, its state
 * lock left behind. A log that cannot be written stops the controller as
 * an unwritable standard error stops any command (src/cli/main.ts): as SIGTERM does (the pass
 * drains, the lock is released), exiting with 1 so that its supervisor restarts it.
 */
describe('a controller whose log cannot be written', () => {
  it('stops as a signal stops it, its lock released, and exits with 1', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        await writeFiles(path.join(root, 'm'), { 'gold.yaml': manifestYaml('gold') });
        await mkdir(path.join(root, 'state'));
        const log = path.join(root, 'controller.log');
        const run = await runCli(
          [
            'run',
            '--dir',
            'm',
            '--state',
            'state',
            '--listen',
            '127.0.0.1:0',
            '--interval',
            '1h',
            '--log-level',
            'debug',
          ],
          {
            cwd: root,
            env: { ...emulatorEnv(emulator), NODE_OPTIONS: `--import ${WITNESS}` },
            shellFirst: `ulimit -f 3; exec 2>'${log}'`,
          },
        );
        const written = await readFile(log, 'utf8');
        // It logged up to the limit: the failure came mid-pass, the lock held, the audience created.
        expect(written).toContain('"step":"create"');
        expect(written.length).toBe(1536);
        expect(run.stdout).toBe('');
        expect(existsSync(lockPath(path.join(root, 'state')))).toBe(false);
        expect(run.code).toBe(1);

        // Nothing was lost: the next start finds the audience it created, and creates no other.
        const again = await runCli(['apply', 'm', '--state', 'state', '--auto-approve'], {
          cwd: root,
          env: emulatorEnv(emulator),
        });
        expect(again.code, again.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold']);
      }),
    );
  });
});
