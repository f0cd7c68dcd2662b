import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { ownServer, type OwnServer } from './own-server.js';
import { usePostgres } from './pg.js';

// A state URL naming a hot standby (a read replica's endpoint, or a primary demoted
// by a failover) read fine (plan, state list) and failed every write with the server's words only,
// `cannot execute UPDATE in a read-only transaction [25006]`: nothing said the server is a
// read-only standby, nor that the state must name the primary. The server here is a real one in
// recovery: a store initialised on it as a primary, then restarted with standby.signal.
const postgres = usePostgres();
let server: OwnServer;
let location: string;

beforeAll(async () => {
  server = await ownServer();
  await server.start();
  location = `${server.url}?schema=replica`;
  // The premise, by the CLI's entry in this process (a spawn costs ~0.5 s of CPU).
  const init = await runCliInProcess(['init', '--state-only', '--state', location]);
  if (init.code !== 0) throw new Error(init.stderr);
  await server.stop();
  await server.writeDataFile('standby.signal', '');
  await server.start();
}, 120_000);

afterAll(async () => {
  await server?.remove();
});

const cause = /read-only.*standby|standby.*read-only/i;

describe('a state URL naming a hot standby', () => {
  it('still reads (state list)', async () => {
    const listed = await runCli(['state', 'list', '--state', location]);
    expect(listed.code, listed.stderr).toBe(0);
  });

  it('a write is refused in one line that names the standby and says to name the primary', async () => {
    const forgot = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', location]);
    expect(forgot.code).toBe(1);
    const lines = forgot.stderr.trim().split('\n');
    expect(lines, forgot.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(cause);
    expect(lines[0]).toMatch(/primary/);
    expect(lines[0]).toContain(`127.0.0.1:${new URL(location).port}`);
    expect(forgot.stderr).not.toContain(new URL(server.url).password);
  });

  it('init is refused in one line naming the cause and the primary', async () => {
    const init = await runCli(['init', '--state-only', '--state', `${server.url}?schema=other`]);
    expect(init.code).toBe(1);
    const lines = init.stderr.trim().split('\n');
    expect(lines, init.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/hot standby/);
    expect(lines[0]).toMatch(/point the state URL at the primary/);
  });

  it("a controller replica's election says so in /status's lastError", async () => {
    const store = await openStateStore(location);
    const leadership = new Leadership({
      store,
      logger: silentLogger(),
      pollMs: 20,
      onElected: () => undefined,
      onDeposed: () => undefined,
    });
    try {
      leadership.start();
      while (leadership.lastError === null) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(leadership.role).toBe('standby');
      expect(leadership.lastError.message).toMatch(cause);
      expect(leadership.lastError.message).toMatch(/primary/);
    } finally {
      await leadership.stop();
      await store.close();
    }
  });
});

describe('a role whose transactions default to read-only (default_transaction_read_only)', () => {
  it('a write is refused in one line naming the setting', async () => {
    const role = `reader_${randomBytes(4).toString('hex')}`;
    const password = `pw${randomBytes(8).toString('hex')}`;
    await postgres.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
    await postgres.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    const url = new URL(await postgres.freshLocation());
    url.username = role;
    url.password = password;
    const forgot = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url.href]);
    expect(forgot.code).toBe(1);
    const lines = forgot.stderr.trim().split('\n');
    expect(lines, forgot.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/default_transaction_read_only = on/);
    expect(lines[0]).not.toMatch(/hot standby/);
  });
});
