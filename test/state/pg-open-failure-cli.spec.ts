import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestDir } from '../helpers/apply-env.js';
import { CLI, collectResult } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// A command that opened its PostgreSQL store and then failed to open its AEP client kept the
// store's sessions (an idle pool connection) open: the process lingered for the pool's idle
// time after its error was printed, and the server kept the sessions as long.
const postgres = usePostgres();
const tempDir = useTempDirs();

/** An AEP configuration the client is made from; no call reaches it (the client is refused first). */
const AEP = {
  AEP_BASE_URL: 'http://127.0.0.1:9/data/core/ais',
  AEP_IMS_URL: 'http://127.0.0.1:9/ims/token/v3',
  AEP_CLIENT_ID: 'client',
  AEP_CLIENT_SECRET: 'secret',
  AEP_ORG_ID: 'ORG@AdobeOrg',
};

/** A proxy variable the AEP client refuses when it is made (no http:// or https:// URL). */
const BAD_PROXY = 'ftp://proxy.example:21';

/** The audiencectl sessions of this file's database on the server. */
async function sessions(): Promise<number | undefined> {
  const [row] = await postgres.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'audiencectl'",
  );
  return row?.n;
}

describe('a command whose AEP client cannot be made, on a PostgreSQL store', { timeout: 60_000 }, () => {
  it.each([
    ['state import --discover', (dir: string) => ['state', 'import', '--discover', dir, '--sandbox', 'prod']],
    ['apply', (dir: string) => ['apply', dir, '--auto-approve']],
  ])(
    '%s prints the one-line error with its store closed: no session of it is left on the server',
    async (_command, args) => {
      const state = await postgres.freshLocation();
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write([manifestObject('gold')]);
      const child = spawn(process.execPath, [CLI, ...args(dir.dir), '--state', state], {
        env: { ...process.env, NO_COLOR: '1', AEP_SANDBOX: '', ...AEP, HTTPS_PROXY: BAD_PROXY },
      });
      // Counted once the error is printed, while the process may still be alive: a store left
      // open shows its session then (it lingered for the pool's idle time).
      let printed = '';
      let counted: Promise<number | undefined> | undefined;
      child.stderr.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        if (counted === undefined && /^Error: .*\n/m.test(printed)) counted = sessions();
      });
      const result = await collectResult(child);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error: HTTPS_PROXY: "${BAD_PROXY}" is not a proxy URL (e.g. http://proxy.example:3128 or http://user:password@proxy.example:3128)\n`,
      );
      expect(counted, 'the error was printed').toBeDefined();
      expect(await counted).toBe(0);
      expect(await sessions()).toBe(0);
    },
  );
});
