import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, helm, helmBinaries, repoRoot } from './helm.js';

const ciFiles = (await readdir(path.join(chartDir, 'ci'))).filter((name) => name.endsWith('.yaml'));

describe.each(helmBinaries())('helm $major', (bin) => {
  it('is the major it claims to be', async () => {
    const { stdout } = await helm(bin, ['version', '--short']);
    expect(stdout).toMatch(new RegExp(`^v${bin.major}\\.`));
  });

  it('lints the chart with its defaults, strictly', async () => {
    const result = await helm(bin, ['lint', '--strict', chartDir]);
    expect(result.stdout + result.stderr, 'lint output').toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it.each(ciFiles)('lints the chart with ci/%s, strictly', async (name) => {
    const result = await helm(bin, ['lint', '--strict', chartDir, '-f', path.join(chartDir, 'ci', name)]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });
});

describe('chart package', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-chart-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('has an appVersion equal to the npm package version, so the default image tag exists', async () => {
    const chart = parse(await readFile(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'audiencectl', appVersion: pkg.version });
  });

  it('packages into the archive that the release pushes as an OCI artifact', async () => {
    const [bin] = helmBinaries();
    if (!bin) throw new Error('no helm');
    const result = await helm(bin, ['package', chartDir, '--destination', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const chart = parse(await readFile(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string };
    expect(await readdir(out)).toEqual([`audiencectl-${chart.version}.tgz`]);
  });
});
