import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { AppliedSpec, AudienceRecord, PendingCreate } from '../../src/state/schema.js';

/** A fresh temp directory per call, all removed after the file's tests (safe for concurrent tests). */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-state-'));
    made.push(dir);
    return dir;
  };
}

export function appliedSpec(name: string, description = 'An audience'): AppliedSpec {
  return {
    spec: {
      name,
      description,
      fields: [{ name: 'email', type: 'string', identityNs: 'email', labels: [] }],
      sourceSpec: { path: `crm/${name}.csv`, type: 'file' },
      ttlInDays: 30,
      labels: [],
      audienceType: 'people',
      originName: 'CUSTOM_UPLOAD',
      namespace: 'CustomerAudienceUpload',
      tags: [],
    },
    hash: `hash-${name}-${description.length}`,
    at: '2026-11-22T10:00:00.000Z',
  };
}

/** The create an intent for `name` sent (AudienceRecord.pendingCreate), its spec `appliedSpec`'s. */
export function pendingCreate(name: string): PendingCreate {
  const { spec, hash } = appliedSpec(name);
  const body = {
    name,
    fields: [{ name: 'email', type: 'string' as const, identityNs: 'email' }],
    sourceSpec: { path: `crm/${name}.csv`, type: 'file' as const },
    originName: 'CUSTOM_UPLOAD',
  };
  return { body, spec, hash };
}

export function aRecord(key: string, overrides: Partial<AudienceRecord> = {}): AudienceRecord {
  return {
    schemaVersion: 1,
    sandbox: 'prod',
    key,
    deletionPolicy: 'Delete',
    audienceId: `aud-${key}`,
    operationId: `op-${key}`,
    applied: appliedSpec(key),
    runs: [],
    ...overrides,
  };
}

/** A record with no applied spec (an imported or waiting one), its file `manifestFile` when given. */
export function bareRecord(key: string, manifestFile?: string, sandbox = 'prod'): AudienceRecord {
  return {
    schemaVersion: 1,
    sandbox,
    key,
    deletionPolicy: 'Delete',
    runs: [],
    audienceId: `${key}-id`,
    ...(manifestFile === undefined ? {} : { manifestFile }),
  };
}

/** Repository root, for spawning the CLI and the fixtures. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Everything the store at `location` holds, read through a store opened for it alone. */
export async function readAll(location: string) {
  const store = await openStateStore(location);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}
