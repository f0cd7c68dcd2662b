import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { useTempDirs } from '../state/helpers.js';
import { usePostgres } from '../state/pg.js';

/**
 * cli-45 item 4: a file state moved to PostgreSQL without `state migrate` (a new schema, the
 * old directory kept): every manifest is a create, blocked as a duplicate of its own audience,
 * and the message offered only a `state import` per audience. When the store holds nothing but
 * such blocked creates, the message also gives the `state migrate` that resolves them all,
 * to this store (its URL without the password), from the earlier store (a placeholder).
 */
const postgres = usePostgres();
const tempDir = useTempDirs();

describe('a create blocked after the store was replaced by a new one', { timeout: 120_000 }, () => {
  it('names the state migrate that copies the earlier store in', async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      const root = await tempDir();
      await mkdir(path.join(root, 'audiences'));
      await writeFile(path.join(root, 'audiences/gold.yaml'), manifestYaml('gold'));
      const env = { ...emulatorEnv(emulator), AUDIENCECTL_STATE: undefined, AUDIENCECTL_CONFIG: undefined };
      const run = (args: string[]) => runCli(args, { cwd: root, env });
      const old = path.join(root, 'old-state');
      expect((await run(['init', '--state', old, '--emulator'])).code).toBe(0);
      expect((await run(['apply', 'audiences', '--state', old, '--auto-approve'])).code).toBe(0);
      // Ten minutes pass on the service before the upgrade, as between real runs: a create that
      // began within a second or two of gold's creation (in AEP's clock) could be the one that made
      // it (findOwnCreate) and be adopted, so the block this spec reads would rest on timing.
      emulator.control.updateSettings({ clockOffsetMs: 10 * 60_000 });

      const upgraded = await postgres.freshLocation({ init: false });
      expect((await run(['init', '--state-only', '--state', upgraded])).code).toBe(0);
      const blocked = await run(['apply', 'audiences', '--state', upgraded, '--auto-approve']);
      expect(blocked.code).toBe(3);
      const url = new URL(upgraded);
      url.password = '';
      expect(blocked.stdout).toContain(
        `if this store replaced an earlier one (a file state moved to PostgreSQL), copy that one in instead: audiencectl state migrate --from OLD_STATE --to '${url.href}' --state-password-file PASSWORD_FILE --force (OLD_STATE: the earlier store; --force replaces what this store holds, only blocked creates)`,
      );
      expect(blocked.stdout).not.toContain(new URL(upgraded).password);

      // The documented way out, run as printed (with the password the URL had): then nothing to do.
      const copied = await run(['state', 'migrate', '--from', old, '--to', upgraded, '--force']);
      expect(copied.code, copied.stderr).toBe(0);
      const plan = await run(['plan', 'audiences', '--state', upgraded, '--detailed-exitcode']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    } finally {
      await emulator.close();
    }
  });
});
