#!/usr/bin/env node
// `npm run build`: bundles the CLI and its parser thread from the TypeScript sources into
// dist/ with esbuild. Type checking is `npm run typecheck` (tsc), which CI runs first;
// emitting through tsc as well cost ~20 s of CPU for files nothing loads.
// Why a bundle: a process that loads one bundle instead of ~300 small modules (ours,
// zod's, got's) starts in about half the CPU time, and the CLI is started for every CI
// job, pre-commit hook and test. Commands stay lazily loaded: each is a chunk of its
// own, under dist/chunks/.
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

await build({
  plugins: [englishOnlyZod, withoutUnusedGotFeatures, httpThroughRequire],
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
