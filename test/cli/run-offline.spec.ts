import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, withTempDir } from '../helpers/cli.js';

describe('run --dry-run', () => {
  it('starts without AEP credentials, says so, plans, and stops cleanly', async () => {
    await withTempDir(async (state) => {
      const env: Record<string, string | undefined> = { ...process.env };
      for (const name of ['AEP_CLIENT_ID', 'AEP_CLIENT_SECRET', 'AEP_ORG_ID', 'AUDIENCECTL_CONFIG'])
        delete env[name];
      const args = [
        'run',
        '--dir',
        'examples/audiences',
        '--dry-run',
        '--listen',
        '127.0.0.1:0',
        '--state',
        state,
      ];
      const child = spawn(process.execPath, [CLI, ...args], { env });
      let logs = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve, reject) => {
        const take = (chunk: Buffer) => {
          logs += chunk.toString();
          if (logs.includes('"msg":"reconcile finished"')) resolve();
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        child.on('close', () => reject(new Error(`exited early:\n${logs}`)));
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain(
        'no AEP credentials: the dry-run controller plans and publishes, and makes no API call',
      );
      expect(logs).not.toMatch(/"level":50|Invalid AEP configuration/);
    });
  });
});
