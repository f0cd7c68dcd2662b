// npm run bench:refresh [-- <sizes, comma-separated>]
// Refresh (issue 12, item 5): N audiences in one sandbox (the service holds at most 4,000),
// created in the emulator and recorded as applied; the client's budget is 10 requests/s.
// Per N: the baseline (a no-change plan without --refresh), a no-drift `plan --refresh`,
// and an `apply --refresh` after 1% of the audiences drifted (half deleted, half edited in
// the UI): requests (target: ceil(N/50) bulk-gets + the corrective calls), wall time, peak RSS.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { emulatorEnv } from './lib/emulator-env.js';
import { benchManifest, generateRepo } from './lib/generate.js';
import { measureCli, type Measurement } from './lib/measure.js';

const SIZES = (process.argv[2] ?? '100,1000,4000').split(',').map(Number);
const BUDGET = 10;
const BATCH = 50;
const SANDBOX = 'prod';
const ORG = DEMO_CLIENT.orgId;

type Row = { name: string; run: Measurement; requests: number; bulk: number; corrective: number };

function apiRequests(emulator: RunningEmulator): { total: number; bulk: number } {
  const counters = emulator.control.counters();
  const tokens = counters.byEndpoint.imsToken?.requests ?? 0;
  return { total: counters.requests - tokens, bulk: counters.byEndpoint.bulkGetAudiences?.requests ?? 0 };
}

async function measure(emulator: RunningEmulator, name: string, args: string[], env: NodeJS.ProcessEnv) {
  emulator.control.resetCounters();
  const run = await measureCli(args, env);
  if (run.code !== 0 && run.code !== 2)
    throw new Error(
      `${args.join(' ')} exited ${run.code}\n${run.stdout.slice(-1500)}\n${run.stderr.slice(-1500)}`,
    );
  const { total, bulk } = apiRequests(emulator);
  return { name, run, requests: total, bulk, corrective: total - bulk } satisfies Row;
}

async function benchSize(count: number): Promise<Row[]> {
  const emulator = await startEmulator({ port: 0, operationDelayMs: 50, requestLogSize: 10 });
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-refresh-'));
  try {
    // The audiences exist in the emulator as if created long ago; the state records them applied.
    const ids = new Map<string, string>();
    for (let index = 0; index < count; index += 1) {
      const manifest = benchManifest(index);
      const created = emulator.control.uiCreateAudience(ORG, SANDBOX, manifest.spec, 'bench@AdobeID');
      ids.set(manifest.metadata.name, created.id);
    }
    const { manifests, state } = await generateRepo(root, count, true, {
      sandbox: SANDBOX,
      audienceIdOf: (manifest) => ids.get(manifest.metadata.name) ?? '',
    });
    const config = path.join(root, 'audiencectl.yaml');
    await writeFile(
      config,
      stringify({
        budget: { requests: BUDGET, intervalMs: 1000, concurrency: 4 },
        api: { bulkBatchSize: BATCH },
      }),
    );
    const env = {
      ...emulatorEnv(emulator),
      AUDIENCECTL_CONFIG: config,
    };
    const common = [manifests, '--state', state];
    // Untimed warm-up (disk cache), then the figures.
    await measureCli(['plan', ...common], env);
    const rows = [
      await measure(emulator, 'plan (no refresh)', ['plan', ...common], env),
      await measure(emulator, 'plan --refresh, no drift', ['plan', ...common, '--refresh'], env),
    ];
    const drifted = Math.max(1, Math.round(count / 100));
    const names = [...ids.values()].slice(0, drifted);
    names.forEach((id, index) => {
      if (index % 2 === 0) emulator.control.uiDeleteAudience(ORG, SANDBOX, id);
      else emulator.control.uiEditAudience(ORG, SANDBOX, id, { description: 'edited in the UI' });
    });
    const corrected = await measure(
      emulator,
      `apply --refresh, 1% drift (${drifted})`,
      ['apply', ...common, '--refresh', '--auto-approve', '--poll-interval', '100ms'],
      env,
    );
    rows.push(corrected);
    const after = await measure(emulator, 'plan --refresh, after', ['plan', ...common, '--refresh'], env);
    if (!after.run.stdout.includes('No changes.'))
      throw new Error(`not converged:\n${after.run.stdout.slice(0, 2000)}`);
    rows.push(after);
    return rows;
  } finally {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
}

console.log(
  `bench:refresh on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; client budget ${BUDGET} req/s, bulk-get batches of ${BATCH}`,
);
console.log(
  'audiences | phase                           | wall     | peak RSS | requests | bulk-get | target bulk-get | corrective',
);
for (const count of SIZES) {
  for (const row of await benchSize(count)) {
    const target = row.name.startsWith('plan (no') ? 0 : Math.ceil(count / BATCH);
    console.log(
      `${String(count).padStart(9)} | ${row.name.padEnd(31)} | ${row.run.seconds.toFixed(2).padStart(6)} s | ${row.run.peakRssMb.toFixed(0).padStart(5)} MB | ${String(row.requests).padStart(8)} | ${String(row.bulk).padStart(8)} | ${String(target).padStart(15)} | ${row.corrective}`,
    );
  }
}
