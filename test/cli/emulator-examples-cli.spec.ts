import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, withTempDir } from '../helpers/cli.js';

// The emulator's examples run as written, pasted into sh in an empty directory, one after the
// other: `audiencectl emulator --help`'s, the README's block under "### `audiencectl emulator`"
// and docs/emulator.md's first. Its help said `audiencectl emulator --data-dir .emulator
// --storage-root ./data`, which an empty directory refuses (`--storage-root: ./data does not
// exist: create it, ...`): the README's block makes ./data first; the help now names `.`.
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

/** The text of the `nth` ```sh block after `heading` in `file` of the repository. */
async function docText(file: string, heading: string, nth = 0): Promise<string> {
  const text = await readFile(path.join(root, file), 'utf8');
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`${file} has no "${heading}"`);
  const block = [...text.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)][nth]?.[1];
  if (block === undefined) throw new Error(`${file} has no sh block ${nth} after "${heading}"`);
  return block;
}

async function docBlock(file: string, heading: string): Promise<string[]> {
  return commands(await docText(file, heading));
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

/** A built emulator on a free port, until `fn` ends: its URL. */
async function withStandaloneEmulator(fn: (url: string) => Promise<void>): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'emulator', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`the emulator ended: ${output}`)));
    });
    await fn(url);
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

// The blocks that point audiencectl at an emulator (`audiencectl emulator --port 8080` in
// another terminal) and apply the examples "from a checkout of audiencectl", pasted into sh in
// this checkout as one script: the emulator here listens on a free port, which stands for 8080.
describe('the blocks that point audiencectl at a running emulator run as written', () => {
  it.each([
    ['README.md', '### `audiencectl emulator`', 1],
    ['docs/emulator.md', '## Pointing audiencectl at it', 0],
  ])('%s, %s', async (file, heading, nth) => {
    const text = await docText(file, heading, nth);
    expect(text).toContain('http://127.0.0.1:8080/');
    await withTempDir(async (dir) => {
      const bin = await binDir(dir);
      await withStandaloneEmulator(async (url) => {
        const script = `set -e\n${text.replaceAll('http://127.0.0.1:8080', url)}`;
        const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
          (resolve, reject) => {
            const child = spawn('sh', ['-c', script], {
              cwd: root,
              stdio: ['ignore', 'pipe', 'pipe'],
              // mktemp -d makes the state under the test's directory, removed with it.
              env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1', TMPDIR: dir },
            });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
            child.on('error', reject);
            child.on('close', (code) => resolve({ code, stdout, stderr }));
          },
        );
        expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
        expect(result.stdout).toContain('Apply: 15 applied, 0 run(s) still running, 0 failed, 0 blocked');
        expect(result.stdout).toContain('No changes. The audiences match the manifests.');
      });
    });
  });
});
