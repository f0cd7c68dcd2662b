import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import type { Plan } from '../../src/plan/schema.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';

// Paths and file kinds a user can hand the CLI by mistake: each gets a one-line error
// naming the path (or a warning saying what is wrong), never a hang or an internal error.

const execFileAsync = promisify(execFile);

/** In `dir`: m/ holding gold's manifest, and an empty directory store, state/. */
async function goldAndStore(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'm'));
  await writeFile(path.join(dir, 'm', 'gold.yaml'), manifestYaml('gold'));
  await mkdir(path.join(dir, 'state'));
}
const run = (cwd: string, command: string, ...args: string[]) =>
  execFileAsync(command, args, { cwd, env: { ...process.env, ...GIT_ENV } });

describe('validate given a path that is neither a file nor a directory', () => {
  it('refuses a FIFO by name instead of waiting for a writer', async () => {
    await withTempDir(async (dir) => {
      await run(dir, 'mkfifo', 'pipe.yaml');
      const result = await runCli(['validate', 'pipe.yaml'], { cwd: dir });
      expect(result.stderr).toBe('Error: pipe.yaml: not a regular file or a directory\n');
      expect(result.stdout).toBe('');
      expect(result.code).toBe(1);
    });
  });
});

describe('plan given a manifests directory that is not one', () => {
  it('says a missing one does not exist, and a file is not a directory', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
      await mkdir(path.join(dir, 'state'));
      // The built CLI for the first; the same CLI entry in this process for the others (the same
      // code and output).
      const missing = await runCli(['plan', 'audiences', '--state', 'state'], { cwd: dir });
      expect([missing.code, missing.stdout, missing.stderr]).toEqual([
        1,
        '',
        'Error: audiences does not exist: give the directory of the manifests\n',
      ]);
      const file = await runCliInProcess(['plan', 'gold.yaml', '--state', 'state'], { cwd: dir });
      expect([file.code, file.stdout, file.stderr]).toEqual([
        1,
        '',
        'Error: gold.yaml is not a directory: give the directory of the manifests (every manifest under it is read; --include selects files)\n',
      ]);
      // A missing .json is a saved plan that is not there, not a directory of manifests.
      const plan = await runCliInProcess(
        ['apply', 'plan.json', '--state', 'state', '--emulator', '--auto-approve'],
        { cwd: dir },
      );
      expect([plan.code, plan.stdout, plan.stderr]).toEqual([
        1,
        '',
        'Error: plan.json does not exist: save a plan with `audiencectl plan MANIFESTS_DIR --output json --out plan.json --state state` (MANIFESTS_DIR: your manifests directory), or give the directory of the manifests\n',
      ]);
    });
  });
});

describe('a saved plan not named *.json (review 20b, L3)', () => {
  it('plan warns it will not be taken as one; apply, given it, says a saved plan must end in .json', async () => {
    await withTempDir(async (dir) => {
      await goldAndStore(dir);
      const planned = await runCliInProcess(
        ['plan', 'm', '--state', 'state', '--output', 'json', '--out', 'plan.out'],
        { cwd: dir },
      );
      expect(planned.code).toBe(0);
      expect(planned.stderr).toContain(
        'Warning: --out plan.out: `apply` takes a file as a saved plan only when its name ends in .json; name it plan.out.json to apply it\n',
      );
      const applied = await runCli(
        ['apply', 'plan.out', '--state', 'state', '--emulator', '--auto-approve'],
        {
          cwd: dir,
        },
      );
      expect([applied.code, applied.stdout, applied.stderr]).toEqual([
        1,
        '',
        'Error: plan.out is not a directory: give the directory of the manifests, or a plan saved with `plan --output json --out` under a name ending in .json (apply takes a file as a saved plan only by that suffix)\n',
      ]);
    });
  });
});

describe('plan --out plan.json without --output json', () => {
  // It wrote the text plan there without a word, and `apply plan.json` then refused it.
  it.each(['text', 'markdown'])(
    'warns that the %s plan is written, which apply does not take',
    async (output) => {
      await withTempDir(async (dir) => {
        await goldAndStore(dir);
        const planned = await runCliInProcess(
          [
            'plan',
            'm',
            '--state',
            'state',
            ...(output === 'text' ? [] : ['--output', output]),
            '--out',
            'plan.json',
          ],
          { cwd: dir },
        );
        expect(planned.code).toBe(0);
        expect(planned.stderr).toContain(
          `Warning: --out plan.json: the ${output} plan is written, which \`apply\` does not take; add --output json to save a plan it can apply\n`,
        );
        const json = await runCliInProcess(
          ['plan', 'm', '--state', 'state', '--output', 'json', '--out', 'plan.json'],
          {
            cwd: dir,
          },
        );
        expect([json.code, json.stderr.includes('Warning')]).toEqual([0, false]);
      });
    },
  );

  // A stream is no saved plan: "name it /dev/stdout.json to apply it" was said of it. Its
  // stdout redirected by the shell to a file, as `plan … --out /dev/stdout > x` does.
  it('warns of nothing when --out is /dev/stdout', async () => {
    await withTempDir(async (dir) => {
      await goldAndStore(dir);
      const planned = await runCli(
        ['plan', 'm', '--state', 'state', '--output', 'json', '--out', '/dev/stdout'],
        {
          cwd: dir,
          shellFirst: 'exec > printed',
        },
      );
      expect(planned.code, planned.stderr).toBe(0);
      const printed = JSON.parse(await readFile(path.join(dir, 'printed'), 'utf8')) as {
        steps: { id: string }[];
      };
      expect(printed.steps.map((step) => step.id)).toContain('prod/gold:create');
      expect(planned.stderr).not.toContain('Warning');
    });
  });
});

describe('a manifest file given for the manifests directory', () => {
  it('apply names --include; state import, which has none, does not', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
      await mkdir(path.join(dir, 'state'));
      const apply = await runCliInProcess(
        ['apply', 'gold.yaml', '--state', 'state', '--emulator', '--auto-approve'],
        {
          cwd: dir,
        },
      );
      expect([apply.code, apply.stdout, apply.stderr]).toEqual([
        1,
        '',
        'Error: gold.yaml is not a directory: give the directory of the manifests (every manifest under it is read; --include selects files)\n',
      ]);
      const notDirectory =
        'Error: gold.yaml is not a directory: give the directory of the manifests (every manifest under it is read)\n';
      const id = '60ccea95-1435-4180-97a5-58af4aa285ab';
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', 'gold.yaml', '--audience-id', id, '--state', 'state'],
        { cwd: dir },
      );
      expect([imported.code, imported.stdout, imported.stderr]).toEqual([1, '', notDirectory]);
      const discovered = await runCliInProcess(
        ['state', 'import', '--discover', 'gold.yaml', '--state', 'state'],
        // Never used: the directory is refused before any request. Not a word: loading the
        // credentials registers the secret for this process, which the specs after it share
        // (isolate: false), and 'secret' was then scrubbed from their expected texts.
        {
          cwd: dir,
          env: {
            AEP_CLIENT_ID: 'id',
            AEP_CLIENT_SECRET: 'edge-inputs-unused-secret-4f1c',
            AEP_ORG_ID: 'ORG@AdobeOrg',
          },
        },
      );
      expect([discovered.code, discovered.stdout, discovered.stderr]).toEqual([1, '', notDirectory]);
    });
  });
});

const BROKEN_LINK =
  'symlink target does not exist (or is a loop): the audiences it defined are left as they are and deletions are held; restore its target, or remove the link [source/symlink-broken]';

describe('a manifests directory holding a broken symlink', () => {
  it('validate says the target is missing, not that it points outside', async () => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'audiences'));
      await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      await symlink('renamed.yaml', path.join(dir, 'audiences', 'silver.yaml'));
      const result = await runCli(['validate', 'audiences'], { cwd: dir });
      expect(result.stdout).toContain(`audiences/silver.yaml: error: ${BROKEN_LINK}`);
      expect(result.stdout).not.toContain('outside');
      expect(result.code).toBe(1);
    });
  });

  it('plan never reads the link as a removed manifest: its audience is held, not deleted', async () => {
    await withTempDir(async (dir) => {
      const store = new FileStateStore(path.join(dir, 'state'));
      await store.lock();
      try {
        for (const [key, manifestFile] of [
          ['gold', 'gold.yaml'],
          ['silver', 'silver.yaml'],
          ['bronze', 'bronze/bronze.yaml'],
        ] as const)
          await store.put({ ...newRecord('prod', key), audienceId: `id-${key}`, manifestFile });
      } finally {
        await store.close();
      }
      // gold.yaml linked to a file that was renamed since; bronze/ to a folder renamed since.
      await writeFiles(path.join(dir, 'm'), {
        'silver.yaml': manifestYaml('silver'),
        'templates/README': '',
      });
      await symlink('templates/gold', path.join(dir, 'm', 'gold.yaml'));
      await symlink('templates/bronze', path.join(dir, 'm', 'bronze'));
      const result = await runCli(['plan', 'm', '--state', 'state', '--output', 'json'], { cwd: dir });
      const plan = JSON.parse(result.stdout) as Plan;
      expect(plan.steps.filter((step) => step.key !== 'silver')).toEqual([]);
      const reason = 'not found, but some file could not be read; deletions are held until it is fixed';
      // gold.yaml is the record's own file, which the diagnostics name (review controller-48);
      // bronze's record names a file under the folder the link stood for.
      expect(plan.held).toEqual([
        { sandbox: 'prod', key: 'bronze', reason },
        { sandbox: 'prod', key: 'gold', reason: 'gold.yaml has errors; the audience is left as it is' },
      ]);
      expect(plan.diagnostics.map((d) => `${d.file}: ${d.severity}: ${d.message} [${d.rule}]`)).toEqual([
        `bronze: error: ${BROKEN_LINK}`,
        `gold.yaml: error: ${BROKEN_LINK}`,
      ]);
    });
  });
});

describe('a manifest file that became a FIFO or a socket', () => {
  it('plan never reads it as a removed manifest: it names the path, and holds the audience it defined', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(path.join(dir, 'm'), {
        'gold.yaml': manifestYaml('gold'),
        'silver.yaml': manifestYaml('silver'),
        'bronze.yaml': manifestYaml('bronze'),
      });
      // Recorded by an apply, against the embedded emulator.
      for (const args of [
        ['init', '--state', 'state', '--emulator'],
        ['apply', 'm', '--state', 'state', '--emulator', '--auto-approve'],
      ]) {
        const applied = await runCliInProcess(args, { cwd: dir });
        expect([applied.code, applied.stderr]).toEqual([0, expect.any(String)]);
      }
      await rm(path.join(dir, 'm', 'gold.yaml'));
      await run(dir, 'mkfifo', path.join('m', 'gold.yaml'));
      await rm(path.join(dir, 'm', 'silver.yaml'));
      const socket = createServer();
      await new Promise<void>((resolve) => socket.listen(path.join(dir, 'm', 'silver.yaml'), resolve));
      try {
        // Each record's own file, as the diagnostics name it (review controller-48).
        const held = (file: string) => `${file} has errors; the audience is left as it is`;
        const never =
          'not a regular file: never opened; the audiences it defined are left as they are and deletions are held; make it a file again, or remove it [source/not-a-file]';
        const planned = [
          1,
          '',
          [
            'No steps planned, but the plan has 2 error(s). They are listed under Diagnostics; until they are fixed, what they hide is not planned.',
            '',
            'Held (left alone): 2',
            `  prod/gold: ${held('gold.yaml')}`,
            `  prod/silver: ${held('silver.yaml')}`,
            '',
            'Diagnostics:',
            `  gold.yaml: error: it is a named pipe (FIFO), ${never}`,
            `  silver.yaml: error: it is a socket, ${never}`,
            '',
          ].join('\n'),
        ];
        // No manifest cache yet: the listing is taken here.
        const first = await runCliInProcess(['plan', 'm', '--state', 'state'], { cwd: dir });
        expect([first.code, first.stderr, first.stdout]).toEqual(planned);
        // Through the cache the first wrote: the listing is taken by the fact scan's thread.
        expect(existsSync(path.join(dir, 'state', 'manifest-cache.jsonl'))).toBe(true);
        const second = await runCli(['plan', 'm', '--state', 'state'], { cwd: dir });
        expect([second.code, second.stderr, second.stdout]).toEqual(planned);
      } finally {
        await new Promise((resolve) => socket.close(resolve));
      }
    });
  });
});

/** A store (meta.json) in `dir`/state with an empty sandbox folder, prod. */
async function storeWithSandbox(dir: string): Promise<string> {
  const store = path.join(dir, 'state');
  await mkdir(path.join(store, 'audiences', 'prod'), { recursive: true });
  await writeFile(
    path.join(store, 'meta.json'),
    '{"schemaVersion":1,"lineage":"8d494feb-915e-4146-ae5c-dc61fe21d7de","serial":1}\n',
  );
  return store;
}

describe('a state store holding a FIFO or a broken symlink', () => {
  it('state list refuses the record instead of waiting for a writer', async () => {
    await withTempDir(async (dir) => {
      const store = await storeWithSandbox(dir);
      await run(dir, 'mkfifo', path.join(store, 'audiences', 'prod', 'gold.json'));
      const result = await runCli(['state', 'list', '--state', store]);
      expect(result.stderr).toBe(
        `Error: cannot read state file ${store}/audiences/prod/gold.json: it is a named pipe (FIFO), not a regular file\n`,
      );
      expect(result.code).toBe(1);
    });
  });

  it('plan refuses a record that is a symlink to a missing file, instead of planning a create', async () => {
    await withTempDir(async (dir) => {
      const store = await storeWithSandbox(dir);
      await symlink('/nonexistent/gold.json', path.join(store, 'audiences', 'prod', 'gold.json'));
      await mkdir(path.join(dir, 'audiences'));
      await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      const result = await runCli(['plan', 'audiences', '--state', store], { cwd: dir });
      expect(result.stderr).toBe(
        `Error: cannot read state file ${store}/audiences/prod/gold.json: it is a symlink to a missing file; restore the file or remove the link\n`,
      );
      expect(result.stdout).toBe('');
      expect(result.code).toBe(1);
    });
  });

  it('plan refuses a FIFO meta.json', async () => {
    await withTempDir(async (dir) => {
      const store = path.join(dir, 'state');
      await mkdir(path.join(dir, 'audiences'));
      await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      await mkdir(store);
      await run(dir, 'mkfifo', path.join(store, 'meta.json'));
      const result = await runCli(['plan', 'audiences', '--state', store], { cwd: dir });
      expect(result.stderr).toBe(
        `Error: cannot read state file ${store}/meta.json: it is a named pipe (FIFO), not a regular file\n`,
      );
      expect(result.code).toBe(1);
    });
  });
});

describe('plan --base where git cannot give the base', () => {
  it('says a directory outside any repository is not in one', async () => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'audiences'));
      await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      const result = await runCli(['plan', 'audiences', '--base', 'HEAD'], {
        cwd: dir,
        env: { ...GIT_ENV, GIT_CEILING_DIRECTORIES: dir },
      });
      expect(result.stderr).toBe(
        'Error: --base: audiences is not in a git repository; run plan --base in a checkout of the manifests\n',
      );
      expect(result.code).toBe(1);
    });
  });

  it('says a repository has no commits yet', async () => {
    await withTempDir(async (dir) => {
      await run(dir, 'git', 'init', '-q', '-b', 'main');
      await mkdir(path.join(dir, 'audiences'));
      await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      const result = await runCli(['plan', 'audiences', '--base', 'main'], { cwd: dir, env: GIT_ENV });
      expect(result.stderr).toBe(
        'Error: --base: cannot resolve "main" in the git repository at audiences: the repository has no commits yet\n',
      );
      expect(result.code).toBe(1);
    });
  });

  it('says a shallow clone lacks the history, and how to fetch it', async () => {
    await withTempDir(async (dir) => {
      const origin = path.join(dir, 'origin');
      await mkdir(path.join(origin, 'audiences'), { recursive: true });
      await run(origin, 'git', 'init', '-q', '-b', 'main');
      await writeFile(path.join(origin, 'audiences', 'gold.yaml'), manifestYaml('gold'));
      await run(origin, 'git', 'add', '.');
      await run(origin, 'git', 'commit', '-q', '-m', 'one');
      await writeFile(path.join(origin, 'audiences', 'silver.yaml'), manifestYaml('silver'));
      await run(origin, 'git', 'add', '.');
      await run(origin, 'git', 'commit', '-q', '-m', 'two');
      await run(dir, 'git', 'clone', '-q', '--depth', '1', `file://${origin}`, 'clone');
      const result = await runCli(['plan', 'audiences', '--base', 'HEAD~1'], {
        cwd: path.join(dir, 'clone'),
        env: GIT_ENV,
      });
      expect(result.stderr).toBe(
        'Error: --base: cannot resolve "HEAD~1" in the git repository at audiences: it is a shallow clone; fetch the history and the base branch (actions/checkout: fetch-depth: 0)\n',
      );
      expect(result.code).toBe(1);
    });
  });
});
