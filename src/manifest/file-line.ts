import { hash } from 'node:crypto';
import { normaliseSpec, specHash } from '../plan/normalise.js';
import { withLazyProperty } from '../text/lazy-property.js';
import type { Diagnostic } from './diagnostics.js';
import { specNamePositionInText, type Position } from './duplicates.js';
import type { ParsedFile, SourceFile } from './load.js';
import type { FileParseResult } from './parse-result.js';
import { parseLineBody } from './line-body.js';
import { readSourceFile, type FileFacts } from './read-file.js';
import { rememberSpec } from './spec-hash-memo.js';

/**
 * One file of a directory source, read and parsed, as one line of text: what a parser
 * thread sends back and, unchanged, what the manifest cache stores. Tab-separated:
 * the path (JSON), size, mtimeMs, ctimeMs, inode and content hash, then the JSON body, so a
 * cache lookup reads the key without parsing the body; then, for each manifest of the
 * body, the hash of its normalised spec and the spec's JSON, in whose place the body
 * holds the spec's name (JSON text has no raw tab). A file that could not be stat-ed has size -1 (never
 * cached); one not read (too large) has hash "-".
 */
export type FileJob = { relative: string; absolute: string; maxBytes: number; knownHash?: string };

/** The body: the parse, or why the file could not be read, and where each manifest's spec.name is. */
export type LineBody = { r?: FileParseResult; u?: Diagnostic; n?: Position[]; same?: true };

/** git's blob id of the content, so that a git tree names the same hash. */
export function blobHash(bytes: Uint8Array): string {
  // One-shot hashing of the header and content in one array: a Hash object, or Buffer's
  // allocation and write, run more JavaScript (much of it not yet optimised in a short run).
  const header = `blob ${bytes.length}\0`;
  const whole = new Uint8Array(header.length + bytes.length);
  for (let i = 0; i < header.length; i += 1) whole[i] = header.charCodeAt(i);
  whole.set(bytes, header.length);
  return hash('sha1', whole, 'hex');
}

/** `content`: the body and what follows it (encodeBody). */
export function formatLine(
  path: string,
  facts: FileFacts | undefined,
  hash: string,
  content: string,
): string {
  const { size, mtimeMs, ctimeMs, ino } = facts ?? { size: -1, mtimeMs: 0, ctimeMs: 0, ino: 0 };
  return `${JSON.stringify(path)}\t${size}\t${mtimeMs}\t${ctimeMs}\t${ino}\t${hash}\t${content}`;
}

/**
 * The body, then each manifest's spec hash and spec: a plan of unchanged files parses
 * neither the specs (a lazy property reads one when something needs it) nor hashes them.
 */
export function encodeBody(body: LineBody): string {
  const manifests = body.r?.manifests ?? [];
  if (manifests.length === 0) return JSON.stringify(body);
  let specs = '';
  const placeholders = manifests.map((entry) => {
    const { spec } = entry.manifest;
    specs += `\t${specHash(normaliseSpec(spec))}\t${JSON.stringify(spec)}`;
    return { ...entry, manifest: { ...entry.manifest, spec: spec.name } };
  });
  return JSON.stringify({ ...body, r: { ...body.r, manifests: placeholders } }) + specs;
}

function damaged(relative: string): SyntaxError {
  return new SyntaxError(`manifest cache line of ${relative} does not hold what was written`);
}

/** The file a line's content (encodeBody) describes; a SyntaxError if it is not one we wrote. */
export function decodeBody(
  relative: string,
  content: string,
): ParsedFile | Extract<SourceFile, { unreadable: Diagnostic }> {
  let at = content.indexOf('\t');
  const body = parseLineBody(at < 0 ? content : content.slice(0, at)) as LineBody;
  if (body.u) {
    if (at >= 0) throw damaged(relative);
    return { path: relative, unreadable: body.u };
  }
  if (!body.r) throw damaged(relative);
  for (const entry of body.r.manifests) {
    const specAt = at < 0 ? -1 : content.indexOf('\t', at + 1);
    if (specAt < 0) throw damaged(relative);
    const end = content.indexOf('\t', specAt + 1);
    const name: unknown = entry.manifest.spec;
    if (typeof name !== 'string') throw damaged(relative);
    const spec = content.slice(specAt + 1, end < 0 ? content.length : end);
    entry.manifest = withLazyProperty(entry.manifest, 'spec', spec);
    rememberSpec(entry.manifest, { hash: content.slice(at + 1, specAt), name });
    at = end;
  }
  if (at >= 0) throw damaged(relative);
  return { path: relative, parsed: body.r, ...(body.n ? { names: body.n } : {}) };
}

/** Text as a JSON string holds it: no quote, backslash or control character; sticky, from `lastIndex`. */
// eslint-disable-next-line no-control-regex
const LITERAL_JSON_TEXT = /[^"\\\u0000-\u001f]*/y;

/** Whether `line`'s text from `start` to `end` is as a JSON string holds it. */
function literalJsonText(line: string, start: number, end: number): boolean {
  LITERAL_JSON_TEXT.lastIndex = start;
  // Always matches (perhaps nothing): where the literal text stops.
  LITERAL_JSON_TEXT.test(line);
  return LITERAL_JSON_TEXT.lastIndex >= end;
}

/**
 * The JSON string `line` starts with, ending at `end`: the text between its quotes when
 * that needs no unescaping (a path almost always), else what JSON.parse says.
 */
function jsonString(line: string, end: number): string | undefined {
  if (end >= 2 && line.charCodeAt(0) === 0x22 && line.charCodeAt(end - 1) === 0x22) {
    if (literalJsonText(line, 1, end - 1)) return line.slice(1, end - 1);
  }
  try {
    const value: unknown = JSON.parse(line.slice(0, end));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key fields of a line; the body stays text until it is needed. Read field by field
 * (no array of the tabs' places, no slice of a path to check it): 10,000 lines a plan.
 */
export function lineKey(
  line: string,
): { path: string; facts: FileFacts; hash: string; bodyAt: number } | undefined {
  const pathEnd = line.indexOf('\t');
  const sizeEnd = pathEnd < 0 ? -1 : line.indexOf('\t', pathEnd + 1);
  const mtimeEnd = sizeEnd < 0 ? -1 : line.indexOf('\t', sizeEnd + 1);
  const ctimeEnd = mtimeEnd < 0 ? -1 : line.indexOf('\t', mtimeEnd + 1);
  const inoEnd = ctimeEnd < 0 ? -1 : line.indexOf('\t', ctimeEnd + 1);
  const hashEnd = inoEnd < 0 ? -1 : line.indexOf('\t', inoEnd + 1);
  if (hashEnd < 0) return undefined;
  const name = jsonString(line, pathEnd);
  if (name === undefined) return undefined;
  const facts = {
    size: Number(line.slice(pathEnd + 1, sizeEnd)),
    mtimeMs: Number(line.slice(sizeEnd + 1, mtimeEnd)),
    ctimeMs: Number(line.slice(mtimeEnd + 1, ctimeEnd)),
    ino: Number(line.slice(ctimeEnd + 1, inoEnd)),
  };
  return { path: name, facts, hash: line.slice(inoEnd + 1, hashEnd), bodyAt: hashEnd + 1 };
}

/**
 * Whether a line formatLine wrote holds a stat-ed file (lineKey's `facts.size >= 0`) and
 * so belongs in the cache: its size is -1 or digits, right after the path's JSON string,
 * which holds no raw tab.
 */
export function lineStatted(line: string): boolean {
  return line.charCodeAt(line.indexOf('\t') + 1) !== 0x2d;
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
    return formatLine(job.relative, read.facts, hash, encodeBody({ u: read.file.unreadable }));
  if (job.knownHash !== undefined && job.knownHash === hash)
    return formatLine(job.relative, read.facts, hash, encodeBody({ same: true }));
  const { text } = read.file;
  const parsed = parse(job.relative, text);
  if (!parsed) return undefined;
  const names = parsed.manifests.map((m) => specNamePositionInText(m.line, text));
  return formatLine(job.relative, read.facts, hash, encodeBody({ r: parsed, n: names }));
}
