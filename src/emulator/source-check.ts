import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { FieldRecord, SourceRecord } from './model.js';
import { leavesDirectory } from '../files/leaves-directory.js';

const HEADER_BYTES = 64 * 1024;
const MAX_FILES_CHECKED = 100;
const DELIMITERS = [',', '\t', ';', '|'] as const;

/**
 * With `--storage-root`, a run reads its audience's source there, as the real service reads
 * cloud storage: a missing file or a header without a declared field fails the run. Returns
 * the failure reason, or undefined when the source is fine. Reads are synchronous so that the
 * checks and the run's creation stay one atomic step for concurrent requests.
 */
export function checkSource(root: string, source: SourceRecord, fields: FieldRecord[]): string | undefined {
  const base = resolve(root);
  const target = resolve(base, source.path);
  const inside = relative(base, target);
  if (leavesDirectory(inside)) {
    return `Source path ${source.path} points outside the storage root.`;
  }
  const stats = statOrUndefined(target);
  if (!stats) return `Source ${source.type} ${source.path} was not found in the storage.`;
  if (source.type === 'file') {
    if (!stats.isFile()) return `Source ${source.path} is not a file.`;
    return checkHeader(target, source.path, fields);
  }
  if (!stats.isDirectory()) return `Source ${source.path} is not a folder.`;
  const files = readdirSync(target, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .slice(0, MAX_FILES_CHECKED);
  if (files.length === 0) return `Source folder ${source.path} holds no files.`;
  for (const name of files) {
    const problem = checkHeader(join(target, name), `${source.path}/${name}`, fields);
    if (problem) return problem;
  }
  return undefined;
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function checkHeader(file: string, shownPath: string, fields: FieldRecord[]): string | undefined {
  const columns = new Set(headerColumns(readHead(file)));
  const missing = fields.map((field) => field.name).filter((name) => !columns.has(name));
  if (missing.length === 0) return undefined;
  return `The header of ${shownPath} lacks the declared field(s): ${missing.join(', ')}.`;
}

function readHead(file: string): string {
  const buffer = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(file, 'r');
  try {
    const length = readSync(fd, buffer, 0, HEADER_BYTES, 0);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The first line, split on the delimiter it uses most; quotes and a BOM are stripped. */
export function headerColumns(text: string): string[] {
  const line = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').trim();
  if (line === '') return [];
  let delimiter: string = DELIMITERS[0];
  let best = -1;
  for (const candidate of DELIMITERS) {
    const count = line.split(candidate).length - 1;
    if (count > best) {
      best = count;
      delimiter = candidate;
    }
  }
  return line.split(delimiter).map((cell) =>
    cell
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim(),
  );
}
