import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * What each command loads before it runs: the static imports reachable from its module,
 * as the bundler sees them. Commands that never call the service must not load the HTTP
 * client, the logger or the emulator's server: every CI job and pre-commit hook pays
 * for what the CLI loads at start-up.
 */
const ENTRIES = ['validate', 'plan', 'state'].map((name) => `src/cli/commands/${name}.ts`);
const CLIENT = 'src/aep/client.ts';
const PARSER_THREAD = 'src/manifest/parse-worker.ts';
const SCAN_THREAD = 'src/scan/scan-worker.ts';
const WRITE_THREAD = 'src/cache/write-worker.ts';
const APPLY = 'src/cli/commands/apply.ts';

let graph: Promise<Metafile['inputs']> | undefined;
/** One build for every entry (the import graph is the same), made by the first test that asks. */
function importGraph(): Promise<Metafile['inputs']> {
  graph ??= build({
    entryPoints: [...ENTRIES, APPLY, CLIENT, PARSER_THREAD, SCAN_THREAD, WRITE_THREAD],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: 'unused',
    splitting: true,
    logLevel: 'silent',
  }).then((result) => result.metafile.inputs);
  return graph;
}

async function staticImports(entry: string): Promise<Set<string>> {
  const inputs = await importGraph();
  const seen = new Set([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const imported of inputs[file]?.imports ?? []) {
      // Dynamic imports load later, when a branch needs them.
      if (imported.kind === 'dynamic-import' || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return seen;
}

const packagesIn = (files: Set<string>): Set<string> =>
  new Set([...files].flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? []));

describe('start-up: what a command loads before it runs', () => {
  it.each(ENTRIES)('%s loads neither the HTTP client, the logger nor the emulator', async (entry) => {
    const packages = packagesIn(await staticImports(entry));
    expect([...packages].filter((p) => ['got', 'pino', 'fastify'].includes(p))).toEqual([]);
    // The check sees packages at all (it would pass on an empty graph otherwise).
    expect(packages.has('commander')).toBe(true);
  });

  // validate and plan load the fast parser for a file to parse, zod to word a
  // refusal or read a record, the yaml library for a config file, p-queue to call the service:
  // a plan of unchanged manifests (test/cli/plan-start-up-loads.spec.ts) needs none of them.
  const LAZY = ['zod', 'yaml', 'js-yaml', 'p-queue'];
  it.each([
    { entry: 'src/cli/commands/validate.ts', lazy: LAZY, seen: 'commander' },
    { entry: 'src/cli/commands/plan.ts', lazy: LAZY, seen: 'commander' },
    // apply reads the configuration file (yaml) only when given one, makes the HTTP client (got,
    // p-queue, pino) at its first call (test/cli/apply-start-up-loads.spec.ts measures it).
    {
      entry: APPLY,
      lazy: ['yaml', 'js-yaml', 'got', 'p-queue', 'pino'],
      seen: 'commander',
    },
    // The state commands: `state list` and `show` read records without zod (d9425eda: the store's
    // writers, with their schemas, load when it takes its lock); only `state import` and its
    // `--discover` call the service.
    { entry: 'src/cli/commands/state.ts', lazy: LAZY, seen: 'commander' },
    // The parser thread parses every file it is sent: the YAML subset reader, and the yaml library
    // only for a file outside the subset; js-yaml reads no manifest (review 31, M-2).
    { entry: PARSER_THREAD, lazy: ['zod', 'yaml', 'js-yaml'], seen: 'src/manifest/yaml-subset.ts' },
    // The fact scan thread of a plan served by its caches reads, hashes, lists and stats.
    { entry: SCAN_THREAD, lazy: [...LAZY, 'commander'], seen: 'picomatch' },
  ])('$entry loads none of $lazy before a file needs them', async ({ entry, lazy, seen }) => {
    const files = await staticImports(entry);
    const packages = packagesIn(files);
    expect([...packages].filter((p) => lazy.includes(p))).toEqual([]);
    // The check sees the graph at all (it would pass on an empty one otherwise): a package, or a file.
    expect(packages.has(seen) || files.has(seen)).toBe(true);
  });

  it('state list and state show load no other subcommand: each is loaded when it runs', async () => {
    const files = await staticImports('src/cli/commands/state.ts');
    // import (and its --discover, with the manifests' reader), forget, settle-run and migrate:
    // ~0.05 CPU-s of every `state list` (Node 20 and 24) before they were loaded when run.
    const subcommands = ['state-repair', 'state-discover', 'state-settle', 'state-migrate'].map(
      (name) => `src/cli/commands/${name}.ts`,
    );
    expect(subcommands.filter((file) => files.has(file))).toEqual([]);
    expect(packagesIn(files).has('picomatch')).toBe(false);
    // The check sees the graph: list's and show's own module is there.
    expect(files.has('src/cli/commands/state-read.ts')).toBe(true);
  });

  it('the cache writer thread loads nothing but the cache file module and what its reader refuses with', async () => {
    const ours = async (entry: string) =>
      [...(await staticImports(entry))].filter((file) => !file.startsWith('node:')).sort();
    // At start, its messages' module (which a parser thread kept to write a cache loads too);
    // with the request, the cache file module.
    expect(await ours(WRITE_THREAD)).toEqual(['src/cache/write-serve.ts', WRITE_THREAD]);
    // cache-file.ts also reads the cache, refusing a FIFO in its place (files/read-regular.ts,
    // whose error is a UsageError), and removes the temporaries interrupted writes left
    // (files/stale-temps.ts, with the temporary naming and fs seam of state/durable-fs.ts, the
    // latter's error module and its directory maker, files/make-dirs.ts, and the escaping of
    // the paths its refusals name, text/safe-text.ts): small modules of ours, no package.
    expect(await ours('src/cache/cache-file.ts')).toEqual([
      'src/cache/cache-file.ts',
      'src/errors.ts',
      'src/files/make-dirs.ts',
      'src/files/read-regular.ts',
      'src/files/stale-temps.ts',
      'src/state/durable-fs.ts',
      'src/state/errors.ts',
      'src/text/safe-text.ts',
    ]);
  });

  it('the HTTP client itself loads got (the check can tell)', async () => {
    expect(packagesIn(await staticImports(CLIENT)).has('got')).toBe(true);
  });
});
