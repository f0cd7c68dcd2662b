import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { readState } from '../../src/state/read.js';
import { emulatorEnv, remoteByName } from '../helpers/apply-env.js';
import { type CliResult, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

const STACK = /\n\s+at [\w.<]/;

function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^Error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(STACK);
}

describe('--include / --exclude', () => {
  it('are repeatable single-value options that never swallow the directory argument', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(path.join(tmp, 'm'), {
        'gold.yaml': manifestYaml('gold'),
        'silver.yaml': manifestYaml('silver'),
        'drafts/broken.yaml': 'spec: [unclosed\n',
      });
      const excluded = await runCliInProcess(['validate', '--exclude', 'drafts/**', 'm'], { cwd: tmp });
      expect(excluded).toMatchObject({ code: 0 });
      expect(excluded.stdout).toContain('2 valid manifest(s); 0 error(s)');

      const both = await runCliInProcess(
        ['validate', 'm', '--include', 'gold.yaml', '--include', 'silver.yaml'],
        {
          cwd: tmp,
        },
      );
      expect(both.stdout).toContain('2 valid manifest(s); 0 error(s)');
      const one = await runCliInProcess(['validate', '--include', 'gold.yaml', 'm'], { cwd: tmp });
      expect(one.stdout).toContain('1 valid manifest(s); 0 error(s)');
    });
  });
});

describe('sandbox names', () => {
  it('are checked before anything is planned or sent, naming the flag or variable', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        await writeFiles(path.join(tmp, 'm'), { 'gold.yaml': manifestYaml('gold') });
        await mkdir(path.join(tmp, 'state'));
        const env = emulatorEnv(emulator);
        const common = [path.join(tmp, 'm'), '--state', path.join(tmp, 'state')];
        expectOneLineError(
          await runCliInProcess(['plan', ...common, '--sandbox', 'Bad_One']),
          /--sandbox: invalid sandbox name "Bad_One": use lowercase letters, digits and "-"/,
        );
        expectOneLineError(
          await runCliInProcess(['apply', ...common, '--auto-approve'], {
            env: { ...env, AEP_SANDBOX: 'Bad_One' },
          }),
          /AEP_SANDBOX: invalid sandbox name "Bad_One"/,
        );
        expect(emulator.control.counters().requests).toBe(0);
      });
    });
  });
});

describe('a missing state store', () => {
  it(
    'apply refuses it and names init; plan warns loudly; init creates it; an empty directory is a store',
    { timeout: 120_000 },
    async () => {
      await withTempDir(async (tmp) => {
        const manifests = path.join(tmp, 'm');
        await writeFiles(manifests, { 'gold.yaml': manifestYaml('gold') });
        const typo = path.join(tmp, 'stat');

        const refused = await runCliInProcess([
          'apply',
          manifests,
          '--state',
          typo,
          '--emulator',
          '--auto-approve',
        ]);
        expectOneLineError(
          refused,
          /no state store at .*stat .*create it with `audiencectl init --state .*stat --emulator`/,
        );
        expect(existsSync(typo)).toBe(false);

        const planned = await runCliInProcess(['plan', manifests, '--state', typo]);
        expect(planned.code).toBe(0);
        expect(planned.stderr).toContain(`WARNING: no state store at ${typo}`);
        expect(planned.stderr).toContain('WARNING: planning as if nothing was ever applied');

        const created = await runCliInProcess(['init', '--state', typo, '--emulator']);
        expect(created.code).toBe(0);
        expect(created.stdout).toMatch(
          /^Credentials: IMS at http:\/\/127\.0\.0\.1:\d+\/.* issued a token to client audiencectl-demo/,
        );
        expect(created.stdout).toContain(`directory state ready at ${typo}`);
        expect(created.stdout).not.toContain(DEMO_CLIENT.clientSecret);
        expect(existsSync(typo)).toBe(true);
        expect((await runCliInProcess(['init', '--state', typo, '--emulator'])).code).toBe(0);

        const empty = await runCliInProcess(['plan', manifests, '--state', typo]);
        expect(empty.code).toBe(0);
        expect(empty.stderr).not.toContain('WARNING');
        const applied = await runCliInProcess([
          'apply',
          manifests,
          '--state',
          typo,
          '--emulator',
          '--auto-approve',
        ]);
        expect(applied.code).toBe(0);
      });
    },
  );

  it('init checks the credentials with IMS before creating anything', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = path.join(tmp, 'state');
        const bad = await runCliInProcess(['init', '--state', state], {
          env: { ...emulatorEnv(emulator), AEP_CLIENT_SECRET: 'wrong-secret' },
        });
        expectOneLineError(
          bad,
          /IMS refused the client secret of client audiencectl-demo: check AEP_CLIENT_SECRET/,
        );
        expect(bad.stderr).not.toContain('wrong-secret');
        expect(existsSync(state)).toBe(false);
        const good = await runCliInProcess(['init', '--state', state], { env: emulatorEnv(emulator) });
        expect(good.code).toBe(0);
        expect(existsSync(state)).toBe(true);
      });
    });
  });
});

describe('deletion scope, end to end against the emulator', () => {
  it(
    'filters leave other audiences alone, a changed sandbox is a blocked move, a removed manifest in scope deletes',
    { timeout: 120_000 },
    async () => {
      // A service that takes the page's other readings: apply keeps what it learned in the state.
      const compat = { operationsPath: 'singular', sourceSpec: 'flat' } as const;
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5, compat }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const m = path.join(tmp, 'm');
          const state = path.join(tmp, 'state');
          await mkdir(state);
          const env = emulatorEnv(emulator);
          const silver = manifestYaml('silver', { ingestion: { onCreate: false } });
          await writeFiles(m, {
            'team-a/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
            'team-b/silver.yaml': silver,
          });
          const run = (args: string[], extra: Record<string, string> = {}) =>
            runCliInProcess([...args, '--state', state], { env: { ...env, ...extra } });
          expect((await run(['apply', m, '--auto-approve'])).code).toBe(0);
          expect(JSON.parse(await readFile(path.join(state, 'compat.json'), 'utf8'))).toEqual({
            schemaVersion: 1,
            baseUrls: { [emulator.apiBaseUrl]: { operationsPath: 'singular', sourceSpec: { prod: 'flat' } } },
          });
          const files = (await readState(state)).audiences.map((r) => [r.key, r.manifestFile]);
          expect(files.sort()).toEqual([
            ['gold', 'team-a/gold.yaml'],
            ['silver', 'team-b/silver.yaml'],
          ]);

          // Out of scope: silver's file is outside --include, so removing it deletes nothing.
          await rm(path.join(m, 'team-b'), { recursive: true });
          const filtered = await run(['plan', m, '--include', 'team-a/**']);
          expect(filtered.code).toBe(0);
          expect(filtered.stdout).toContain('No changes.');
          expect(filtered.stdout).toContain('Out of scope: 1 recorded audience(s)');
          // A plan saved with the filters applies with them: re-planned in the same scope.
          const goldEdited = manifestYaml('gold', {
            ingestion: { onCreate: false },
            spec: { description: 'Edited' },
          });
          await writeFiles(m, { 'team-a/gold.yaml': goldEdited });
          const saved = path.join(tmp, 'p.json');
          const scoped = await run(['plan', m, '--include', 'team-a/**', '--output', 'json', '--out', saved]);
          expect(scoped.code).toBe(0);
          const applied = await run(['apply', saved, '--auto-approve']);
          expect(applied.stderr).not.toMatch(/Error/);
          expect(applied.code).toBe(0);
          expect(applied.stdout).toContain('1 applied');
          expect(remoteByName(emulator).get('Audience gold')?.description).toBe('Edited');
          expect([...remoteByName(emulator).keys()].sort()).toEqual(['Audience gold', 'Audience silver']);

          // A changed default sandbox moves every audience: blocked, never delete + create.
          await writeFiles(m, { 'team-b/silver.yaml': silver });
          const moved = await run(['plan', m, '--detailed-exitcode'], { AEP_SANDBOX: 'dev' });
          expect(moved.code).toBe(3);
          expect(moved.stdout).toContain('! prod/gold move: its manifest names no sandbox');
          expect(moved.stdout).toContain('2 to move (never applied)');
          expect(moved.stdout).not.toMatch(/ (create|delete): /);
          const markdown = await run(['plan', m, '--output', 'markdown'], { AEP_SANDBOX: 'dev' });
          expect(markdown.stdout).toContain('| 0 | 0 | 0 | 0 | 0 | 0 | 2 | 2 | 0 |');
          expect((await run(['apply', m, '--auto-approve'], { AEP_SANDBOX: 'dev' })).code).toBe(3);
          expect(remoteByName(emulator).size).toBe(2);
          expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'dev')).toEqual([]);

          // In scope: the filters read silver's file and it is gone.
          await rm(path.join(m, 'team-b'), { recursive: true });
          const deleting = await run(['plan', m, '--include', 'team-b/**', '--allow-empty-source']);
          expect(deleting.stdout).toContain('- prod/silver delete: manifest removed');
          expect(deleting.stdout).not.toContain('prod/gold');
        });
      });
    },
  );
});

describe('state import and forget hints', () => {
  it(
    'import checks the id, refuses an id recorded for another key, and starts no run',
    { timeout: 120_000 },
    async () => {
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const m = path.join(tmp, 'm');
          const state = path.join(tmp, 'state');
          await mkdir(state);
          const env = emulatorEnv(emulator);
          const request = { onCreate: true, every: '1d', request: 'r-7' };
          await writeFiles(m, {
            'gold.yaml': manifestYaml('gold', { ingestion: request }),
            'silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }),
          });
          const run = (args: string[]) => runCliInProcess([...args, '--state', state], { env });
          expect((await run(['apply', m, '--auto-approve'])).code).toBe(0);
          const ids = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId!]));
          const runsBefore = emulator.control.counters().byEndpoint.startRun.requests;
          expect((await run(['state', 'forget', 'gold'])).code).toBe(0);

          expectOneLineError(
            await run(['state', 'import', 'gold', m, '--audience-id', 'gold-id']),
            /--audience-id "gold-id" is not an audience id: AEP audience ids are UUIDs/,
          );
          expectOneLineError(
            await run(['state', 'import', 'gold', m, '--audience-id', ids.get('silver')!]),
            /audience .* is already recorded for prod\/silver/,
          );
          // With credentials, the service is asked: an audience of another name is refused.
          const other = await emulator.createAudience(audienceBody({ name: 'Not gold' }));
          expectOneLineError(
            await run(['state', 'import', 'gold', m, '--audience-id', other]),
            new RegExp(
              `audience ${other} is named "Not gold", but the manifest of prod/gold names ".+"; nothing was imported`,
            ),
          );
          const imported = await run(['state', 'import', 'gold', m, '--audience-id', ids.get('gold')!]);
          expect(imported.code).toBe(0);
          expect(imported.stdout).toContain('ingestion.request "r-7" counts as done');
          expect(imported.stdout).toContain(
            `Verified through the service: audience ${ids.get('gold')!} is the external audience`,
          );
          const record = (await readState(state)).audiences.find((r) => r.key === 'gold')!;
          expect(record).toMatchObject({ manifestFile: 'gold.yaml', imported: { ingestionRequest: 'r-7' } });

          const planned = await run(['plan', m]);
          expect(planned.stdout).toContain('~ prod/gold update: imported audience');
          expect(planned.stdout).not.toContain(' run: ');
          expect((await run(['apply', m, '--auto-approve'])).code).toBe(0);
          expect(emulator.control.counters().byEndpoint.startRun.requests).toBe(runsBefore);
          expect((await run(['plan', m])).stdout).toContain('No changes.');
        });
      });
    },
  );

  it('a removed manifest whose create was blocked is a forget, hinting state forget, never state import', async () => {
    await withTempDir(async (tmp) => {
      const state = path.join(tmp, 'state');
      const store = new FileStateStore(state);
      await store.lock();
      await store.put({
        schemaVersion: 1,
        sandbox: 'prod',
        key: 'gold',
        runs: [],
        blocked: { code: '100950-409', message: 'exists remotely, id unknown', at: '2026-11-30T00:00:00Z' },
      });
      await store.unlock();
      await writeFiles(path.join(tmp, 'm'), { 'silver.yaml': manifestYaml('silver') });
      const planned = await runCliInProcess([
        'plan',
        path.join(tmp, 'm'),
        '--state',
        state,
        '--detailed-exitcode',
      ]);
      expect(planned.code).toBe(3);
      expect(planned.stdout).toContain('- prod/gold forget: manifest removed; no audience id was recorded');
      expect(planned.stdout).toContain('run: audiencectl state forget gold --sandbox prod');
      expect(planned.stdout).not.toContain('state import gold');
      expect(planned.stdout).not.toContain('gold delete');
    });
  });
});
