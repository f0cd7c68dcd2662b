import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from './apply-env.js';
import { CLI, runCli, writeFiles } from './cli.js';
import { manifestYaml } from './manifests.js';
import { NO_RUN } from './partner-org.js';

// What a spawned CLI process loads, its threads' modules included: a loader hook appends
// every module's URL to a log, and each bundle chunk's source map says which packages it holds.

const DIST = path.dirname(path.dirname(CLI));

const HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`;

/** Writes the loader hook into `dir`; the returned environment makes a process record what it loads in `log`. */
export function recordingLoads(dir: string, log: string): Record<string, string> {
  writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  const hooks = pathToFileURL(path.join(dir, 'hooks.mjs')).href;
  const register = path.join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)} } });\n`,
  );
  writeFileSync(log, '');
  return { NODE_OPTIONS: `--import=${pathToFileURL(register).href}` };
}

/** The files of dist/ listed in `log`, relative to dist/ (`scan/scan-worker.js`). */
export function distFilesLoaded(log: string): Set<string> {
  const files = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url);
    if (file.startsWith(DIST + path.sep)) files.add(path.relative(DIST, file).split(path.sep).join('/'));
  }
  return files;
}

/** The packages bundled into the chunks of dist/ listed in `log`, read from their source maps. */
export function packagesLoaded(log: string): Set<string> {
  const packages = new Set<string>();
  for (const file of distFilesLoaded(log)) {
    const map = JSON.parse(readFileSync(path.join(DIST, `${file}.map`), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
      if (name) packages.add(name);
    }
  }
  return packages;
}

/**
 * gold and silver (no run) in `dir`/m, applied by the built CLI to the directory store
 * `dir`/state: the arguments of that apply (from `dir`), for the runs whose loads are recorded.
 */
export async function appliedGoldAndSilver(dir: string, emulator: RunningEmulator): Promise<string[]> {
  await writeFiles(dir, {
    'm/gold.yaml': manifestYaml('gold', NO_RUN),
    'm/silver.yaml': manifestYaml('silver', NO_RUN),
  });
  const state = path.join(dir, 'state');
  await ensureDirStore(state);
  const args = ['apply', 'm', '--state', state, '--auto-approve'];
  const first = await runCli(args, { cwd: dir, env: emulatorEnv(emulator) });
  expect(first.code, first.stderr).toBe(0);
  return args;
}
