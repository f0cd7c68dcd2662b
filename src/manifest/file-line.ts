import { createHash } from 'node:crypto';
import type { Diagnostic } from './diagnostics.js';
import { specNamePosition, type Position } from './duplicates.js';
import type { FileParseResult } from './parse-result.js';
import { readSourceFile, type FileFacts } from './read-file.js';

/**
 * One file of a directory source, read and parsed, as one line of text: what a parser
 * thread sends back and, unchanged, what the manifest cache stores. Tab-separated:
 * the path (JSON), size, mtimeMs, inode and content hash, then the JSON body, so a
 * cache lookup reads the key without parsing the body. A file that could not be
 * stat-ed has size -1 (never cached); one not read (too large) has hash "-".
 */
export type FileJob = { relative: string; absolute: string; maxBytes: number; knownHash?: string };

/** The body: the parse, or why the file could not be read, and where each manifest's spec.name is. */
export type LineBody = { r?: FileParseResult; u?: Diagnostic; n?: Position[]; same?: true };

export type FileLine = { path: string; facts?: FileFacts; hash: string; body: LineBody };

/** git's blob id of the content, so that a git tree names the same hash. */
export function blobHash(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function formatLine(path: string, facts: FileFacts | undefined, hash: string, body: string): string {
  const { size, mtimeMs, ino } = facts ?? { size: -1, mtimeMs: 0, ino: 0 };
  return `${JSON.stringify(path)}\t${size}\t${mtimeMs}\t${ino}\t${hash}\t${body}`;
}

/** The key fields of a line; the body stays text until it is needed. */
export function lineKey(
  line: string,
): { path: string; facts: FileFacts; hash: string; bodyAt: number } | undefined {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i += 1) {
    const tab = line.indexOf('\t', at);
    if (tab < 0) return undefined;
    fields.push(line.slice(at, tab));
    at = tab + 1;
  }
  const [path, size, mtimeMs, ino, hash] = fields as [string, string, string, string, string];
  let name: unknown;
  try {
    name = JSON.parse(path);
  } catch {
    return undefined;
  }
  if (typeof name !== 'string') return undefined;
  const facts = { size: Number(size), mtimeMs: Number(mtimeMs), ino: Number(ino) };
  return { path: name, facts, hash, bodyAt: at };
}

/**
 * Reads and parses one file. `parse` undefined means the file needs the full parser,
 * which only a parser thread runs: then this returns undefined. With `knownHash` equal
 * to the content's hash, the body says `same` and the caller keeps what it had.
 */
export function fileLine(
  job: FileJob,
  parse: (path: string, text: string) => FileParseResult | undefined,
): string | undefined {
  const read = readSourceFile(job.relative, job.absolute, job.maxBytes);
  const hash = read.bytes ? blobHash(read.bytes) : '-';
  if ('unreadable' in read.file)
    return formatLine(job.relative, read.facts, hash, JSON.stringify({ u: read.file.unreadable }));
  if (job.knownHash !== undefined && job.knownHash === hash)
    return formatLine(job.relative, read.facts, hash, JSON.stringify({ same: true }));
  const { text } = read.file;
  const parsed = parse(job.relative, text);
  if (!parsed) return undefined;
  const lines = parsed.manifests.length > 0 ? text.split('\n') : [];
  const names = parsed.manifests.map((m) => specNamePosition(m.line, lines));
  return formatLine(job.relative, read.facts, hash, JSON.stringify({ r: parsed, n: names }));
}
