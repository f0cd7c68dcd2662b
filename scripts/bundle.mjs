#!/usr/bin/env node
// Second half of `npm run build`: bundles the compiled CLI (dist/cli/main.js) and the
// parser thread (dist/manifest/parse-worker.js) in place, with their dependencies.
// Why: a process that loads one bundle instead of ~300 small modules (ours, zod's,
// got's) starts in about half the CPU time, and the CLI is started for every CI job,
// pre-commit hook and test. Commands stay lazily loaded: each is a chunk of its own,
// under dist/chunks/. The rest of dist/ stays tsc's output (types, library imports).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

// Chunk names carry a content hash: those of an earlier build would pile up.
rmSync('dist/chunks', { recursive: true, force: true });

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

await build({
  plugins: [englishOnlyZod],
  entryPoints: { 'cli/main': 'dist/cli/main.js', 'manifest/parse-worker': 'dist/manifest/parse-worker.js' },
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The bundled CommonJS dependencies (got's, pg) call require; ESM has none of its own.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
