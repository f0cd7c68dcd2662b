import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('audiencectl --version', () => {
  it('prints the package version and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli/main.js', '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
