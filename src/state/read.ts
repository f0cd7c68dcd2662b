import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { AudiencectlError } from '../errors.js';
import { AudienceRecord, StateMeta, type RecordedState } from './schema.js';
import { audiencesDir, metaPath } from './paths.js';

export class StateReadError extends AudiencectlError {
  override readonly name = 'StateReadError';
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateReadError('STATE_UNREADABLE', `cannot read state file ${file}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateReadError('STATE_CORRUPT', `state file ${file} is not valid JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? ` at ${first.path.join('.') || '(root)'}: ${first.message}` : '';
    throw new StateReadError('STATE_CORRUPT', `state file ${file} does not match the state schema${where}`);
  }
  return parsed.data;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateReadError('STATE_UNREADABLE', `cannot list state directory ${dir}`, { cause: error });
  }
}

/** Reads a whole state directory. A missing directory is an empty state. */
export async function readState(dir: string): Promise<RecordedState> {
  const meta = await readJson(metaPath(dir), StateMeta);
  const audiences: AudienceRecord[] = [];
  const root = audiencesDir(dir);
  for (const sandbox of await listDir(root)) {
    for (const name of await listDir(path.join(root, sandbox))) {
      if (!name.endsWith('.json')) continue;
      const record = await readJson(path.join(root, sandbox, name), AudienceRecord);
      if (record) audiences.push(record);
    }
  }
  return { meta, audiences };
}
