import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { headerColumns } from '../../src/emulator/source-check.js';
import { audienceBody, wrapEmulator, type TestEmulator } from '../helpers/with-emulator.js';

const fields = [
  { name: 'email', type: 'string', identityNs: 'email' },
  { name: 'tier', type: 'string' },
];

describe('--storage-root: runs read their source files', () => {
  let root = '';
  let emulator: TestEmulator;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'emulator-storage-'));
    await mkdir(join(root, 'crm', 'daily'), { recursive: true });
    await writeFile(join(root, 'crm', 'gold.csv'), '\uFEFF"email","tier",extra\na@example.com,gold,1\n');
    await writeFile(join(root, 'crm', 'silver.tsv'), 'email\nb@example.com\n');
    await writeFile(join(root, 'crm', 'daily', 'part-1.csv'), 'email,tier\n');
    await writeFile(join(root, 'crm', 'daily', 'part-2.csv'), 'tier;email\n');
    await mkdir(join(root, 'crm', 'empty'));
    emulator = wrapEmulator(await startEmulator({ storageRoot: root, runStageDelayMs: 5 }));
  });
  afterAll(async () => {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  });

  async function runWith(sourceSpec: Record<string, unknown>) {
    const id = await emulator.createAudience(audienceBody({ fields, sourceSpec }));
    const started = await emulator.request('POST', `/external-audience/${id}/runs`, {
      body: { dataFilterStartTime: 1 },
    });
    const { runId } = started.body as { runId: string };
    return emulator.waitFor(
      `/external-audience/${id}/runs/${runId}`,
      (run) => run['status'] !== 'PROCESSING',
    );
  }

  it('succeeds when the file exists and its header has every declared field', async () => {
    const run = await runWith({ path: 'crm/gold.csv', type: 'file' });
    expect(run['status']).toBe('SUCCESS');
  });

  it('succeeds for a folder whose files all have the fields', async () => {
    const run = await runWith({ params: { path: 'crm/daily', type: 'folder' } });
    expect(run['status']).toBe('SUCCESS');
  });

  it.each([
    ['the file is missing', { path: 'crm/missing.csv', type: 'file' }, /not found/],
    [
      'the header lacks a declared field',
      { path: 'crm/silver.tsv', type: 'file' },
      /lacks the declared field\(s\): tier/,
    ],
    ['the folder is empty', { path: 'crm/empty', type: 'folder' }, /no files/],
    ['a file path names a folder', { path: 'crm/daily', type: 'file' }, /not a file/],
    [
      'the path leaves the storage root',
      { path: '../outside.csv', type: 'file' },
      /outside the storage root/,
    ],
  ])('fails the run at DATASET_INGEST when %s', async (_what, sourceSpec, reason) => {
    const run = await runWith(sourceSpec);
    expect(run['status']).toBe('FAILED');
    expect(run['failureReason']).toMatch(reason);
    expect(run['details']).toEqual([expect.objectContaining({ stage: 'DATASET_INGEST', status: 'FAILED' })]);
  });

  it('refuses a storage root that is not a directory, naming the flag', async () => {
    const missing = join(root, 'nope');
    await expect(startEmulator({ storageRoot: missing })).rejects.toMatchObject({
      name: 'UsageError',
      message: `--storage-root: ${missing} does not exist: create it, and put each audience's source file (or folder) at its sourceSpec.path under it`,
    });
    const file = join(root, 'crm', 'gold.csv');
    await expect(startEmulator({ storageRoot: file })).rejects.toMatchObject({
      name: 'UsageError',
      message: `--storage-root: ${file} is not a directory`,
    });
    // Not missing: nothing to create, a part of the path is a file.
    const underFile = join(file, 'sub');
    await expect(startEmulator({ storageRoot: underFile })).rejects.toMatchObject({
      name: 'UsageError',
      message: `--storage-root: ${underFile} cannot be used: a part of the path is a file, not a directory`,
    });
  });

  it('reads header columns whatever the delimiter', () => {
    expect(headerColumns('a,b,"c"\n1,2,3')).toEqual(['a', 'b', 'c']);
    expect(headerColumns('a\tb\r\n')).toEqual(['a', 'b']);
    expect(headerColumns('a;b|c')).toEqual(['a', 'b|c']);
    expect(headerColumns('')).toEqual([]);
  });
});
