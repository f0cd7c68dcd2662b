import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordPath } from '../../src/state/paths.js';
import { CLI, runCli, withTempDir } from '../helpers/cli.js';
import { applyOnTerminal } from '../helpers/terminal.js';
import { manifestYaml } from '../helpers/manifests.js';
import { aRecord } from '../state/helpers.js';

const STACK = /\n\s+at [\w.<]/;

/** Runs the CLI, reads its first line of output, then closes the pipe (as `| head -1` does). */
function firstLineThenClose(args: string[]): Promise<{ code: number | null; line: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, line: out.split('\n')[0] ?? '', stderr }));
  });
}

describe('no stack trace for anything a user can do', () => {
  const run = ['run', '--dir', 'examples/audiences', '--emulator', '--dry-run', '--listen'];
  it.concurrent.each([
    [
      ['plan', 'examples/audiences', '--out', '/nonexistent/dir/x.json'],
      '--out: the directory /nonexistent/dir does not exist',
    ],
    [['plan', 'examples/audiences', '--out', 'examples'], '--out: examples is a directory; name a file'],
    [[...run, '999.1.1.1:80'], '--listen: cannot listen on 999.1.1.1:80 (ENOTFOUND: no such host)'],
    [
      [...run, 'no-such-host.invalid:80'],
      '--listen: cannot listen on no-such-host.invalid:80 (ENOTFOUND: no such host)',
    ],
  ])('%j: one line, exit 1', async (args, line) => {
    await withTempDir(async (dir) => {
      const result = await runCli([...args, '--state', dir]);
      expect(result.stderr).toBe(`Error: ${line}\n`);
      expect(result.code).toBe(1);
    });
  });

  it('emulator --host 999.1.1.1: one line, exit 1', async () => {
    const result = await runCli(['emulator', '--host', '999.1.1.1', '--port', '0']);
    expect(result.stderr).toBe('Error: --host: cannot listen on 999.1.1.1:0 (ENOTFOUND: no such host).\n');
    expect(result.code).toBe(1);
  });

  it('a closed standard output ends `validate` and `state list` quietly, with their own exit code', async () => {
    await withTempDir(async (dir) => {
      // Enough output to overflow a pipe (64 KiB): two error lines a document (about 200 kB; a
      // file of more than 1,000 documents would be refused in one line), a line a record (about 120 kB).
      const broken = 'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: { name: Not_A_Key }\n';
      await writeFile(path.join(dir, 'many.yaml'), Array.from({ length: 1000 }, () => broken).join('---\n'));
      const state = path.join(dir, 'state');
      const records = Array.from({ length: 3000 }, (_, i) => aRecord(`aud-${i}`));
      await mkdir(path.dirname(recordPath(state, 'prod', 'any')), { recursive: true });
      await Promise.all(
        records.map((record) => writeFile(recordPath(state, 'prod', record.key), JSON.stringify(record))),
      );
      const [validate, list] = await Promise.all([
        firstLineThenClose(['validate', dir]),
        firstLineThenClose(['state', 'list', '--state', state]),
      ]);
      expect(validate.line).toMatch(/^\S*many\.yaml:\d+:\d+: error: /);
      expect(list.line).toMatch(/^SANDBOX\s+KEY/);
      expect(validate).toMatchObject({ stderr: '', code: 1 }); // the manifests are invalid
      expect(list).toMatchObject({ stderr: '', code: 0 });
    });
  });
});

describe('the apply prompt', () => {
  it.concurrent.each([
    ['Ctrl-C', '\u0003'],
    ['Ctrl-D', '\u0004'],
    ['no', 'no\r'],
  ])(
    '%s cancels: nothing changed, exit 1, no stack trace; the prompt names the org and sandboxes',
    async (_name, keys) => {
      await withTempDir(async (dir) => {
        await mkdir(path.join(dir, 'm'));
        await writeFile(
          path.join(dir, 'm', 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false } }),
        );
        const state = path.join(dir, 'state');
        await mkdir(state);
        const result = await applyOnTerminal([path.join(dir, 'm'), '--emulator', '--state', state], keys);
        expect(result.output).toMatch(
          /This changes sandbox prod of AEP org DEMO0RG0000000000000000@AdobeOrg/,
        );
        expect(result.output).toMatch(/Apply these 1 step\(s\)\? Only "yes" is accepted: /);
        expect(result.output).toContain('Apply cancelled; nothing was changed.');
        expect(result.output).not.toMatch(STACK);
        expect(result.code).toBe(1);
      });
    },
  );
});
