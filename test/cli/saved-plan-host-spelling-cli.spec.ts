import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';

// Review 39 (cli-39) 2: a plan saved (`plan --out`) against a PostgreSQL store never written
// records where the store is as its URL spells the host (review 38p F1). Applied with the same
// server's other spelling (127.0.0.1 for localhost, as a CI job's and a laptop's settings
// differ), it is refused as "made for another state": the same store, said to be another one,
// and "Apply it with --state naming that store" read as what the user just did. Nothing tells
// the user that only the host's spelling differs. The server is one: the apply takes it now
// (the plan records what the store says it is, as `state migrate` tells an alias); another
// store of that server is still refused, its refusal saying what differs.

const postgres = usePostgres();

type Options = { env: Record<string, string | undefined>; cwd: string };

/**
 * `plan aud --out plan.json` of one new audience (gold, no run) against `location`, in a
 * directory of its own; `then` goes on there (`apply plan.json` with `options`).
 */
async function planSaved(
  location: string,
  then: (emulator: RunningEmulator, options: Options) => Promise<void>,
): Promise<void> {
  await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, (emulator) =>
    withTempDir(async (tmp) => {
      const options = { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod' }), cwd: tmp };
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
      const planned = await runCli(
        ['plan', aud, '--state', location, '--output', 'json', '--out', 'plan.json'],
        options,
      );
      expect(planned.code, planned.stderr).toBe(0);
      const saved = JSON.parse(await readFile(path.join(tmp, 'plan.json'), 'utf8')) as {
        steps: Array<{ kind: string }>;
      };
      expect(saved.steps.map((s) => s.kind)).toEqual(['create']);
      await then(emulator, options);
    }),
  );
}

describe('apply of a plan saved against a PostgreSQL store never written, the host spelled otherwise', () => {
  it('applies it to the same store (localhost there, 127.0.0.1 here)', { timeout: 60_000 }, async () => {
    const location = await postgres.freshLocation();
    const spelled = new URL(location);
    expect(spelled.hostname).toBe('127.0.0.1');
    spelled.hostname = 'localhost';
    await planSaved(spelled.href, async (_emulator, options) => {
      const applied = await runCli(['apply', 'plan.json', '--state', location, '--auto-approve'], options);
      expect(applied.stderr).not.toMatch(/^Error:/m);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/^ok +prod\/gold create: /m);
    });
  });

  it('still refuses another store of that server, saying what differs', { timeout: 60_000 }, async () => {
    const planned = await postgres.freshLocation();
    const other = await postgres.freshLocation();
    const schema = (location: string) => new URL(location).searchParams.get('schema') ?? '';
    await planSaved(planned, async (emulator, options) => {
      emulator.control.resetCounters();
      const applied = await runCli(['apply', 'plan.json', '--state', other, '--auto-approve'], options);
      expect(applied.stderr).toMatch(/^Error: plan\.json was made for another state/m);
      expect(applied.stderr).toContain(`the schema differs: ${schema(planned)} there, ${schema(other)} here`);
      expect(applied.code).toBe(1);
      expect(emulator.control.counters().requests).toBe(0);
    });
  });
});
