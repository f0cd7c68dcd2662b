import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { HelmBinary } from './helm-binaries.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const chartDir = path.join(repoRoot, 'helm', 'audiencectl');

/** The least an applying controller's values hold: a repository, an org and AEP credentials. */
export const MINIMAL_VALUES = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

export type HelmResult = { code: number; stdout: string; stderr: string };

/** Both helm majors, as the global setup found them. */
export function helmBinaries(): HelmBinary[] {
  return inject('helmBinaries');
}

export function helm(bin: HelmBinary, args: string[], cwd = repoRoot): Promise<HelmResult> {
  return new Promise((resolve) => {
    // No kubeconfig: nothing here may reach a cluster.
    const env = { ...process.env, KUBECONFIG: path.join(os.tmpdir(), 'audiencectl-no-kubeconfig') };
    execFile(bin.file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs helm with `values` written to a temporary values file (`-f`), removed afterwards. */
export async function helmWithValues(
  bin: HelmBinary,
  args: string[],
  values: Record<string, unknown> | undefined,
): Promise<HelmResult> {
  if (values === undefined) return helm(bin, args);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-values-'));
  try {
    const file = path.join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    return await helm(bin, [...args, '-f', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parseObjects(manifest: string): K8sObject[] {
  return parseAllDocuments(manifest)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

export type Rendered = HelmResult & { objects: K8sObject[] };

/** `helm template` of the chart with ci/ files (by name) and inline values, in that order. */
export async function template(
  bin: HelmBinary,
  options: { files?: string[]; values?: Record<string, unknown>; args?: string[] } = {},
): Promise<Rendered> {
  const files = (options.files ?? []).flatMap((name) => ['-f', path.join(chartDir, 'ci', name)]);
  const args = ['template', 'audiencectl', chartDir, '-n', 'audiences', ...files, ...(options.args ?? [])];
  const result = await helmWithValues(bin, args, options.values);
  return { ...result, objects: result.code === 0 ? parseObjects(result.stdout) : [] };
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found)
    throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((o) => o.kind).join(', ')}`);
  return found;
}
