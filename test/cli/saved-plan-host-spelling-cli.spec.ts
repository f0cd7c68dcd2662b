import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { withSavedPlan } from '../helpers/saved-plan.js';
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

describe('apply of a plan saved against a PostgreSQL store never written, the host spelled otherwise', () => {
  it('applies it to the same store (localhost there, 127.0.0.1 here)', { timeout: 60_000 }, async () => {
    const location = await postgres.freshLocation();
    const spelled = new URL(location);
    expect(spelled.hostname).toBe('127.0.0.1');
    spelled.hostname = 'localhost';
    await withSavedPlan(spelled.href, async (_emulator, options) => {
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
    await withSavedPlan(planned, async (emulator, options) => {
      emulator.control.resetCounters();
      const applied = await runCli(['apply', 'plan.json', '--state', other, '--auto-approve'], options);
      expect(applied.stderr).toMatch(/^Error: plan\.json was made for another state/m);
      expect(applied.stderr).toContain(`the schema differs: ${schema(planned)} there, ${schema(other)} here`);
      expect(applied.code).toBe(1);
      expect(emulator.control.counters().requests).toBe(0);
    });
  });
});
