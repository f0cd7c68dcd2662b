// npm run bench:soak [-- --minutes 10 --audiences 1000 --seed 1]
// Trust under fire: a repository of <audiences> audiences and a stream of changes
// (edits, additions, removals, run requests) applied by the built CLI against an
// emulator with 20% 5xx, 5% lost responses and 429 bursts, the applying process
// SIGKILLed 2-6 s into each apply of a new batch. Then the service is calmed, the
// repository converged, and what the service holds is counted.
// Prints: duplicate audiences, duplicated runs and orphans (each must be 0), requests
// per change (beside a calm baseline measured first, in the same run) and the time
// to converge after each kill. Exits 1 if any count that must be 0 is not.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { DEMO_CLIENT, startEmulator } from '../src/emulator/index.js';
import { seededRandom } from '../src/emulator/random.js';
import type { ManifestInput } from '../src/manifest/schema.js';
import { openStateStore } from '../src/state/open.js';
import { emulatorEnv } from './lib/emulator-env.js';
import { benchManifest } from './lib/generate.js';
import { CLI } from './lib/measure.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    audiences: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const MINUTES = Number(args.minutes);
const AUDIENCES = Number(args.audiences);
const SEED = Number(args.seed);
const BATCH = 20;
const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const emulator = await startEmulator({ port: 0, operationDelayMs: 50, runStageDelayMs: 100 });
const root = await mkdtemp(path.join(os.tmpdir(), 'bench-soak-'));
const dir = path.join(root, 'manifests');
const state = path.join(root, 'state');
const config = path.join(root, 'audiencectl.yaml');
await mkdir(dir, { recursive: true });
await mkdir(state);
await writeFile(config, stringify({ budget: { requests: 200, intervalMs: 1000, concurrency: 16 } }));
const env = {
  ...process.env,
  NO_COLOR: '1',
  ...emulatorEnv(emulator),
};

/** The desired repository, and every run request token each audience was ever given. */
const live = new Map<number, ManifestInput>();
const tokensEver = new Map<string, Set<string>>();
let nextIndex = 0;
let changes = 0;

async function put(index: number, manifest: ManifestInput): Promise<void> {
  live.set(index, manifest);
  await writeFile(path.join(dir, `a${index}.yaml`), stringify(manifest));
}

async function add(): Promise<void> {
  const manifest = benchManifest(nextIndex);
  manifest.metadata.sandbox = 'prod';
  await put(nextIndex++, manifest);
}

/** One change of the stream: 15% additions, 15% removals, 20% run requests, 50% edits. */
async function change(): Promise<void> {
  changes += 1;
  const roll = random();
  if (roll < 0.15 || live.size === 0) return add();
  const index = pick([...live.keys()]);
  const manifest = live.get(index)!;
  if (roll < 0.3) {
    live.delete(index);
    return unlink(path.join(dir, `a${index}.yaml`));
  }
  if (roll < 0.5) {
    const token = `r${changes}`;
    tokensEver.set(manifest.spec.name, (tokensEver.get(manifest.spec.name) ?? new Set()).add(token));
    return put(index, { ...manifest, ingestion: { onCreate: false, request: token } });
  }
  return put(index, { ...manifest, spec: { ...manifest.spec, description: `Edited by change ${changes}` } });
}

/** One apply by the built CLI; SIGKILLed after `killAfterMs` if it is still running then. */
function apply(killAfterMs?: number): Promise<{ code: number | null; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CLI, 'apply', dir, '--state', state, '--config', config, '--auto-approve', '--allow-mass-delete'],
      { env, stdio: 'ignore' },
    );
    let killed = false;
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed });
    });
  });
}

/** Applies until an apply exits 0; the seconds that took (NaN when `tries` were not enough). */
async function converge(tries = 30): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < tries; i += 1) {
    if ((await apply()).code === 0) return (performance.now() - started) / 1000;
  }
  return NaN;
}

function requests(): { all: number; mutating: number } {
  const { requests: all, byEndpoint } = emulator.control.counters();
  const mutating = (['createAudience', 'patchAudience', 'deleteAudience', 'startRun'] as const).reduce(
    (sum, name) => sum + byEndpoint[name].requests,
    0,
  );
  return { all, mutating };
}

// Setup, calm: the repository created.
for (let i = 0; i < AUDIENCES; i += 1) await add();
console.log(`setup: ${AUDIENCES} audiences created in ${(await converge()).toFixed(1)} s`);

// Baseline, calm and never killed: one batch of changes.
emulator.control.resetCounters();
for (let i = 0; i < BATCH; i += 1) await change();
await converge();
const baseline = requests();

// The soak: batches of changes, each apply killed, then converged under the same faults.
emulator.control.resetCounters();
emulator.control.setFaults({ error500: 0.1, error502: 0.1, responseLost: 0.05, seed: SEED });
emulator.control.setRateLimit({ perSecond: 60, burst: 10 });
const soakStart = changes;
const convergeSeconds: number[] = [];
let kills = 0;
const deadline = performance.now() + MINUTES * 60_000;
while (performance.now() < deadline) {
  for (let i = 0; i < BATCH; i += 1) await change();
  if (!(await apply(2000 + random() * 4000)).killed) continue;
  kills += 1;
  convergeSeconds.push(await converge());
}
const soak = requests();
const changed = changes - soakStart;
emulator.control.clearFaults();
emulator.control.setRateLimit(null);
const finalSeconds = await converge();

// The census, on the service.
const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
const store = await openStateStore(state);
const records = (await store.readAll()).audiences;
await store.close();
const names = audiences.map((a) => a.audienceName);
const duplicates = names.filter((name, i) => names.indexOf(name) !== i).length;
const mapped = new Set(records.map((r) => r.audienceId));
const existing = new Set(audiences.map((a) => a.audienceId));
const orphans =
  audiences.filter((a) => !mapped.has(a.audienceId)).length +
  records.filter((r) => !r.audienceId || !existing.has(r.audienceId)).length;
// onCreate is off: each request token may start one run, never two.
let duplicatedRuns = 0;
for (const audience of audiences) {
  const runs = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId).length;
  duplicatedRuns += Math.max(0, runs - (tokensEver.get(audience.audienceName)?.size ?? 0));
}
const missing = [...live.values()].filter((m) => !names.includes(m.spec.name)).length;

const settled = convergeSeconds.filter(Number.isFinite).sort((a, b) => a - b);
const at = (q: number) =>
  (settled[Math.min(settled.length - 1, Math.floor(q * settled.length))] ?? NaN).toFixed(1);
const perChange = (n: number, of: number) => (n / of).toFixed(2);
console.log(`\nsoak: ${MINUTES} min, ${changed} changes, ${kills} SIGKILLs, seed ${SEED}`);
console.log(`duplicate audiences:   ${duplicates}`);
console.log(`duplicated runs:       ${duplicatedRuns}`);
console.log(`orphans:               ${orphans}`);
console.log(`missing audiences:     ${missing} of ${live.size}`);
console.log(`kills not converged:   ${convergeSeconds.length - settled.length} (30 applies each)`);
console.log(
  `requests per change:   ${perChange(soak.all, changed)} (${perChange(soak.mutating, changed)} mutating); ` +
    `baseline, calm and never killed: ${perChange(baseline.all, BATCH)} (${perChange(baseline.mutating, BATCH)})`,
);
console.log(`converge after a kill: median ${at(0.5)} s, p90 ${at(0.9)} s, max ${at(1)} s`);
console.log(`final calm apply:      ${finalSeconds.toFixed(1)} s`);
await emulator.close();
await rm(root, { recursive: true, force: true });
process.exit(duplicates + duplicatedRuns + orphans + missing === 0 ? 0 : 1);
