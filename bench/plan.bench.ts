// npm run bench:plan [-- --sizes 1000,10000,50000] [--runs 5]
// For each size, a generated repository (manifests + the state of having applied them,
// committed to git) and, median of --runs runs each: `validate`, a no-change `plan` cold
// (no manifest cache) and warm (cache present), a warm `plan` of one change in the working tree
// (a manifest added and another removed: one create, one delete), `plan --base HEAD`, and the
// read-and-parse floor (bench/lib/floor.mjs: one thread reads and parses every
// manifest and state file), the bound (bench/lib/parse-bound.ts: as many threads as a
// plan parses with only read and parse the manifests, as a plan does, nothing else)
// and node alone (an empty script), measured in the same rounds, so the ratios hold
// on a busy machine. Wall time, CPU time (all threads, to the end, and git's) and peak RSS. Default sizes:
// 1,000 and 10,000 (50,000 takes minutes; ask for it). BENCH_NODE=/path/to/node
// measures under another node binary (bench/lib/measure.ts). BENCH_BEFORE=path/to/dist/cli/main.js
// (another build: the code before a change) adds its cold and warm plans to the same rounds, on
// a copy of the state (each build keeps its own caches), and prints before against after with
// the median of each round's difference: on a machine shared with other jobs (a load of 20 on
// two cores, its wall times up to ten times an idle run's) only runs paired so compare.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { benchManifest, generateRepo } from './lib/generate.js';
import { MEASURED_NODE, measureCli, type Measurement } from './lib/measure.js';

const FLOOR = fileURLToPath(new URL('./lib/floor.mjs', import.meta.url));
const EMPTY = fileURLToPath(new URL('./lib/empty.mjs', import.meta.url));

/** bench/lib/parse-bound.ts bundled into `dir` (it imports the parser's TypeScript sources); its path. */
async function bundleBound(dir: string): Promise<string> {
  const outfile = path.join(dir, 'parse-bound.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./lib/parse-bound.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // js-yaml is CommonJS: the bundle needs a require of its own.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
const SIZES = (flag('--sizes') ?? '1000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const RUNS = Number(flag('--runs') ?? 5);
/** Another build's CLI, measured in the same rounds (the code before a change). */
const BEFORE = process.env.BENCH_BEFORE ? path.resolve(process.env.BENCH_BEFORE) : undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type Summary = { seconds: number; cpu: number; rss: number };

function summary(runs: Measurement[]): Summary {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpu: median(runs.map((r) => r.cpuSeconds)),
    rss: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

/**
 * The bound, checked to have parsed every manifest: one left to the full parser would
 * make it cheaper than the work a plan does.
 */
async function boundRun(script: string, manifests: string, size: number): Promise<Measurement> {
  const measured = await measureCli([manifests], {}, { script });
  if (measured.code === 0 && measured.stdout.trim() !== String(size))
    throw new Error(`the bound parsed ${measured.stdout.trim()} of ${size} manifests`);
  return measured;
}

type Case = { name: string; run: () => Promise<Measurement>; before?: () => void; after?: () => void };

/**
 * Each case run --runs times, in rounds (one run of every case per round) rather than all
 * runs of one case then the next: this VM's speed drifts by up to 20% within minutes, and
 * in rounds each case and the floor it is compared with meet the same drift.
 */
async function measureRounds(cases: Case[]): Promise<Map<string, Measurement[]>> {
  const runs = new Map<string, Measurement[]>(cases.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i += 1) {
    for (const { name, run, before, after } of cases) {
      before?.();
      const measured = await run().finally(after);
      if (measured.code !== 0)
        throw new Error(
          `${name} exited ${measured.code}: ${measured.stdout.slice(0, 300)}${measured.stderr.slice(0, 300)}`,
        );
      runs.get(name)!.push(measured);
    }
  }
  return runs;
}

/** The median of each round's difference, `after` minus `before` (their i-th runs share a round). */
function pairedMedian(after: Measurement[], before: Measurement[], of: (m: Measurement) => number): number {
  return median(after.map((run, i) => of(run) - of(before[i]!)));
}

/**
 * One change in the working tree, as a user plans it before committing: a manifest added (the
 * next index's, a create) and another removed (a delete); undone after each run, so that every
 * other case plans the repository as committed.
 */
function oneChange(manifests: string, size: number) {
  const added = path.join(manifests, 'group-0', `audience-${size}.yaml`);
  const removed = path.join(manifests, 'group-0', 'audience-1.yaml');
  const removedText = readFileSync(removed);
  return {
    edits: {
      before: () => {
        writeFileSync(added, stringify(benchManifest(size)));
        rmSync(removed);
      },
      after: () => {
        rmSync(added);
        writeFileSync(removed, removedText);
      },
    },
    /** The run, checked to have planned that change: an error in it would be cheaper. */
    check: (measured: Measurement): Measurement => {
      if (
        measured.code === 0 &&
        !/Plan: 1 to create, 0 to update, 0 to replace, 1 to delete/.test(measured.stdout)
      )
        throw new Error(
          `the plan of one change is not one create and one delete:\n${measured.stdout.slice(-500)}`,
        );
      return measured;
    },
  };
}

const load = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
console.log(
  `bench:plan on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${execFileSync(MEASURED_NODE, ['--version'], { encoding: 'utf8' }).trim()}, load ${load}; median of ${RUNS}`,
);
console.log(
  "wall s / CPU s (all threads to the process's end, git's too) / peak MB; ratios are wall time over the floor's wall time; " +
    'node alone: the same node running an empty script (its own start-up)',
);
if (process.env.NODE_EXTRA_CA_CERTS)
  console.log(
    'NODE_EXTRA_CA_CERTS is set: Node 20 reads those certificates as it starts (Node 24 only when a connection needs them), in every process measured',
  );
const cell = (s: Summary) =>
  `${s.seconds.toFixed(2)} / ${s.cpu.toFixed(2)} / ${s.rss.toFixed(0)}`.padStart(20);
/** The table's columns of figures, in order; each is a case's name. */
const COLUMNS = [
  'node alone',
  'floor',
  'bound',
  'validate',
  'plan cold',
  'plan warm',
  'plan 1 change',
  'plan --base',
];
const RATIOS = ['bound', 'plan cold', 'plan warm'];
console.log(
  [
    'audiences'.padStart(9),
    ...COLUMNS.map((name) => name.padStart(20)),
    ...RATIOS.map((name) => `${name.replace('plan ', '')}/floor`.padStart(12)),
  ].join(' | '),
);
for (const size of SIZES) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-plan-'));
  // `plan --base` keeps its manifest cache in the user's cache directory: this run's, removed with it.
  process.env.XDG_CACHE_HOME = path.join(root, 'cache');
  try {
    // The records name the directory as a plan of it in this git work tree does (relative to
    // its top): with the default (its absolute path) every audience planned a record-only
    // update, and the plans measured were 10,000 updates and 2 MB of output, not "No changes".
    const { manifests, state } = await generateRepo(root, size, true, { sourceRoot: 'manifests' });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    git('add', 'manifests');
    // Its automatic gc (it packs the objects, as a clone has them) in the foreground: a detached
    // one still writing .git/objects made the final rm fail (ENOTEMPTY).
    git(
      '-c',
      'gc.autoDetach=false',
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@bench.invalid',
      'commit',
      '-qm',
      'base',
    );
    const cache = path.join(state, 'manifest-cache.jsonl');
    const change = oneChange(manifests, size);
    const bound = await bundleBound(root);
    const plan = ['plan', manifests, '--state', state];
    // One untimed run first: the files just written are still being flushed to disk,
    // which is not what a user's repeated plans see. It leaves the cache for the warm runs.
    const first = await measureCli(plan);
    if (!first.stdout.includes('No changes.'))
      throw new Error(`the generated repository's plan is not "No changes":\n${first.stdout.slice(0, 500)}`);
    // The build before, on a copy of the state: the two builds' caches (each names its parser's
    // code) would otherwise void each other's, and every warm run would be a cold one.
    const stateBefore = `${state}-before`;
    const planBefore = ['plan', manifests, '--state', stateBefore];
    const cacheBefore = path.join(stateBefore, 'manifest-cache.jsonl');
    if (BEFORE) {
      cpSync(state, stateBefore, { recursive: true });
      const firstBefore = await measureCli(planBefore, {}, { script: BEFORE });
      if (!firstBefore.stdout.includes('No changes.'))
        throw new Error(`BENCH_BEFORE's plan is not "No changes":\n${firstBefore.stdout.slice(0, 500)}`);
    }
    const before: Case[] = BEFORE
      ? [
          { name: 'before warm', run: () => measureCli(planBefore, {}, { script: BEFORE }) },
          {
            name: 'before 1 change',
            run: () => measureCli(planBefore, {}, { script: BEFORE }).then(change.check),
            ...change.edits,
          },
          {
            name: 'before cold',
            run: () => measureCli(planBefore, {}, { script: BEFORE }),
            before: () => rmSync(cacheBefore, { force: true }),
          },
        ]
      : [];
    const rounds = await measureRounds([
      { name: 'node alone', run: () => measureCli([], {}, { script: EMPTY }) },
      { name: 'floor', run: () => measureCli([manifests, state], {}, { script: FLOOR }) },
      { name: 'bound', run: () => boundRun(bound, manifests, size) },
      { name: 'validate', run: () => measureCli(['validate', manifests]) },
      // Warm before cold in each round: the cold run leaves the cache the next warm one reads.
      { name: 'plan warm', run: () => measureCli(plan) },
      { name: 'plan 1 change', run: () => measureCli(plan).then(change.check), ...change.edits },
      { name: 'plan cold', run: () => measureCli(plan), before: () => rmSync(cache, { force: true }) },
      {
        name: 'plan --base',
        run: () => measureCli(['plan', manifests, '--base', 'HEAD'], {}, { cwd: root }),
      },
      ...before,
    ]);
    const figures = new Map([...rounds].map(([name, measured]) => [name, summary(measured)]));
    const figure = (name: string) => figures.get(name)!;
    console.log(
      [
        String(size).padStart(9),
        ...COLUMNS.map((name) => cell(figure(name))),
        ...RATIOS.map((name) =>
          `${(figure(name).seconds / figure('floor').seconds).toFixed(2)}x`.padStart(12),
        ),
      ].join(' | '),
    );
    if (BEFORE) {
      for (const kind of ['cold', 'warm', '1 change']) {
        const after = rounds.get(`plan ${kind}`)!;
        const was = rounds.get(`before ${kind}`)!;
        const paired = (of: (m: Measurement) => number) => pairedMedian(after, was, of).toFixed(2);
        console.log(
          `${String(size).padStart(9)} plan ${kind}: before ${cell(figure(`before ${kind}`)).trim()}, ` +
            `after ${cell(figure(`plan ${kind}`)).trim()}; ` +
            `median of the rounds' differences (after - before): wall ${paired((m) => m.seconds)} s, ` +
            `CPU ${paired((m) => m.cpuSeconds)} s, peak ${paired((m) => m.peakRssMb)} MB`,
        );
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
