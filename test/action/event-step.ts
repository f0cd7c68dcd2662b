import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Step = { name?: string; run?: string; env?: Record<string, string> };
const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  runs: { steps: Step[] };
};

export function actionStep(name: string): Step {
  const found = action.runs.steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`action.yml has no run step "${name}"`);
  return found;
}

/** What a `${{ a.b.c }}` expression of the step's env reads, as GitHub fills it in. */
export type Context = Record<string, unknown>;

function lookup(context: Context, dotted: string): string {
  let value: unknown = context;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Missing (GitHub fills in ''), or an object a step's env never takes whole.
  if (value === undefined || value === null) return '';
  throw new Error(`${dotted} is not a single value`);
}

/**
 * The step's `env:` as GitHub sets it for an event: each `${{ path.to.value }}` read from
 * `context` (an expression this harness cannot read throws, so a spec never runs a step
 * with a value GitHub would have set and it did not).
 */
export function stepEnvFor(step: Step, context: Context): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.env ?? {})) {
    const expression = /^\$\{\{\s*([\w.-]+)\s*\}\}$/.exec(value);
    if (!expression) throw new Error(`cannot evaluate ${name}: ${value}`);
    env[name] = lookup(context, expression[1] ?? '');
  }
  return env;
}

/**
 * Runs a step's script as the runner runs a `shell: bash` step (`bash --noprofile --norc -eo
 * pipefail {0}`), in `cwd`: no start-up file of the machine's, and a pipeline fails with any of
 * its commands. Without them, bash read the user's ~/.bashrc, for its standard input (Node's
 * pipe) is a socket (a shell started by sshd or rshd reads it): ~15 processes of pyenv's per step.
 */
export function runBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
