import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * Pass 52's left undone (store.md, 5): a cold plan of a large repository (no manifest cache, a
 * state snapshot of 64 KiB or more: parsesAhead) starts its manifest parser thread as the command
 * begins (src/cli/run-cli.ts → prestartPlanScan → prestartParserThread), before the plan command's
 * code, which reads the state, is even loaded; nothing proved that wiring. As a process shows it:
 * a loader hook records what every thread loads (as test/helpers/loads.ts), and holds the load of
 * the plan command's chunk until the parser thread's script was loaded, or HOLD_GUARD_MS passed
 * (a guard, never a claim about speed: without a thread started ahead the log then says the
 * command loaded first). A plan of one manifest parses it itself (the pool starts a thread only
 * for many files), and ends the thread started ahead unused.
 */
const tempDir = useTempDirs();
const HOLD_GUARD_MS = 20_000;

const HOOKS = `
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
let log;
let holdMs;
export function initialize(data) { ({ log, holdMs } = data); }
const workerLoaded = () => readFileSync(log, 'utf8').includes('/manifest/parse-worker.js');
export async function load(url, context, next) {
  if (/\\/chunks\\/(loaded-by-)?plan-[A-Z0-9]+\\.js$/.test(url)) {
    // Read from the log: a thread's loads may go through hooks of its own.
    for (let waited = 0; !workerLoaded() && waited < holdMs; waited += 20) await sleep(20);
  }
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`;

/** The environment that makes a process log what its threads load into `log`, holding the plan command's chunk. */
function holdingLoads(dir: string, log: string, holdMs: number): Record<string, string> {
  writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  const hooks = pathToFileURL(path.join(dir, 'hooks.mjs')).href;
  const register = path.join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)}, holdMs: ${holdMs} } });\n`,
  );
  writeFileSync(log, '');
  return { NODE_OPTIONS: `--import=${pathToFileURL(register).href}` };
}

/** The files of dist/ `log` lists, in the order they were loaded, relative to dist/. */
function distLoads(log: string): string[] {
  const dist = path.dirname(path.dirname(CLI));
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url))
    .filter((file) => file.startsWith(dist + path.sep))
    .map((file) => path.relative(dist, file).split(path.sep).join('/'));
}

/** A directory store holding a state snapshot of `snapshotBytes`, no manifest cache; one manifest. */
async function coldStore(snapshotBytes: number): Promise<{ root: string; manifests: string; state: string }> {
  const root = await tempDir();
  const manifests = path.join(root, 'audiences');
  const state = path.join(root, 'state');
  await mkdir(manifests);
  await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold'));
  // The store made is a premise: the CLI's entry in this process (cli-in-process.ts).
  const init = await runCliInProcess(['init', '--state-only', '--state', state]);
  expect(init.code, init.stderr).toBe(0);
  // What is in it does not matter here: only its size says the repository is large (unreadable, it is not used).
  await writeFile(path.join(state, 'state-snapshot.jsonl'), 'x'.repeat(snapshotBytes));
  return { root, manifests, state };
}

/** Whether the parser thread's script was loaded before the plan command's code, in a plan of a store with `snapshotBytes` of snapshot. */
async function parserBeforeCommand(snapshotBytes: number, holdMs: number): Promise<boolean> {
  const { root, manifests, state } = await coldStore(snapshotBytes);
  const log = path.join(root, 'loads.log');
  const planned = await runCli(['plan', manifests, '--state', state], {
    env: holdingLoads(root, log, holdMs),
  });
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).toContain('+ prod/gold create');
  const loads = distLoads(log);
  // The command's chunk, or the file scripts/bundle.mjs merges it into (what only plan loads).
  const command = loads.findIndex((file) => /^chunks\/(loaded-by-)?plan-[A-Z0-9]+\.js$/.test(file));
  // The log sees the plan command's chunk (it would pass on an empty log otherwise).
  expect(command).toBeGreaterThan(0);
  const parser = loads.indexOf('manifest/parse-worker.js');
  return parser >= 0 && parser < command;
}

describe('a cold plan of a large repository', () => {
  it('starts the parser thread before the plan command (which reads the state) is loaded: 64 KiB of snapshot, no manifest cache', async () => {
    expect(await parserBeforeCommand(64 * 1024, HOLD_GUARD_MS)).toBe(true);
  });

  it('does not with a smaller snapshot: one manifest is parsed without a thread', async () => {
    // Not held: no thread comes, whose script the command's load would wait for.
    expect(await parserBeforeCommand(64 * 1024 - 1, 0)).toBe(false);
  });
});
