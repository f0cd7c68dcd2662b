#!/usr/bin/env node
// `npm run build`: bundles the CLI and its parser thread from the TypeScript sources into
// dist/ with esbuild. Type checking is `npm run typecheck` (tsc), which CI runs first;
// emitting through tsc as well cost ~20 s of CPU for files nothing loads.
// Why a bundle: a process that loads one bundle instead of ~300 small modules (ours,
// zod's, got's) starts in about half the CPU time, and the CLI is started for every CI
// job, pre-commit hook and test. Commands stay lazily loaded: each is a chunk of its
// own, under dist/chunks/.
import { rmSync } from 'node:fs';
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

await build({
  plugins: [englishOnlyZod, withoutUnusedGotFeatures],
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
  banner: {
    js: [
      "import { createRequire as __bundleRequire } from 'node:module';",
      "import { fileURLToPath as __bundlePath } from 'node:url';",
      'const require = __bundleRequire(import.meta.url);',
      'const __filename = __bundlePath(import.meta.url);',
    ].join(' '),
  },
  logLevel: 'warning',
});
