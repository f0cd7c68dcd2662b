// npm run bench:apply [-- <audiences> <runs>]
// The reconciler against an emulator limited to 100 requests/s with 20 ms latency.
// Setup: <runs> existing audiences. Measured: one apply creating <audiences> new ones (no
// first run) while starting a requested run on each existing one; then a no-change re-apply.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { emulatorEnv } from './lib/emulator-env.js';
import { benchManifest } from './lib/generate.js';
import { measureCli } from './lib/measure.js';

const AUDIENCES = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 100);
const LIMIT = 100;

const emulator: RunningEmulator = await startEmulator({
  port: 0,
  latencyMs: 20,
  operationDelayMs: 200,
  runStageDelayMs: 300,
  rateLimit: { perSecond: LIMIT, burst: LIMIT },
  requestLogSize: 100_000,
});
const root = await mkdtemp(path.join(os.tmpdir(), 'bench-apply-'));
const manifests = path.join(root, 'manifests');
const state = path.join(root, 'state');
await mkdir(state);
const config = path.join(root, 'audiencectl.yaml');
// The client's budget is set to the server's limit.
await writeFile(config, stringify({ budget: { requests: LIMIT, intervalMs: 1000, concurrency: 8 } }));
const env = {
  ...emulatorEnv(emulator),
};

/** The first `existing` audiences, plus `fresh` new ones; the existing ones carry `request`. */
async function writeManifests(existing: number, fresh: number, request?: string): Promise<void> {
  await rm(manifests, { recursive: true, force: true });
  await mkdir(manifests, { recursive: true });
  for (let i = 0; i < existing + fresh; i += 1) {
    const manifest = benchManifest(i);
    manifest.metadata.sandbox = 'prod';
    if (i < existing && request) manifest.ingestion = { onCreate: false, request };
    await writeFile(path.join(manifests, `a${i}.yaml`), stringify(manifest));
  }
}

type Phase = {
  seconds: number;
  requests: number;
  rateLimited: number;
  activeSeconds: number;
  byEndpoint: Record<string, { requests: number }>;
};

async function phase(): Promise<Phase> {
  emulator.control.resetCounters();
  const run = await measureCli(
    ['apply', manifests, '--state', state, '--auto-approve', '--config', config],
    env,
  );
  if (run.code !== 0)
    throw new Error(`apply exited ${run.code}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  const counters = emulator.control.counters();
  const log = emulator.control.requestLog().filter((entry) => !entry.path.includes('/ims/'));
  const first = log[0]?.time ?? 0;
  const last = log.at(-1)?.time ?? 0;
  return {
    seconds: run.seconds,
    requests: counters.requests,
    rateLimited: counters.rateLimited,
    activeSeconds: (last - first) / 1000,
    byEndpoint: counters.byEndpoint,
  };
}

function report(name: string, p: Phase, per: number): void {
  const rate = p.activeSeconds > 0 ? p.requests / p.activeSeconds : 0;
  console.log(
    `${name.padEnd(28)} | ${p.seconds.toFixed(1).padStart(7)} s | ${String(p.requests).padStart(8)} | ${(p.requests / per).toFixed(2).padStart(8)} | ${String(p.rateLimited).padStart(5)} | ${rate.toFixed(1).padStart(7)} | ${(rate / LIMIT).toFixed(2)}`,
  );
}

try {
  console.log(
    `bench:apply on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; server limit ${LIMIT} req/s, latency 20 ms, client budget ${LIMIT} req/s`,
  );
  console.log(
    'phase                        | elapsed   | requests | per item | 429s  | req/s   | efficiency',
  );
  await writeManifests(RUNS, 0);
  report(`setup: create ${RUNS}`, await phase(), RUNS);
  await writeManifests(RUNS, AUDIENCES, 'bench-1');
  const main = await phase();
  report(`create ${AUDIENCES} + ${RUNS} runs`, main, AUDIENCES);
  const count = (endpoint: string) => main.byEndpoint[endpoint]?.requests ?? 0;
  report('no-change re-apply', await phase(), AUDIENCES + RUNS);
  console.log(
    `requests per created audience: ${((count('createAudience') + count('getOperation')) / AUDIENCES).toFixed(2)}; ` +
      `per run: ${((count('startRun') + count('getRun') + count('listRuns')) / RUNS).toFixed(2)}`,
  );
  console.log('efficiency = requests / (last request - first request) / server limit');
} finally {
  await emulator.close();
  await rm(root, { recursive: true, force: true });
}
