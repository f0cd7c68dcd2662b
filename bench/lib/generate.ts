import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { Manifest, type ManifestInput } from '../../src/manifest/schema.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import { metaPath, recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';

const FIELD_TYPES = ['string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean'] as const;
const CLOUDS = ['S3', 'DLZ', 'GCS', 'SFTP'] as const;

/** A realistic manifest, varied by its index. */
export function benchManifest(index: number): ManifestInput {
  const cloud = CLOUDS[index % CLOUDS.length]!;
  return {
    apiVersion: 'audiencectl/v1',
    kind: 'ExternalAudience',
    metadata: { name: `audience-${index}`, sandbox: index % 10 === 0 ? 'dev' : 'prod' },
    spec: {
      name: `Audience ${index}`,
      description: `Generated audience number ${index} for the benchmark`,
      fields: [
        { name: 'email', type: 'string', identityNs: 'email' },
        ...Array.from({ length: 4 }, (_, f) => ({
          name: `field_${f}`,
          type: FIELD_TYPES[(index + f) % FIELD_TYPES.length]!,
          ...(f === 0 ? { labels: ['core/C2'] } : {}),
        })),
      ],
      sourceSpec: {
        path: `exports/${index}.csv`,
        type: 'file',
        sourceType: 'Cloud Storage',
        cloudType: cloud,
        ...(cloud === 'DLZ' ? {} : { baseConnectionId: '1d1d4bc5-b527-46a3-9863-530246a61b2b' }),
      },
      ttlInDays: 30 + (index % 60),
      labels: ['core/C1'],
      originName: 'CUSTOM_UPLOAD',
      tags: ['bench'],
    },
    ingestion: { onCreate: false },
  };
}

/** How generateRepo places the audiences: one sandbox for all, ids from a real service. */
export type RepoOptions = {
  sandbox?: string;
  /** The audience id to record for a manifest (e.g. one created in an emulator); default a random uuid. */
  audienceIdOf?: (manifest: Manifest) => string;
  /**
   * The directory the records say their files are relative to, as an apply of it records it
   * (AudienceRecord.sourceRoot); default the manifests directory's absolute path (no git work
   * tree). Another one, and every audience's plan is a record-only update.
   */
  sourceRoot?: string;
};

/** Writes `count` manifests (100 per folder) and, optionally, the state of having applied them all. */
export async function generateRepo(
  root: string,
  count: number,
  withState: boolean,
  options: RepoOptions = {},
): Promise<{ manifests: string; state: string }> {
  const manifests = path.join(root, 'manifests');
  const state = path.join(root, 'state');
  const at = new Date().toISOString();
  for (let start = 0; start < count; start += 100) {
    const dir = path.join(manifests, `group-${start / 100}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, async (_, offset) => {
        const index = start + offset;
        const input = benchManifest(index);
        if (options.sandbox) input.metadata.sandbox = options.sandbox;
        await writeFile(path.join(dir, `audience-${index}.yaml`), stringify(input));
        if (!withState) return;
        const manifest = Manifest.parse(input);
        const spec = normaliseSpec(manifest.spec);
        const record: AudienceRecord = {
          schemaVersion: 1,
          sandbox: manifest.metadata.sandbox ?? 'prod',
          key: manifest.metadata.name,
          operationId: randomUUID(),
          audienceId: options.audienceIdOf?.(manifest) ?? randomUUID(),
          deletionPolicy: 'Delete',
          applied: { spec, hash: specHash(spec), at },
          runs: [],
          manifestFile: `group-${start / 100}/audience-${index}.yaml`,
          sourceRoot: options.sourceRoot ?? path.resolve(manifests),
        };
        const file = recordPath(state, record.sandbox, record.key);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, JSON.stringify(record, null, 2));
      }),
    );
  }
  if (withState) {
    await writeFile(
      metaPath(state),
      JSON.stringify({ schemaVersion: 1, lineage: randomUUID(), serial: count }),
    );
  }
  return { manifests, state };
}
