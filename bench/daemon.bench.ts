/**
 * `npm run bench:daemon [-- --idle-minutes 10 --samples 20 --audiences 1000]`: the controller
 * (`audiencectl run`, built in dist/) as a child process against an emulator with 20 ms latency.
 *
 * 1. Change-to-applied latency, median of `--samples`, for a watched directory (file written ->
 *    PATCH handled by the emulator) and for a git push announced by a webhook (webhook sent ->
 *    PATCH handled). Targets (issue 6): < 1 s + API time, and < 2 s + API time.
 * 2. One changed file among `--large-audiences` (10,000) audiences that exist and are recorded
 *    (median of `--large-samples`): the same two paths, with incremental reads (the default) and
 *    with `--full-reads` (every manifest read on every pass, the behaviour before) measured in the
 *    same run as the baseline. Target (issue 15): incremental < 1 s + API time.
 * 3. Idle: `--audiences` audiences in sync (manifests in a git repository, matching state), the
 *    default intervals (fetch 60 s, resync 10 min), for `--idle-minutes`: CPU, RSS sampled over
 *    the window (target < 150 MB and flat), and the API calls made (expected: zero).
 *
 * `--only latency|large|idle` runs one part. Exit code 1 when a target is missed. Build first:
 * `npm run build`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { sendPushWebhook } from './lib/push-webhook.js';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import {
  assertBuilt,
  controllerEnv,
  eventually,
  sleep,
  startController,
  type ControllerProcess,
} from '../test/daemon/helpers/controller.js';
import { parseExposition, sampleValue } from '../test/daemon/helpers/prom-text.js';
import { createGitFixture, type GitFixture } from '../test/source/helpers/git-fixture.js';
import { benchManifest, generateRepo } from './lib/generate.js';
import {
  largeGitRepo,
  largePush,
  largeWatched,
  seedLargeRepo,
  type LargeFigures,
} from './lib/large-change.js';

const { values: args } = parseArgs({
  options: {
    'idle-minutes': { type: 'string', default: '10' },
    samples: { type: 'string', default: '20' },
    audiences: { type: 'string', default: '1000' },
    'large-audiences': { type: 'string', default: '10000' },
    'large-samples': { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const IDLE_MS = Number(args['idle-minutes']) * 60_000;
const SAMPLES = Number(args.samples);
const AUDIENCES = Number(args.audiences);
const LARGE = Number(args['large-audiences']);
const LARGE_SAMPLES = Number(args['large-samples']);
const runs = (part: string): boolean => args.only === undefined || args.only === part;
const LATENCY_MS = 20;
const SECRET = 'bench-webhook-secret';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (n: number): string => `${Math.round(n)} ms`;

function manifest(description: string): string {
  const input = benchManifest(1);
  return stringify({ ...input, metadata: { name: 'bench-latency' }, spec: { ...input.spec, description } });
}

function benchAudience(emulator: RunningEmulator) {
  return emulator.control
    .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
    .find((a) => a.audienceName === benchManifest(1).spec.name);
}

/** Time from `change()` resolving to the emulator showing the new description; and the API time spent. */
async function measureChanges(
  emulator: RunningEmulator,
  change: (description: string) => Promise<void>,
): Promise<{ latencies: number[]; apiTimes: number[] }> {
  const latencies: number[] = [];
  const apiTimes: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const description = `revision ${i} ${Date.now()}`;
    const before = emulator.control.requestLog().length;
    const started = await change(description).then(() => performance.now());
    await eventually(
      () => benchAudience(emulator)?.description,
      (d) => d === description,
      10_000,
      'a PATCH',
    );
    latencies.push(performance.now() - started);
    const calls = emulator.control.requestLog().slice(before);
    apiTimes.push(calls.reduce((sum, entry) => sum + entry.durationMs, 0));
    await sleep(150); // let the pass finish before the next change
  }
  return { latencies, apiTimes };
}

async function watchedDirectory(emulator: RunningEmulator, root: string): Promise<number> {
  const dir = path.join(root, 'watched');
  await mkdir(dir);
  await writeFile(path.join(dir, 'bench.yaml'), manifest('initial'));
  const controller = await startController(
    ['--dir', dir, '--state', path.join(root, 'state-dir'), '--interval', '1h'],
    { ...controllerEnv(emulator), AUDIENCECTL_LOG_LEVEL: 'info' },
  );
  try {
    await eventually(() => benchAudience(emulator), Boolean, 10_000, 'the first create');
    const figures = await measureChanges(emulator, (d) =>
      writeFile(path.join(dir, 'bench.yaml'), manifest(d)),
    );
    return report('watched directory (file written -> applied)', figures, 1_000);
  } finally {
    await controller.stop();
  }
}

async function webhookPush(emulator: RunningEmulator, root: string): Promise<number> {
  const repo = await createGitFixture();
  await repo.commit({ 'bench.yaml': manifest('initial') });
  const controller = await startController(
    [
      ...['--repo', repo.bare, '--allow-file-urls', '--work-dir', repo.workDir, '--interval', '1h'],
      ...['--state', path.join(root, 'state-git')],
    ],
    { ...controllerEnv(emulator), AUDIENCECTL_LOG_LEVEL: 'info', AUDIENCECTL_WEBHOOK_SECRET: SECRET },
  );
  const pushTimes: number[] = [];
  try {
    await eventually(() => benchAudience(emulator), Boolean, 10_000, 'the first create');
    const figures = await measureChanges(emulator, async (description) => {
      const started = performance.now();
      const sha = await repo.commit({ 'bench.yaml': manifest(description) });
      pushTimes.push(performance.now() - started);
      await sendPushWebhook(controller.url, sha, SECRET);
    });
    console.log(`  (commit + push to the bare repository, not counted: median ${ms(median(pushTimes))})`);
    return report('git push + webhook (webhook sent -> applied)', figures, 2_000);
  } finally {
    await controller.stop();
    await repo.cleanup();
  }
}

function report(
  name: string,
  figures: { latencies: number[]; apiTimes: number[] },
  targetMs: number,
): number {
  const latency = median(figures.latencies);
  const api = median(figures.apiTimes);
  const sorted = [...figures.latencies].sort((a, b) => a - b);
  const target = targetMs + api;
  console.log(
    `${name}: median ${ms(latency)} (min ${ms(sorted[0]!)}, max ${ms(sorted.at(-1)!)}, n=${sorted.length})`,
  );
  console.log(
    `  API time per change (median): ${ms(api)}; target < ${ms(target)}: ${latency < target ? 'met' : 'MISSED'}`,
  );
  return latency < target ? 0 : 1;
}

function reportLarge(name: string, incremental: LargeFigures, full: LargeFigures): number {
  const latency = median(incremental.latencies);
  const api = median(incremental.apiTimes);
  const target = 1_000 + api;
  const baseline = median(full.latencies);
  const range = (values: number[]) => `min ${ms(Math.min(...values))}, max ${ms(Math.max(...values))}`;
  const parts = (f: LargeFigures) =>
    [
      ...(f.syncTimes.length > 0 ? [`git sync ${ms(median(f.syncTimes))}`] : []),
      `manifests read ${ms(median(f.readTimes))}`,
      `whole pass ${ms(median(f.passTimes))}`,
    ].join(', ');
  console.log(`${name}:`);
  console.log(
    `  incremental: median ${ms(latency)} (${range(incremental.latencies)}); ${parts(incremental)}`,
  );
  console.log(
    `  --full-reads (baseline, as before): median ${ms(baseline)} (${range(full.latencies)}); ${parts(full)}`,
  );
  console.log(
    `  ${(baseline / latency).toFixed(1)}x faster; API time per change (median) ${ms(api)}; target < ${ms(target)}: ${latency < target ? 'met' : 'MISSED'}`,
  );
  return latency < target ? 0 : 1;
}

async function large(emulator: RunningEmulator, root: string): Promise<number> {
  const started = performance.now();
  const repo = await seedLargeRepo(emulator, path.join(root, 'large'), LARGE);
  const git = await largeGitRepo(repo.manifests);
  console.log(
    `one changed file among ${LARGE.toLocaleString('en')} audiences, median of ${LARGE_SAMPLES} (set-up ${ms(performance.now() - started)}):`,
  );
  try {
    let failures = 0;
    const watched = {
      incremental: await largeWatched(emulator, repo, 'incremental', LARGE_SAMPLES),
      full: await largeWatched(emulator, repo, 'full-reads', LARGE_SAMPLES),
    };
    failures += reportLarge('watched directory (file written -> applied)', watched.incremental, watched.full);
    // The manifests move into the repository: while the directory the records were applied from
    // still defines them, the checkout's files are copies and every audience is held (scope rule),
    // so a push would never be applied. The first pass re-points the records to the checkout.
    await rm(repo.manifests, { recursive: true, force: true });
    const pushed = {
      incremental: await largePush(emulator, git, repo.state, 'incremental', LARGE_SAMPLES),
      full: await largePush(emulator, git, repo.state, 'full-reads', LARGE_SAMPLES),
    };
    failures += reportLarge('git push + webhook (webhook sent -> applied)', pushed.incremental, pushed.full);
    return failures;
  } finally {
    await git.cleanup();
  }
}

type Sample = { atS: number; rssMb: number; cpuS: number; heapMb: number };

async function scrape(controller: ControllerProcess): Promise<Omit<Sample, 'atS'>> {
  const exposition = parseExposition(await fetch(`${controller.url}/metrics`).then((r) => r.text()));
  return {
    rssMb: (sampleValue(exposition, 'process_resident_memory_bytes') ?? NaN) / 2 ** 20,
    cpuS: sampleValue(exposition, 'process_cpu_seconds_total') ?? NaN,
    heapMb: (sampleValue(exposition, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
  };
}

async function idle(emulator: RunningEmulator, root: string): Promise<number> {
  // Recorded as applied from the controller's --path below its checkout.
  const generated = await generateRepo(path.join(root, 'idle'), AUDIENCES, true, { sourceRoot: 'audiences' });
  const repo: GitFixture = await createGitFixture();
  await repo.commit({ 'README.md': 'bench\n' });
  // The generated tree goes in as one commit: copy it into the fixture's clone through its API.
  const files: Record<string, string> = {};
  const { readdir, readFile } = await import('node:fs/promises');
  for (const entry of await readdir(generated.manifests, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.join('audiences', path.relative(generated.manifests, full))] = await readFile(full, 'utf8');
  }
  await repo.commit(files);
  const controller = await startController(
    [
      ...['--repo', repo.bare, '--allow-file-urls', '--work-dir', repo.workDir, '--path', 'audiences'],
      // The recorded ids are made up: a refresh would find them all deleted and re-create them.
      ...['--state', generated.state, '--refresh-interval', '0'],
    ],
    { ...controllerEnv(emulator), AUDIENCECTL_LOG_LEVEL: 'info' },
  );
  try {
    const status = await eventually(
      () => controller.status(),
      (s) => s.reconcile.lastResult !== null,
      120_000,
    );
    const planned = Object.entries(status.plan?.summary ?? {}).filter(([, n]) => n > 0);
    console.log(
      `idle: ${status.audiences.length} audiences, first pass ${status.reconcile.lastResult}, plan ${JSON.stringify(Object.fromEntries(planned))}`,
    );
    emulator.control.resetCounters();
    const every = Math.max(5_000, Math.floor(IDLE_MS / 20));
    const started = performance.now();
    const samples: Sample[] = [];
    for (;;) {
      const atS = (performance.now() - started) / 1000;
      samples.push({ atS, ...(await scrape(controller)) });
      if (performance.now() - started >= IDLE_MS) break;
      await sleep(Math.min(every, IDLE_MS - (performance.now() - started)));
    }
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const cpuPercent = ((last.cpuS - first.cpuS) / (last.atS - first.atS)) * 100;
    const rss = samples.map((s) => s.rssMb);
    // Flat: never above what the first full pass needed (a resync pass reaches that peak again).
    const growth = Math.max(...rss) - first.rssMb;
    const calls = emulator.control.counters().requests;
    console.log(`idle for ${(last.atS / 60).toFixed(1)} min (fetch every 60 s, resync every 10 min):`);
    console.log(
      `  CPU ${cpuPercent.toFixed(2)}% of one core (${(last.cpuS - first.cpuS).toFixed(2)} s in ${last.atS.toFixed(0)} s)`,
    );
    console.log(
      `  RSS MB over time: ${samples.map((s) => `${s.atS.toFixed(0)}s=${s.rssMb.toFixed(1)}`).join(' ')}`,
    );
    console.log(
      `  RSS first ${first.rssMb.toFixed(1)} MB, last ${last.rssMb.toFixed(1)} MB, max ${Math.max(...rss).toFixed(1)} MB; heap used last ${last.heapMb.toFixed(1)} MB; above the first sample by at most ${growth.toFixed(1)} MB`,
    );
    console.log(`  API calls during the idle window: ${calls} (expected 0)`);
    const ok = Math.max(...rss) < 150 && calls === 0 && growth < 10;
    console.log(`  targets (RSS < 150 MB and flat, zero API calls): ${ok ? 'met' : 'MISSED'}`);
    return ok ? 0 : 1;
  } finally {
    await controller.stop();
    await repo.cleanup();
  }
}

async function main(): Promise<void> {
  await assertBuilt();
  const emulator = await startEmulator({
    port: 0,
    latencyMs: LATENCY_MS,
    guardrails: { audiencesPerSandbox: 100_000 },
  });
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-bench-daemon-'));
  let failures = 0;
  try {
    console.log(`emulator latency ${LATENCY_MS} ms; ${SAMPLES} samples per latency figure\n`);
    if (runs('latency')) {
      failures += await watchedDirectory(emulator, root);
      emulator.control.reset(); // the next scenario creates the same audience afresh
      failures += await webhookPush(emulator, root);
      emulator.control.reset();
    }
    if (runs('large')) {
      failures += await large(emulator, root);
      emulator.control.reset();
    }
    if (runs('idle')) failures += await idle(emulator, root);
  } finally {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
