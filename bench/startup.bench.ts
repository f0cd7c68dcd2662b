// npm run bench:startup [-- --runs 9]
// What a short command costs on a small repository: every CI job, every pull request's
// plan and every CLI spawned by our own specs pays it. The examples (examples/audiences,
// 8 manifests in 7 files, one of two documents), read where they are (in this git clone),
// against an in-process emulator, its demo credentials in the environment (as a CI job's
// are): CPU seconds (user + system, the process's threads and the children it waited
// for, as /usr/bin/time counts them) and wall time, median of --runs, each command once
// a round, beside node alone (an empty script) measured in the same rounds, so the
// differences hold on a busy machine. BENCH_NODE=/path/to/node measures another node
// (Node 24, the production image's), BENCH_CLI=path/to/dist/cli/main.js another build (the code
// before a change, in the same hour); the CLI must be built (npm run build).
// BENCH_BEFORE=path/to/other/dist/cli/main.js runs that build too, each command right before
// or after this one's in every round (the order alternating), on a copy of the store, and
// prints the median of the rounds' differences: on a shared machine only paired runs compare.
// `apply, one change` is what the specs spawn most (an apply with --auto-approve that sends a
// PATCH): each build its own one-manifest directory, store and audience, its description
// changed before every run.
import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';
import { emulatorEnv } from './lib/emulator-env.js';
import { CLI, MEASURED_NODE } from './lib/measure.js';

const EMPTY = fileURLToPath(new URL('./lib/empty.mjs', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../examples/audiences', import.meta.url));
const ONE_FILE = path.join(EXAMPLES, 'web-newsletter.yaml');
const TIME = '/usr/bin/time';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
const RUNS = Number(flag('--runs') ?? 9);
/**
 * A one-manifest directory of its own for each build (`name` apart: the emulator refuses a second
 * audience of the same name), its description saying `round`: an apply of it sends a PATCH.
 */
async function changingManifest(dir: string, name: string, round: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, `${name}.yaml`),
    [
      'apiVersion: audiencectl/v1',
      'kind: ExternalAudience',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      `  name: Bench ${name}`,
      `  description: Changed in round ${round}`,
      '  fields:',
      '    - { name: email, type: string, identityNs: email }',
      `  sourceSpec: { path: bench/${name}.csv, type: file, sourceType: Cloud Storage, cloudType: DLZ }`,
      '  originName: CUSTOM_UPLOAD',
      'ingestion:',
      '  onCreate: false',
      '',
    ].join('\n'),
  );
}

/** Another build's CLI, run in the same rounds (the code before a change). */
const BEFORE = process.env.BENCH_BEFORE ? path.resolve(process.env.BENCH_BEFORE) : undefined;

type Run = { cpu: number; seconds: number; code: number; stderr: string };

/**
 * One run of `script args` under /usr/bin/time, which counts the children the process waited
 * for (git) as well as its threads; its figures are the last line of stderr.
 */
function timed(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ['-f', '__TIME__ %U %S', MEASURED_NODE, script, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const match = /__TIME__ ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (!match) return reject(new Error(`no figures from ${TIME}: ${stderr.slice(-300)}`));
      const cpu = Number(match[1]) + Number(match[2]);
      resolve({ cpu, seconds, code: code ?? -1, stderr: stderr.slice(0, match.index) });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

if (!existsSync(TIME)) throw new Error(`${TIME} is needed (it counts the CPU time of the children too)`);
if (!existsSync(CLI)) throw new Error('build the CLI first: npm run build');

const emulator = await startEmulator({ port: 0, operationDelayMs: 0, runStageDelayMs: 0 });
const root = await mkdtemp(path.join(os.tmpdir(), 'bench-startup-'));
const state = path.join(root, 'state');
const env = emulatorEnv(emulator);
try {
  // The store an apply of the examples leaves: plan and apply then have nothing to do.
  for (const args of [
    ['init', '--state', state],
    ['apply', EXAMPLES, '--state', state, '--auto-approve'],
  ]) {
    const run = await timed(CLI, args, env);
    if (run.code !== 0) throw new Error(`${args[0]} failed: ${run.stderr}`);
  }

  // The build before keeps its own copy of the store: each build's manifest cache names its
  // parser's code, and would void the other's.
  const stateBefore = `${state}-before`;
  if (BEFORE) cpSync(state, stateBefore, { recursive: true });
  // Each build's changing audience, created once here: in the rounds, each apply is one PATCH.
  const changing = (store: string) => ({ dir: `${store}-changing`, name: path.basename(store) });
  for (const [script, store] of [[CLI, state], ...(BEFORE ? [[BEFORE, stateBefore]] : [])] as const) {
    const { dir, name } = changing(store);
    await changingManifest(dir, name, -1);
    for (const args of [
      ['init', '--state', `${store}-own`],
      ['apply', dir, '--state', `${store}-own`, '--auto-approve'],
    ]) {
      const run = await timed(script, args, env);
      if (run.code !== 0) throw new Error(`the changing audience's ${args[0]} failed: ${run.stderr}`);
    }
  }

  /** `args` given the store a build uses. */
  const commands: Array<{
    name: string;
    cli: boolean;
    args: (store: string) => string[];
    /** Run before each run of it (not measured), given the store a build uses and the round. */
    before?: (store: string, round: number) => Promise<void>;
  }> = [
    { name: 'node alone (node -e 0)', cli: false, args: () => [] },
    { name: '--version', cli: true, args: () => ['--version'] },
    { name: 'validate (one file)', cli: true, args: () => ['validate', ONE_FILE] },
    { name: 'validate (examples)', cli: true, args: () => ['validate', EXAMPLES] },
    // No store: no manifest cache, every file read and parsed (a first plan).
    { name: 'plan, no store', cli: true, args: () => ['plan', EXAMPLES, '--state', path.join(root, 'none')] },
    { name: 'plan, no change', cli: true, args: (store) => ['plan', EXAMPLES, '--state', store] },
    {
      name: 'apply, no change',
      cli: true,
      args: (store) => ['apply', EXAMPLES, '--state', store, '--auto-approve'],
    },
    {
      name: 'apply, one change',
      cli: true,
      args: (store) => ['apply', changing(store).dir, '--state', `${store}-own`, '--auto-approve'],
      before: (store, round) => changingManifest(changing(store).dir, changing(store).name, round),
    },
    { name: 'state list', cli: true, args: (store) => ['state', 'list', '--state', store] },
    {
      name: 'state show',
      cli: true,
      args: (store) => ['state', 'show', 'gold-members', '--sandbox', 'prod', '--state', store],
    },
  ];
  const builds = [
    { label: 'after', script: CLI, store: state },
    ...(BEFORE ? [{ label: 'before', script: BEFORE, store: stateBefore }] : []),
  ];
  const runs = new Map<string, Run[]>();
  for (let round = 0; round < RUNS; round += 1) {
    for (const command of commands) {
      // Which build goes first alternates by round.
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const build of command.cli ? order : builds.slice(0, 1)) {
        await command.before?.(build.store, round);
        const run = await timed(command.cli ? build.script : EMPTY, command.args(build.store), env);
        // plan exits 2 when it has changes to show (the no-store plan), 0 when none.
        if (run.code !== 0 && !(command.name === 'plan, no store' && run.code === 2))
          throw new Error(`${command.name} (${build.label}) exited ${run.code}: ${run.stderr}`);
        const key = `${build.label} ${command.name}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
      }
    }
  }

  const cpuOf = (key: string) => median(runs.get(key)!.map((run) => run.cpu));
  const alone = cpuOf(`after ${commands[0]!.name}`);
  console.log(
    `node ${MEASURED_NODE === process.execPath ? process.version : MEASURED_NODE}, ${RUNS} runs each, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const paired = BEFORE ? ` ${'before'.padStart(7)} ${'after - before (paired)'.padStart(24)}` : '';
  console.log(
    `${'command'.padEnd(26)} ${'CPU s'.padStart(6)} ${'- node'.padStart(7)} ${'wall s'.padStart(7)}${paired}`,
  );
  for (const command of commands) {
    const measured = runs.get(`after ${command.name}`)!;
    const cpu = median(measured.map((run) => run.cpu));
    const wall = median(measured.map((run) => run.seconds));
    const over = command.cli ? (cpu - alone).toFixed(2) : '';
    let versus = '';
    const before = runs.get(`before ${command.name}`);
    if (before) {
      const differences = measured.map((run, i) => run.cpu - before[i]!.cpu);
      const lower = differences.filter((difference) => difference < 0).length;
      versus = ` ${cpuOf(`before ${command.name}`).toFixed(2).padStart(7)} ${`${median(differences).toFixed(3)} (${lower} of ${RUNS} lower)`.padStart(24)}`;
    }
    console.log(
      `${command.name.padEnd(26)} ${cpu.toFixed(2).padStart(6)} ${over.padStart(7)} ${wall.toFixed(2).padStart(7)}${versus}`,
    );
  }
} finally {
  await emulator.close();
  await rm(root, { recursive: true, force: true });
}
