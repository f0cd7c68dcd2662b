import type { CacheBytes } from '../cache/cache-file.js';
import type { Worker } from 'node:worker_threads';
import { WRITE_WORKER_URL, worthAWriteThread, writeCacheFileInThread } from '../cache/write-thread.js';
import { lineKey } from './file-line.js';
import type { ParseLimits } from './limits.js';
import { FACTS_PER_FILE, type StattedListing } from './read-dir.js';
import type { FileFacts } from './read-file.js';

/**
 * The manifest cache: each file's line (file-line.ts) from the last load, so a file
 * whose facts did not change is neither read nor parsed again. Only what the manifests
 * say is in it (the state holds the same specs), never a credential. It is safe to
 * delete; a missing, unreadable, corrupt or foreign file is simply not used.
 */
export const CACHE_FORMAT = 'audiencectl-manifest-cache/8';

/** What the lines depend on besides each file: a different one makes the whole cache void. */
export type CacheContext = {
  /** The real path of the source directory. */
  root: string;
  maxBytes: number;
  limits: ParseLimits;
  /** Identifies the parser's code (a hash of the parser thread's bundle). */
  parser: string;
};

/** `digest`: of the text after the header line, so a truncated or edited file is not used. */
type Header = CacheContext & { format: string; scannedAt: number; digest: string };

/** `bodyAt`: where the line's content (file-line.ts encodeBody) starts. */
export type CachedFile = { facts: FileFacts; hash: string; line: string; bodyAt: number };

export type ManifestCache = {
  /** When the listing that wrote it started: a file modified since may have changed unseen. */
  scannedAt: number;
  files: Map<string, CachedFile>;
};

/**
 * As git's index: modification times are coarse and a file can change twice within
 * one tick, so an entry is trusted on its facts alone only when the file was last
 * modified, and its inode changed, well before the listing that cached it started. A newer one is "racily
 * clean": it is read again and its content hash compared.
 */
export const RACY_MARGIN_MS = 2_000;

function sameContext(header: Header, context: CacheContext): boolean {
  return (
    header.format === CACHE_FORMAT &&
    header.root === context.root &&
    header.maxBytes === context.maxBytes &&
    header.parser === context.parser &&
    JSON.stringify(header.limits) === JSON.stringify(context.limits)
  );
}

/**
 * The cache in `loaded` (a cache file's bytes, loadCacheBytes), if it is one written for
 * this context; anything else is undefined, never an error. The digest is of the body's
 * bytes as read (the writer hashes what it writes, writeCacheFileStreamed).
 */
export function readManifestCache(loaded: CacheBytes, context: CacheContext): ManifestCache | undefined {
  if (!loaded) return undefined;
  const { bytes, end, digest } = loaded;
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, end)) as Header;
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || !sameContext(header, context)) return undefined;
  if (typeof header.scannedAt !== 'number' || header.digest !== digest) return undefined;
  const text = bytes.toString('utf8', end + 1);
  const files = new Map<string, CachedFile>();
  // Line by line without splitting the text first (an array of 10,000 lines, garbage at once).
  for (let at = 0; at < text.length;) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol < 0 ? text.length : eol);
    at = eol < 0 ? text.length : eol + 1;
    if (line === '') continue;
    const key = lineKey(line);
    // One damaged line voids the file: it was not written by us, or not completely.
    if (!key || !(key.facts.size >= 0) || !isContentHash(key.hash)) return undefined;
    files.set(key.path, { facts: key.facts, hash: key.hash, line, bodyAt: key.bodyAt });
  }
  return { scannedAt: header.scannedAt, files };
}

/** A git blob id (40 lower-case hex digits), or "-" (a file not read). */
const CONTENT_HASH = /^(?:[0-9a-f]{40}|-)$/;

function isContentHash(hash: string): boolean {
  return CONTENT_HASH.test(hash);
}

/** True when `facts` are those cached, and old enough to be trusted without reading the file. */
export function isFresh(cached: CachedFile, facts: FileFacts, scannedAt: number): boolean {
  return sameFacts(cached, facts.size, facts.mtimeMs, facts.ctimeMs, facts.ino, scannedAt);
}

/** isFresh of the facts a fact scan took of its `index`th file (read-dir.ts statListing), read where they lie. */
export function isListedFresh(
  cached: CachedFile,
  listing: StattedListing,
  index: number,
  scannedAt: number,
): boolean {
  const at = index * FACTS_PER_FILE;
  const { facts } = listing;
  // A file the scan could not stat has a NaN size, which equals nothing.
  return sameFacts(cached, facts[at]!, facts[at + 1]!, facts[at + 2]!, facts[at + 3]!, scannedAt);
}

function sameFacts(
  cached: CachedFile,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
  scannedAt: number,
): boolean {
  // The change time too, as git's index and the state snapshot (src/state/snapshot.ts): an
  // in-place rewrite of the same size whose modification time was set back (cp -p, rsync -t,
  // touch -r) changes only it. Racily clean by either time, as a write after the listing
  // started may share its tick.
  return (
    cached.facts.size === size &&
    cached.facts.mtimeMs === mtimeMs &&
    cached.facts.ctimeMs === ctimeMs &&
    cached.facts.ino === ino &&
    Math.max(mtimeMs, ctimeMs) < scannedAt - RACY_MARGIN_MS
  );
}

/**
 * Writes the cache beside the state, through a temporary file and a rename, so a
 * reader never sees half of it, hashed and written by another thread while the
 * caller goes on (writeCacheFileInThread). Failing (a read-only state directory) is not
 * an error: the cache only saves time. Resolves to whether it was written.
 */
export function writeManifestCache(
  file: string,
  context: CacheContext,
  scannedAt: number,
  /** Each line, or lines already encoded, each ended by a newline (a parser thread's, parse-pool.ts). */
  lines: ReadonlyArray<string | Uint8Array>,
  /** A thread to write it in (a parser thread done parsing); else one of its own, for a large cache. */
  thread?: Worker,
): Promise<boolean> {
  const headerOf = (digest: string) =>
    JSON.stringify({ format: CACHE_FORMAT, ...context, scannedAt, digest } satisfies Header);
  // A small cache without a thread at hand is written here (worthAWriteThread).
  const url = thread !== undefined || worthAWriteThread(lines) ? WRITE_WORKER_URL : undefined;
  return writeCacheFileInThread(file, headerOf, eachLine(lines), url, thread);
}

function* eachLine(lines: ReadonlyArray<string | Uint8Array>): Generator<string | Uint8Array> {
  for (const line of lines) {
    yield line;
    if (typeof line === 'string') yield '\n';
  }
}
