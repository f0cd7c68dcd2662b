import { stringify } from 'yaml';
import { loadManifests, type LoadResult } from '../../src/manifest/load.js';
import type { ManifestInput } from '../../src/manifest/schema.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A valid manifest object; override any part. */
export function manifestObject(name: string, overrides: DeepPartial<ManifestInput> = {}): ManifestInput {
  const base: ManifestInput = {
    apiVersion: 'audiencectl/v1',
    kind: 'ExternalAudience',
    metadata: { name, ...overrides.metadata },
    spec: {
      name: `Audience ${name}`,
      description: `About ${name}`,
      fields: [
        { name: 'email', type: 'string', identityNs: 'email' },
        { name: 'tier', type: 'string', labels: ['core/C2'] },
      ],
      sourceSpec: {
        path: `exports/${name}.csv`,
        type: 'file',
        sourceType: 'Cloud Storage',
        cloudType: 'DLZ',
      },
      ttlInDays: 30,
      labels: ['core/C1'],
      originName: 'CUSTOM_UPLOAD',
      ...(overrides.spec as object),
    },
    ...(overrides.ingestion ? { ingestion: overrides.ingestion } : {}),
  };
  return base;
}

export function manifestYaml(name: string, overrides: DeepPartial<ManifestInput> = {}): string {
  return stringify(manifestObject(name, overrides));
}

/**
 * manifestYaml(name), each value holding `name` written as a double-quoted scalar with `name`
 * spelled `spelled` (a YAML escape: `g\x6Fld`): the same manifest once parsed, its text
 * without `name` written out. `name` must appear in no other value (`gold`, not `a`).
 */
export function manifestYamlSpelled(
  name: string,
  spelled: string,
  overrides: DeepPartial<ManifestInput> = {},
): string {
  const text = manifestYaml(name, overrides).replace(
    /^( *(?:- )?\w+: )(.+)$/gm,
    (line, key: string, value: string) =>
      value.includes(name) ? `${key}"${value.replaceAll(name, spelled)}"` : line,
  );
  if (text.includes(name)) throw new Error(`${name} is still written out in ${text}`);
  return text;
}

/** Loads in-memory files as the loader would load a directory. */
export function loadTexts(files: Record<string, string>, defaultSandbox = 'prod'): LoadResult {
  return loadManifests(
    Object.entries(files).map(([path, text]) => ({ path, text })),
    { defaultSandbox },
  );
}
