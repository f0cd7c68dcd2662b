import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chartDir, repoRoot } from './helm.js';

/**
 * The `helm install` command of docs/deploy.md's Install section, as arguments for
 * `helm template`: continuation lines joined, "$VARS" given sample values, and the
 * chart reference (a path or the OCI address) pointed at this checkout's chart.
 */
export async function docsInstallArgs(): Promise<string[]> {
  const docs = await readFile(path.join(repoRoot, 'docs', 'deploy.md'), 'utf8');
  const blocks = [...docs.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const block = blocks.find((text) => /^helm install /m.test(text));
  if (block === undefined) throw new Error('docs/deploy.md has no `helm install` example');
  const command = block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .find((line) => line.startsWith('helm install '));
  const words = (command ?? '').match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const args = words.map((word) =>
    word.replace(/^["']|["']$/g, '').replace(/\$\{?([A-Z_]+)\}?/g, (_all, name: string) => `sample-${name}`),
  );
  // helm install NAME CHART ...
  if (args[0] !== 'helm' || args[1] !== 'install' || args.length < 4)
    throw new Error(`unexpected: ${command}`);
  const rest: string[] = [];
  for (let i = 4; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    // The published chart's version: this checkout is the chart under test.
    if (arg === '--version') i += 1;
    else if (!arg.startsWith('--version=')) rest.push(arg);
  }
  return ['template', args[2] ?? '', chartDir, ...rest];
}
