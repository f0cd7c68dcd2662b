import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, withTempDir } from '../helpers/cli.js';

// The emulator's examples run as written, pasted into sh in an empty directory, one after the
// other: `audiencectl emulator --help`'s, the README's block under "### `audiencectl emulator`"
// and docs/emulator.md's first. Its help said `audiencectl emulator --data-dir .emulator
// --storage-root ./data`, which an empty directory refuses (`--storage-root: ./data does not
// exist: create it, ...`): the README's block makes ./data first, the help did not.
//
// Each emulator is given `--port 0` after the example's own flags (the last --port wins), so
// that the examples' 8080 need not be free on a shared machine; it is stopped once its banner
// says it listens.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A directory holding an `audiencectl` that runs the built CLI, as `npm install -g` gives one. */
async function binDir(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const wrapper = path.join(bin, 'audiencectl');
  await writeFile(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return bin;
}

type Outcome = { listening: boolean; code: number | null; output: string };

/** `line` run by sh in `cwd`: an emulator until its banner (then stopped), anything else to its end. */
function runLine(line: string, cwd: string, bin: string): Promise<Outcome> {
  const emulator = /(^|&&\s*)audiencectl emulator\b[^&]*$/.test(line);
  const child = spawn('sh', ['-c', emulator ? `${line} --port 0` : line], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' },
  });
  let output = '';
  let listening = false;
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (emulator && !listening && /listening on http:\/\/\S+/.test(output)) {
        listening = true;
        // The whole group: sh and the emulator it started.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('error', reject);
    child.on('close', (code) => resolve({ listening, code, output }));
  });
}

/** The commands of an example block: comments and blank lines left out. */
function commands(block: string): string[] {
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The first ```sh block after `heading` in `file` of the repository. */
async function docBlock(file: string, heading: string): Promise<string[]> {
  const text = await readFile(path.join(root, file), 'utf8');
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`${file} has no "${heading}"`);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(from));
  if (!match?.[1]) throw new Error(`${file} has no sh block after "${heading}"`);
  return commands(match[1]);
}

async function helpExamples(): Promise<string[]> {
  const help = await runCli(['emulator', '--help']);
  expect(help.code).toBe(0);
  const examples = help.stdout.slice(help.stdout.indexOf('Examples:') + 'Examples:'.length);
  return commands(examples);
}

async function expectRunsAsWritten(lines: string[]): Promise<void> {
  expect(lines.some((line) => line.includes('audiencectl emulator'))).toBe(true);
  await withTempDir(async (dir) => {
    const bin = await binDir(dir);
    const cwd = path.join(dir, 'work');
    await mkdir(cwd);
    for (const line of lines) {
      const outcome = await runLine(line, cwd, bin);
      const ran = line.includes('audiencectl emulator') ? outcome.listening : outcome.code === 0;
      expect(ran, `$ ${line}\n${outcome.output}`).toBe(true);
    }
  });
}

describe('the emulator examples run as written', () => {
  it('audiencectl emulator --help', async () => {
    await expectRunsAsWritten(await helpExamples());
  });

  it("the README's block", async () => {
    await expectRunsAsWritten(await docBlock('README.md', '### `audiencectl emulator`'));
  });

  it("docs/emulator.md's first block", async () => {
    await expectRunsAsWritten(await docBlock('docs/emulator.md', '# The External Audiences API emulator'));
  });
});
