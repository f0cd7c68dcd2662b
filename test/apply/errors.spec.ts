import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { apply, emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { CLI, runCli, withTempDir } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

const STACK = /\n\s+at [\w.<]/;

describe('apply: locks, configuration and credentials', () => {
  it('refuses a second concurrent apply with a clear message', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const env = emulatorEnv(emulator);
        // The first apply's create is held unanswered until the second apply has run: it
        // holds the lock throughout, however loaded the machine is.
        let reached!: () => void;
        const creating = new Promise<void>((resolve) => (reached = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let creates = 0;
        const stop = emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'createAudience' || ++creates > 1) return undefined;
          reached();
          return released;
        });
        const first = spawn(process.execPath, [CLI, 'apply', dir.dir, '--state', state, '--auto-approve'], {
          env: { ...process.env, ...env },
          stdio: 'ignore',
        });
        const firstExit = new Promise<number | null>((resolve) => first.on('exit', resolve));
        try {
          const seen = await Promise.race([creating.then(() => 'create'), firstExit.then(() => 'exit')]);
          if (seen === 'exit') throw new Error('the first apply ended before its create request');
          const second = await apply(dir.dir, state, env);
          expect(second.code).toBe(1);
          expect(second.stderr).toMatch(/^Error: .*locked by pid \d+ on host .* \(audiencectl apply\)/m);
          expect(second.stderr).toMatch(/--lock-timeout/);
          expect(second.stderr).not.toMatch(STACK);
        } finally {
          release();
          stop();
        }
        expect(await firstExit).toBe(0);
      });
    });
  });

  it('names the missing settings when no credentials are configured', async () => {
    await withTempDir(async (tmp) => {
      const dir = new ManifestDir(path.join(tmp, 'm'));
      await dir.write([manifestObject('gold')]);
      await mkdir(path.join(tmp, 's'));
      const result = await runCli(['apply', dir.dir, '--state', path.join(tmp, 's'), '--auto-approve'], {
        env: { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/AEP_CLIENT_ID/);
      expect(result.stderr).not.toMatch(STACK);
    });
  });

  it('reports a broken config file with its path, and refuses to run without a terminal unless --auto-approve', async () => {
    await withTempDir(async (tmp) => {
      const dir = new ManifestDir(path.join(tmp, 'm'));
      await dir.write([manifestObject('gold')]);
      const config = path.join(tmp, 'audiencectl.yaml');
      await import('node:fs/promises').then((fs) => fs.writeFile(config, 'sandboxes: [oops\n'));
      await mkdir(path.join(tmp, 's'));
      const broken = await runCli([
        'apply',
        dir.dir,
        '--state',
        path.join(tmp, 's'),
        '--auto-approve',
        '--config',
        config,
      ]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain(config);
      expect(broken.stderr).not.toMatch(STACK);

      const noTty = await runCli(['apply', dir.dir, '--state', path.join(tmp, 's')]);
      expect(noTty).toMatchObject({ code: 1 });
      expect(noTty.stderr).toMatch(/pass --auto-approve/);
    });
  });

  it('never shows the client secret or a token: bad credentials, server errors, state, plans', async () => {
    const canary = `canary-secret-${Math.random().toString(36).slice(2)}`;
    const client = { clientId: 'canary-client', clientSecret: canary, orgId: 'CANARY0RG@AdobeOrg' };
    await withEmulator(
      { clients: [client, DEMO_CLIENT], operationDelayMs: 10, runStageDelayMs: 10 },
      async (emulator) => {
        await withTempDir(async (tmp) => {
          const dir = new ManifestDir(path.join(tmp, 'm'));
          await dir.write([manifestObject('gold'), manifestObject('silver')]);
          const state = path.join(tmp, 'state');
          await mkdir(state);
          const env = emulatorEnv(emulator, {
            AEP_CLIENT_ID: client.clientId,
            AEP_CLIENT_SECRET: canary,
            AEP_ORG_ID: client.orgId,
          });
          const outputs: string[] = [];

          // A wrong secret that contains the real one.
          const bad = await apply(dir.dir, state, { ...env, AEP_CLIENT_SECRET: `${canary}-wrong` });
          outputs.push(bad.stdout, bad.stderr);
          expect(bad.code).toBe(1);
          expect(bad.stderr).not.toMatch(STACK);

          // Server errors on the way, then success.
          emulator.control.setFaults({ error500: 0.3, error502: 0.2, seed: 3 });
          for (let i = 0; i < 4; i += 1) {
            const result = await apply(dir.dir, state, env);
            outputs.push(result.stdout, result.stderr);
          }
          emulator.control.clearFaults();
          const planned = await runCli(['plan', dir.dir, '--state', state, '--output', 'json']);
          outputs.push(planned.stdout, planned.stderr);
          for (const sandbox of await readdir(path.join(state, 'audiences'))) {
            for (const file of await readdir(path.join(state, 'audiences', sandbox))) {
              outputs.push(await readFile(path.join(state, 'audiences', sandbox, file), 'utf8'));
            }
          }
          const token = emulator.control.issueToken(client.clientId);
          for (const text of outputs) {
            expect(text).not.toContain(canary);
            expect(text).not.toContain(token.slice(0, 40));
          }
          expect(outputs.join('').length).toBeGreaterThan(1000);
        });
      },
    );
  });
});
