#!/usr/bin/env node
// `npm run build`: bundles the CLI and its parser thread from the TypeScript sources into
// dist/ with esbuild. Type checking is `npm run typecheck` (tsc), which CI runs first;
// emitting through tsc as well cost ~20 s of CPU for files nothing loads.
// Why a bundle: a process that loads one bundle instead of ~300 small modules (ours,
// zod's, got's) starts in about half the CPU time, and the CLI is started for every CI
// job, pre-commit hook and test. Commands stay lazily loaded: each is a chunk of its
// own, under dist/chunks/.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

// Chunk names carry a content hash: those of an earlier build would pile up.
rmSync('dist', { recursive: true, force: true });

/**
 * zod re-exports its ~50 message locales (360 KB, half of zod) as `z.locales`; we use
 * only English, which zod configures by itself. Every process parsed the others.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(context) {
    context.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: 'zod-locales', namespace: 'english-only-zod' }
        : undefined,
    );
    context.onLoad({ filter: /.*/, namespace: 'english-only-zod' }, () => ({
      contents: 'export {};',
      loader: 'js',
    }));
  },
};

/**
 * got imports, at load, the modules of three features we never turn on (HTTP/2, its
 * response cache, its DNS cache): http2-wrapper, cacheable-request and cacheable-lookup,
 * with their own dependencies. Loading them cost every `apply` and `plan --refresh`;
 * these stand-ins keep got's imports satisfied and refuse if a feature is ever used.
 */
const UNUSED_GOT_FEATURES = {
  'http2-wrapper':
    "const unused = () => { throw new Error('audiencectl does not use HTTP/2'); };\n" +
    'export default { auto: unused, globalAgent: undefined };',
  'cacheable-request':
    "export default class CacheableRequest { constructor() { throw new Error('audiencectl does not use got\\'s cache'); } }\n" +
    'export class CacheError extends Error {}',
  'cacheable-lookup':
    "export default class CacheableLookup { constructor() { throw new Error('audiencectl does not use got\\'s DNS cache'); } }",
};
const withoutUnusedGotFeatures = {
  name: 'without-unused-got-features',
  setup(context) {
    const names = Object.keys(UNUSED_GOT_FEATURES).join('|');
    context.onResolve({ filter: new RegExp(`^(${names})$`) }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}got${path.sep}`)
        ? { path: args.path, namespace: 'unused-got-feature' }
        : undefined,
    );
    context.onLoad({ filter: /.*/, namespace: 'unused-got-feature' }, (args) => ({
      contents: UNUSED_GOT_FEATURES[args.path],
      loader: 'js',
    }));
  },
};

/**
 * On Node 22 and later, `import … from 'node:http'` in an ES module builds the module's ESM
 * facade, which reads every export, and node:http's lazy WebSocket, CloseEvent and
 * MessageEvent getters load undici: about 65 ms of CPU in every process that imports it
 * (Node 24: an apply, a plan --refresh, the controller, the emulator), for classes we never
 * use. Node 20 has no such getters. Loaded through require, node:http builds no facade:
 * every import of it, ours and got's, is bundled as a CommonJS module that requires it.
 */
const httpThroughRequire = {
  name: 'http-through-require',
  setup(context) {
    context.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      // The stand-in's own require is of the built-in itself.
      args.namespace === 'http-through-require'
        ? { path: 'node:http', external: true }
        : { path: 'node:http', namespace: 'http-through-require' },
    );
    context.onLoad({ filter: /.*/, namespace: 'http-through-require' }, () => ({
      contents: "module.exports = require('node:http');",
      loader: 'js',
    }));
  },
};

/**
 * @sindresorhus/is (got's type checks) makes two Intl.ListFormat at load, for the words of an
 * error about a value of the wrong type (typeErrorMessageMultipleValues). Making one loads
 * ICU's list data: ~20 ms of CPU (Node 20 and 24) in every process that sends a request (an
 * apply, plan --refresh, init), for an error none of them words. Made at their first use
 * instead, with the same options: the same words. A version of the module without those lines
 * fails the build, so that an upgrade is looked at again.
 */
const LIST_FORMATS_AT_LOAD = [
  "const andFormatter = new Intl.ListFormat('en', { style: 'long', type: 'conjunction' });",
  "const orFormatter = new Intl.ListFormat('en', { style: 'long', type: 'disjunction' });",
];
const listFormatAtFirstUse = (line) => {
  const [, name, options] = /^const (\w+) = new Intl\.ListFormat\((.*)\);$/.exec(line);
  return `let ${name}Made; const ${name} = { format: (values) => (${name}Made ??= new Intl.ListFormat(${options})).format(values) };`;
};
const listFormatsAtFirstUse = {
  name: 'list-formats-at-first-use',
  setup(context) {
    const index = `${path.sep}node_modules${path.sep}@sindresorhus${path.sep}is${path.sep}distribution${path.sep}index.js`;
    context.onLoad({ filter: /[\\/]@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/ }, (args) => {
      if (!args.path.endsWith(index)) return undefined;
      let contents = readFileSync(args.path, 'utf8');
      for (const line of LIST_FORMATS_AT_LOAD) {
        if (!contents.includes(line))
          throw new Error(
            `${args.path} no longer reads \`${line}\`: see listFormatsAtFirstUse in scripts/bundle.mjs`,
          );
        contents = contents.replace(line, listFormatAtFirstUse(line));
      }
      return { contents, loader: 'js' };
    });
  },
};

/** What the banner below defines, each part kept only in the chunks that use it (keepBannerWhereUsed). */
const REQUIRE_BANNER = [
  "import { createRequire as __bundleRequire } from 'node:module';",
  'const require = __bundleRequire(import.meta.url);',
];
const FILENAME_BANNER = [
  "import { fileURLToPath as __bundlePath } from 'node:url';",
  'const __filename = __bundlePath(import.meta.url);',
];

/**
 * esbuild puts the banner on every chunk, but only a few use `require` (esbuild's own
 * `__require` helper, got's and pg's CommonJS) or `__filename`: each of the others paid a
 * createRequire and a fileURLToPath as it loaded (about 7 ms of a plan's start-up on Node 20,
 * ~50 chunks). The banner's line is kept (emptied where unused) so the source maps hold;
 * any mention of the word, in a comment too, keeps its part.
 */
function keepBannerWhereUsed(dir) {
  const banner = [...REQUIRE_BANNER, ...FILENAME_BANNER].join(' ');
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    // After the entry point's hashbang line, if it has one.
    const at = text.startsWith('#!') ? text.indexOf('\n') + 1 : 0;
    if (!text.startsWith(`${banner}\n`, at))
      throw new Error(`${file}: the bundle banner is not where esbuild puts it`);
    const body = text.slice(at + banner.length);
    const uses = (name) => new RegExp(`(?<![\\w$])${name}(?![\\w$])`).test(body);
    const kept = [...(uses('require') ? REQUIRE_BANNER : []), ...(uses('__filename') ? FILENAME_BANNER : [])];
    writeFileSync(file, text.slice(0, at) + kept.join(' ') + body);
  }
}

/**
 * What each command and thread starts by loading: its entry module's static imports, all of
 * them (`src/cli/main.ts` first, before the compile cache is on; then `run-cli.ts`, which
 * every command loads; then the command's own modules).
 */
const LOAD_ROOTS = {
  boot: ['src/cli/main.ts'],
  cli: ['src/cli/run-cli.ts'],
  validate: ['src/cli/commands/validate.ts'],
  plan: ['src/cli/commands/plan.ts', 'src/cli/manifest-cache-file.ts'],
  // Loaded before the plan command's code, to start the parser thread meanwhile: apart from it.
  'plan-prestart': ['src/cli/plan-prestart.ts'],
  apply: ['src/cli/commands/apply.ts'],
  state: ['src/cli/commands/state.ts'],
  // Credentials in the environment (a CI job's), checked by validate, plan and apply.
  'env-credentials': ['src/config/resolve-env.ts'],
  // A store opened (one the state snapshot does not serve, a first plan, apply, the state commands).
  'open-store': ['src/state/open.ts'],
  // A directory store's records read (a cold plan's, one the snapshot does not serve): validated
  // without zod (validate-record-fast.ts), so apart from the store's writers, which load it.
  'read-records': ['src/state/read-record.ts'],
  // What a store's writes validate records with (zod's schemas; record-writes.ts), loaded as the
  // store is locked, and compat.json's schema, for such a file: apart from opening the store,
  // which is all state list and show do.
  'store-writes': ['src/state/normalise-record.ts', 'src/state/compat-file-schema.ts'],
  // The manifest cache written, by a parser thread or the write thread (a cold plan's).
  'cache-write': ['src/cache/cache-file.ts'],
  // A small source's files are parsed in the main thread (a validate of a file, a cold plan's share).
  'parse-here': ['src/manifest/parse-fast.ts'],
  'parse-thread': ['src/manifest/parse-worker.ts'],
  'scan-thread': ['src/scan/scan-worker.ts'],
  'write-thread': ['src/cache/write-worker.ts'],
};
const COMMANDS = ['validate', 'plan', 'apply'];
/** The main thread's lazy paths among LOAD_ROOTS. */
const LAZY = new Set(['env-credentials', 'open-store', 'read-records', 'store-writes', 'parse-here']);
/** The loaders that run in other threads than the CLI's main thread (which loads boot, then cli). */
const THREADS = new Set(['parse-thread', 'scan-thread', 'write-thread', 'cache-write']);

/** The files `roots` load as they are imported: their static imports, transitively. */
function staticClosure(outputs, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { path: imported, kind, external } of outputs[file].imports)
      if (kind === 'import-statement' && !external) stack.push(imported);
  }
  return seen;
}

/**
 * The group of a chunk that `names` (of LOAD_ROOTS) load. Every command loads boot's chunks,
 * then cli's: a chunk of theirs is loaded by every run of the CLI, whatever else in the main
 * thread loads it (threads load neither). So, nearly, is one that validate, plan and apply all
 * load: the main thread's lazy paths (LAZY) do not split those (each split is a file more for
 * the three), at the cost of loading the group's other chunks when another command takes such
 * a path.
 */
function groupKey(names) {
  const first = ['boot', 'cli'].find((name) => names.includes(name));
  if (first !== undefined) return names.filter((name) => name === first || THREADS.has(name)).join('+');
  if (COMMANDS.every((name) => names.includes(name)))
    return names.filter((name) => !LAZY.has(name)).join('+');
  // Every plan loads its own chunks before it may load the records' reader: that reader's
  // share of them does not split them (a warm plan, which reads no record, loaded two files more).
  if (names.includes('plan')) return names.filter((name) => name !== 'read-records').join('+');
  return names.join('+');
}

/** The chunks of dist/chunks/ grouped by which of LOAD_ROOTS load them (groupKey). */
function loadGroups(outputs) {
  const outputOf = new Map();
  for (const [file, output] of Object.entries(outputs))
    if (output.entryPoint !== undefined) outputOf.set(output.entryPoint, file);
  const loadedBy = new Map();
  for (const [name, sources] of Object.entries(LOAD_ROOTS)) {
    const roots = sources.map((source) => {
      const file = outputOf.get(source);
      if (file === undefined) throw new Error(`${source}: not an entry point of the bundle (LOAD_ROOTS)`);
      return file;
    });
    for (const file of staticClosure(outputs, roots))
      loadedBy.set(file, [...(loadedBy.get(file) ?? []), name]);
  }
  const groups = new Map();
  for (const [file, names] of loadedBy) {
    // Entry points are loaded by path (the bin, the threads'): they stay where they are.
    if (!file.startsWith('dist/chunks/')) continue;
    const key = groupKey(names);
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return groups;
}

/** `files` ordered so that each comes after the files of `files` it imports. */
function importsFirst(outputs, files) {
  const members = new Set(files);
  const ordered = [];
  const visit = (file) => {
    if (!members.delete(file)) return;
    for (const { path: imported, kind } of outputs[file].imports)
      if (kind === 'import-statement') visit(imported);
    ordered.push(file);
  };
  for (const file of files) visit(file);
  return ordered;
}

/** `to` as an import of `from` (both paths from the working directory): `./x.js`, `../chunks/x.js`. */
function importPath(from, to) {
  const relative = path.relative(path.dirname(from), to).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/**
 * Merges the chunks loaded together into one file per group of loaders (mergeByLoader).
 * Returns each group's file and the name every member's export has in it.
 */
function planMerge(outputs) {
  const groupOf = new Map();
  for (const [key, files] of loadGroups(outputs)) {
    // Named by what it holds: each member's name is a hash of its content and of the chunks it imports.
    const hash = createHash('sha256').update(files.sort().join('\n')).digest('base64url');
    const file = `dist/chunks/loaded-by-${key}-${hash.replace(/[-_]/g, '').slice(0, 8).toUpperCase()}.js`;
    const members = importsFirst(outputs, files);
    const aliases = new Map();
    const taken = new Set();
    // The modules imported dynamically (a command's) first: their names are kept, so that such
    // an import can load the group itself (its namespace has every name the module's had).
    const dynamicFirst = [...members].sort(
      (a, b) => Number(outputs[b].entryPoint !== undefined) - Number(outputs[a].entryPoint !== undefined),
    );
    for (const member of dynamicFirst) {
      const names = new Map();
      for (const name of outputs[member].exports) {
        let alias = name;
        for (let n = 2; taken.has(alias); n += 1) alias = `${name}$${n}`;
        taken.add(alias);
        names.set(name, alias);
      }
      aliases.set(member, names);
    }
    const group = { file, members, aliases };
    for (const member of members) groupOf.set(member, group);
  }
  return groupOf;
}

/** Whether a dynamic import of `member` can load its group's file instead: all its names kept. */
function keepsNames(group, member) {
  return [...group.aliases.get(member)].every(([name, alias]) => name === alias);
}

/**
 * Builds one file of the second pass (`out`): a group's members, or an entry point whose
 * imports of members are pointed at their groups' files. Other imports stay as they were.
 */
async function buildMerged(out, entry, groupOf, members) {
  const plugin = {
    name: 'merge-by-loader',
    setup(context) {
      context.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (args.namespace === 'group-exports') return { path: args.path, external: true };
        if (!args.path.startsWith('.')) return { path: args.path, external: true };
        const target = path.relative(process.cwd(), path.resolve(args.resolveDir, args.path));
        const group = groupOf.get(target);
        if (args.kind === 'dynamic-import') {
          const loads = group !== undefined && keepsNames(group, target) ? group.file : target;
          return { path: importPath(out, loads), external: true };
        }
        if (members.has(target)) return { path: path.resolve(target) };
        if (group !== undefined) return { path: target, namespace: 'group-exports' };
        return { path: importPath(out, target), external: true };
      });
      context.onLoad({ filter: /.*/, namespace: 'group-exports' }, (args) => ({
        contents: reexport(groupOf.get(args.path), args.path, importPath(out, groupOf.get(args.path).file)),
        loader: 'js',
      }));
    },
  };
  const result = await build({
    ...entry,
    plugins: [plugin],
    outfile: out,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  return result.outputFiles;
}

/** A module that exports what `member` exported, from its group's file at `from`. */
function reexport(group, member, from) {
  const names = [...group.aliases.get(member)].map(([name, alias]) =>
    name === alias ? name : `${alias} as ${name}`,
  );
  return names.length > 0
    ? `export { ${names.join(', ')} } from ${JSON.stringify(from)};\n`
    : `import ${JSON.stringify(from)};\n`;
}

/**
 * A plan loaded ~90 chunks (the fifty-second pass, docs/performance.md): esbuild makes a chunk
 * of every set of lazily loaded modules that share code, and the ESM loader's cost per module
 * (resolving, reading, linking each import) was ~100 ms of a plan's start-up, against the
 * same code in one file. A second pass merges the chunks that the same commands and threads
 * (LOAD_ROOTS) load as they start into one file per such group: a command loads a few files,
 * and nothing it did not load before, since a group holds only what all its loaders load.
 * Each chunk's code is in one file only (a module's state, a class for `instanceof`, is never
 * loaded twice): a merged chunk's own file re-exports it from its group, for the modules
 * that are loaded later and import it there.
 */
async function mergeByLoader(metafile) {
  const { outputs } = metafile;
  const groupOf = planMerge(outputs);
  const groups = new Set(groupOf.values());
  const entries = [];
  for (const sources of Object.values(LOAD_ROOTS))
    for (const source of sources) {
      const file = Object.keys(outputs).find((each) => outputs[each].entryPoint === source);
      if (!file.startsWith('dist/chunks/')) entries.push(file);
    }
  const built = await Promise.all([
    ...[...groups].map((group) =>
      buildMerged(
        group.file,
        {
          stdin: {
            contents: group.members.map((member) => reexportAll(group, member)).join(''),
            resolveDir: process.cwd(),
            sourcefile: group.file,
            loader: 'js',
          },
        },
        groupOf,
        new Set(group.members),
      ),
    ),
    ...entries.map((file) => buildMerged(file, { entryPoints: [file] }, groupOf, new Set())),
  ]);
  for (const group of groups)
    for (const member of group.members) {
      const from = importPath(member, group.file);
      const name = path.basename(member);
      writeFileSync(member, `${reexport(group, member, from)}//# sourceMappingURL=${name}.map\n`);
      writeFileSync(
        `${member}.map`,
        JSON.stringify({ version: 3, file: name, sources: [], names: [], mappings: '' }),
      );
    }
  for (const file of built.flat()) writeFileSync(file.path, file.contents);
}

/** The group's entry's line for `member`: its exports under their names in the group. */
function reexportAll(group, member) {
  const from = JSON.stringify(`./${member}`);
  const names = [...group.aliases.get(member)].map(([name, alias]) =>
    name === alias ? name : `${name} as ${alias}`,
  );
  return names.length > 0 ? `export { ${names.join(', ')} } from ${from};\n` : `import ${from};\n`;
}

const { metafile } = await build({
  metafile: true,
  plugins: [englishOnlyZod, withoutUnusedGotFeatures, httpThroughRequire, listFormatsAtFirstUse],
  entryPoints: {
    'cli/main': 'src/cli/main.ts',
    // Loaded by path at run time (src/manifest/load-isolated.ts).
    'manifest/parse-worker': 'src/manifest/parse-worker.ts',
    // Loaded by path at run time (src/scan/fact-scan.ts, src/cache/write-thread.ts).
    'scan/scan-worker': 'src/scan/scan-worker.ts',
    'cache/write-worker': 'src/cache/write-worker.ts',
    // Plain-JS entry points of the test fixtures (test/state/fixtures) and the demo script.
    'state/open': 'src/state/open.ts',
    'state/record-changes': 'src/state/record-changes.ts',
    // Its `fsCalls` seam, for the preload that stops a migrate mid-copy (migrate-pause.mjs).
    'state/durable-fs': 'src/state/durable-fs.ts',
    'cli/color': 'src/cli/color.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // The bundled CommonJS dependencies (got's, pg) call require, and some read __filename
  // (as write-file-atomic did, which this code no longer uses): ESM has neither of its own.
  banner: { js: [...REQUIRE_BANNER, ...FILENAME_BANNER].join(' ') },
  logLevel: 'warning',
});
keepBannerWhereUsed('dist');
await mergeByLoader(metafile);
