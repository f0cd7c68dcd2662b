import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

export const chartDir = fileURLToPath(new URL('../../helm/audiencectl/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Parses one YAML file strictly: any error or warning (duplicate keys...) fails. */
export async function readYaml(file: string): Promise<unknown> {
  const doc = parseDocument(await readFile(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
  return doc.toJS() as unknown;
}

export async function exampleValueFiles(): Promise<string[]> {
  const dir = path.join(chartDir, 'ci');
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => path.join(dir, name));
}

export async function templateFiles(): Promise<Map<string, string>> {
  const dir = path.join(chartDir, 'templates');
  const files = new Map<string, string>();
  for (const name of await readdir(dir)) files.set(name, await readFile(path.join(dir, name), 'utf8'));
  return files;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's coalescing of user values over defaults: maps merge deeply, the rest replaces. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeValues(base[key], value);
  return out;
}

/** Whether `a.b.c` names a key present in the values (null and empty values count). */
export function hasPath(values: unknown, dotted: string): boolean {
  let node: unknown = values;
  for (const key of dotted.split('.')) {
    if (!isObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}
