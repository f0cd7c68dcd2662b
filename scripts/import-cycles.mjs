#!/usr/bin/env node
// `npm run lint:cycles` (`node scripts/import-cycles.mjs [dir]`, default src): fails when
// modules under the directory import each other in a cycle (a module then sees another's
// exports before they are defined, depending on which was loaded first). The import graph
// is esbuild's, as the build resolves it: every module under the directory is an entry point
// (its specs too, and through them the test helpers they import), imports erased from the
// JavaScript (types) are not edges, packages are not followed. dpdm did this in ~5 s of CPU;
// esbuild takes ~0.3 s. test/release/import-cycles.spec.ts plants cycles for it to find.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = process.argv[2] ?? 'src';
const modules = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .map((file) => path.join(root, file).replaceAll('\\', '/'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .sort();

const { metafile } = await build({
  entryPoints: modules,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  write: false,
  metafile: true,
  outdir: 'dist-cycles',
  logLevel: 'error',
});

/** Module to the modules it imports, in source order. */
const imports = new Map(
  Object.entries(metafile.inputs).map(([file, input]) => [
    file,
    input.imports.filter((edge) => !edge.external).map((edge) => edge.path),
  ]),
);

/** The strongly connected components of more than one module, or of one importing itself (Tarjan). */
function cycles(graph) {
  const found = [];
  const order = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const visit = (module) => {
    order.set(module, order.size);
    low.set(module, order.get(module));
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(module, Math.min(low.get(module), low.get(next)));
      } else if (onStack.has(next)) low.set(module, Math.min(low.get(module), order.get(next)));
    }
    if (low.get(module) !== order.get(module)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    if (component.length > 1 || graph.get(module)?.includes(module)) found.push(component.sort());
  };
  for (const module of graph.keys()) if (!order.has(module)) visit(module);
  return found;
}

const found = cycles(imports);
if (found.length > 0) {
  process.stderr.write(
    `${found.length} import cycle(s) under ${root}/, each a set of modules that import one another:\n`,
  );
  for (const component of found) process.stderr.write(`  ${component.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles among ${imports.size} modules\n`);
