import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chartDir, repoRoot } from './helm.js';

/** The documented install examples: the first `helm install` after each heading. */
export const INSTALL_EXAMPLES = [
  ['docs/deploy.md', '### Install'],
  ['README.md', '## Deployment'],
] as const;

/**
 * The first `helm install` command after `heading` in `file`, as arguments for
 * `helm template`: continuation lines joined, "$VARS" given sample values, and the
 * chart reference (a path or the OCI address) pointed at this checkout's chart.
 */
export async function docsInstallArgs(file = 'docs/deploy.md', heading = '### Install'): Promise<string[]> {
  const text = await readFile(path.join(repoRoot, file), 'utf8');
  const from = text.indexOf(`\n${heading}\n`);
  if (from < 0) throw new Error(`${file} has no "${heading}" section`);
  const blocks = [...text.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const block = blocks.find((code) => /^helm install /m.test(code));
  if (block === undefined) throw new Error(`${file} has no \`helm install\` example after "${heading}"`);
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
