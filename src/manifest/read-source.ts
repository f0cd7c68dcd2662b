import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { loadCacheBytesSync, type CacheBytes } from '../cache/cache-file.js';
import { assembleLoad } from './assemble.js';
import {
  decodeBody,
  encodeBody,
  fileLine,
  formatLine,
  lineKey,
  lineStatted,
  type FileJob,
} from './file-line.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import type { LoadOptions, LoadResult } from './load.js';
import { IN_THREAD_MAX_FILES, refusedFile, WORKER_URL, type LoadedFile } from './load-isolated.js';
import {
  isFresh,
  isListedFresh,
  readManifestCache,
  writeManifestCache,
  type CachedFile,
  type CacheContext,
  type ManifestCache,
} from './read-cache.js';
import {
  parseTakenChunks,
  startParsePool,
  type ParseJob,
  type ParseOutcome,
  type ParsePool,
  type SentLines,
} from './parse-pool.js';
import { parserThreadCount } from './parser-threads.js';
import {
  listManifestFilesSync,
  statFacts,
  type FoundFile,
  type Listing,
  type ReadDirOptions,
  type StattedListing,
} from './read-dir.js';
import { DEFAULT_MAX_FILE_BYTES } from './read-file.js';
import { quietManifestLine, type QuietManifestLine } from './quiet-line.js';

export type DirLoadOptions = LoadOptions &
  ReadDirOptions & {
    /** The manifest cache to read and (`saveCache`) write; none: every file is read and parsed. */
    cacheFile?: string;
    workers?: number;
    /** The parser thread's script (tests); default the built parse-worker.js; undefined: parse in this thread. */
    workerUrl?: URL | undefined;
    /**
     * The listing and each file's facts, taken meanwhile by another thread (src/scan);
     * used only with a cache (without one every file is read, and its facts come with it).
     * Undefined, or resolving to undefined: this thread lists and stats.
     */
    listing?: Promise<StattedListing | undefined>;
    /** The cache file's bytes, if the caller started reading them (the fact scan's thread): an existing cache only. */
    cacheBytes?: Promise<CacheBytes>;
    /**
     * Leave the files the cache serves unread whose line is a quiet manifest's
     * (quiet-line.ts) as lines, not objects: the caller pairs them with quiet records
     * (src/plan/quiet-pairs.ts) through `DirLoad.quiet`.
     */
    quiet?: boolean;
  };

/** A file the cache served unread whose line is a quiet manifest's: its index among the files listed. */
export type QuietFile = { index: number; relative: string; line: QuietManifestLine };

/**
 * The files left as lines (`quiet`), and the load of the others with those of them not
 * `taken` (made objects now, as they would have been): `DirLoad.result` is `assemble` of none.
 */
export type QuietFiles = {
  files: readonly QuietFile[];
  assemble(taken: ReadonlySet<number>): LoadResult;
};

export type DirLoad = {
  result: LoadResult;
  /** Files served by the cache without reading them. */
  cacheHits: number;
  /**
   * Writes the cache when something changed, in a thread of its own while the caller goes
   * on (writeManifestCache); resolves to false when it could not.
   */
  saveCache(): Promise<boolean>;
  /** Each file as read, with its git blob id ("-": not read), for `plan --base` to reuse. */
  files: Map<string, { hash: string; file: LoadedFile }>;
  /** The files the listing left out that are named like manifests (read-dir.ts Listing). */
  unread: FoundFile[];
  /** With `quiet`, when the cache served some quiet manifest's file: see QuietFiles. */
  quiet?: QuietFiles;
};

let parserId: string | undefined;
/** Identifies the parser's code: a cache written by another build of it is not used. */
function parserIdentity(workerUrl: URL | undefined): string {
  if (!workerUrl) return 'source';
  try {
    parserId ??= createHash('sha1').update(readFileSync(workerUrl)).digest('hex');
  } catch {
    parserId = 'unknown';
  }
  return parserId;
}

type Job = { index: number; job: FileJob };

/**
 * Reads a directory source: lists it here (or, with a cache, takes the listing and the
 * facts the caller's fact scan thread took meanwhile), while parser threads (one per
 * core but this one's, which parses too) read, hash and parse the files, so both cores
 * work and the files' text never crosses between threads. With a cache, a file whose
 * size, modification time and inode are those cached (and old enough, see
 * RACY_MARGIN_MS) is neither read nor parsed; one whose content hash is unchanged is
 * read but not parsed. The result is the same as `loadManifests` of the files read,
 * cache or not (a property test compares).
 */
export async function loadManifestDir(root: string, options: DirLoadOptions): Promise<DirLoad> {
  try {
    return await loadThroughCache(root, options, true);
  } catch (error) {
    // A cache line that passed the checks but does not hold what we wrote: read everything.
    if (!(error instanceof SyntaxError) || !options.cacheFile) throw error;
    return loadThroughCache(root, options, false);
  }
}

async function loadThroughCache(root: string, options: DirLoadOptions, useCache: boolean): Promise<DirLoad> {
  const startedAt = Date.now();
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const limits: ParseLimits = options.limits ?? DEFAULT_PARSE_LIMITS;
  const workerUrl = 'workerUrl' in options ? options.workerUrl : WORKER_URL;
  const context: CacheContext = {
    root: realpathSync(root),
    maxBytes,
    limits,
    parser: parserIdentity(workerUrl),
  };
  let cache: ManifestCache | undefined;
  if (options.cacheFile && useCache) {
    // Read and hashed meanwhile (by the fact scan's thread) if the caller started that early.
    const loaded = options.cacheBytes ? await options.cacheBytes : loadCacheBytesSync(options.cacheFile);
    cache = readManifestCache(loaded, context);
  }
  const workers = options.workers ?? parserThreadCount();
  let pool: ParsePool | undefined;
  const startPool = (url: URL) => (pool ??= startParsePool({ url, workers }));
  // Without a cache every file listed is read: once the listing shows a large source, the
  // thread starts, its start-up overlapping the rest of the listing.
  const many =
    !cache && workerUrl ? { after: IN_THREAD_MAX_FILES, call: () => startPool(workerUrl) } : undefined;
  // With a cache and the fact scan's thread listing and stat-ing meanwhile: every cached
  // file decoded while it works (most will be used), then its listing and facts.
  const quietLines = options.quiet && cache ? new Map<string, QuietManifestLine>() : undefined;
  const decoded = cache && options.listing ? decodeCached(cache, quietLines) : undefined;
  const scanned = decoded ? await options.listing : undefined;
  // The facts cached are no older than the listing that took them.
  const scannedAt = Math.min(startedAt, scanned?.startedAt ?? startedAt);
  // Synchronously, up to handing the files to the threads (see listManifestFilesSync).
  let listed: Listing;
  try {
    listed = scanned ?? listManifestFilesSync(root, options, many);
  } catch (error) {
    pool?.close();
    throw error;
  }
  const { found, diagnostics, refused, unread } = listed;

  const lines: Array<string | undefined> = new Array<string | undefined>(found.length);
  /** The cache's entry of each file it serves unread (its line kept as it is). */
  const served: Array<CachedFile | undefined> = new Array<CachedFile | undefined>(found.length);
  let jobs: Job[] = [];
  let hits = 0;
  found.forEach((file: FoundFile, index) => {
    const cached = cache?.files.get(file.relative);
    if (cached && cache) {
      // The scan's facts compared where they lie (no object per file).
      const fresh = scanned
        ? isListedFresh(cached, scanned, index, cache.scannedAt)
        : isStattedFresh(cached, file.absolute, cache.scannedAt);
      if (fresh) {
        lines[index] = cached.line;
        served[index] = cached;
        hits += 1;
        return;
      }
    }
    const job: FileJob = { relative: file.relative, absolute: file.absolute, maxBytes };
    if (cached && cached.hash !== '-') job.knownHash = cached.hash;
    jobs.push({ index, job });
  });

  // Few files to read: here, without starting a thread, unless one needs the full parser.
  if (!workerUrl || jobs.length <= IN_THREAD_MAX_FILES) {
    const full = workerUrl ? undefined : (await import('./parse.js')).parseManifestFile;
    // The fast parser is loaded only when there is a file to parse: none when the cache serves all.
    const fast =
      workerUrl && jobs.length > 0 ? (await import('./parse-fast.js')).parseWithoutFullParser : undefined;
    const parse = (path: string, text: string) =>
      full ? full(path, text, limits) : fast?.(path, text, limits);
    jobs = jobs.filter(({ index, job }) => (lines[index] = fileLine(job, parse)) === undefined);
  }
  if (jobs.length === 0) pool?.close();
  const failed = new Map<number, string>();
  /** Lines decoded as they arrived, between the chunks this thread parses (by file index). */
  const arrived = new Map<number, DecodedLine | FreshQuiet>();
  // With `quiet`, a file parsed now whose line is a quiet manifest's is left as its line too
  // (a cold plan's every file: paired with the snapshot's quiet records, neither made objects).
  const quietFresh = options.quiet ? freshQuiet : undefined;
  /** A parser thread done parsing, kept to write the cache (write-thread.ts): no new thread's start-up for it. */
  let writer: Worker | undefined;
  /** The chunks the threads read, by the index of their first file (cacheLines). */
  const sent = new Map<number, SentLines>();
  let outcomes: Array<ParseOutcome<string>> = [];
  if (jobs.length > 0 && workerUrl) {
    // Decoded as it comes rather than all at the end, when the other core would be idle.
    // One that fails to decode is decoded again below, where its failure counts.
    const decodeArrived = (n: number, line: string): void => {
      const { index, job } = jobs[n]!;
      try {
        arrived.set(index, quietFresh?.(line) ?? decodeLine(job.relative, line, cache, decoded));
      } catch {
        // Left to the loop below.
      }
    };
    // A chunk of files that follow one another (every file, in a cold plan) is kept to be
    // cached as the bytes it came in.
    const onLines = (chunk: SentLines): void => {
      const start = jobs[chunk.first]!.index;
      if (jobs[chunk.first + chunk.count - 1]!.index === start + chunk.count - 1) sent.set(start, chunk);
    };
    const session = startPool(workerUrl).session<string>(
      limits,
      decodeArrived,
      options.cacheFile === undefined ? undefined : onLines,
    );
    for (const { job } of jobs) session.addFile(job);
    // This thread parses too, the chunks no thread was sent yet: it would otherwise wait
    // idle for the threads once it has read the state (44% of its time in a 10,000-file
    // plan); between chunks, the threads' replies come in and the state read goes on.
    await parseTakenChunks(
      session,
      async () => {
        const { parseWithoutFullParser } = await import('./parse-fast.js');
        const parse = (path: string, text: string) => parseWithoutFullParser(path, text, limits);
        return (job) => fileLine(job.file!, parse);
      },
      options.cacheFile === undefined ? undefined : (chunk, parsed) => onLines(encodeTaken(chunk, parsed)),
    );
    outcomes = await session.done({ keep: options.cacheFile !== undefined });
    writer = session.kept();
    jobs.forEach(({ index }, n) => {
      const outcome = outcomes[n]!;
      if (typeof outcome === 'string') lines[index] = outcome;
      else failed.set(index, outcome.failed);
    });
  }

  // Every file served by the cache, and no other cached: the cache stays as it is.
  const changed = !cache || cache.files.size !== found.length || hits !== found.length;
  // Each file's content hash (none: refused by its thread), for `files`.
  const hashes = new Array<string | undefined>(found.length);
  const quietFiles: QuietFile[] = [];
  const files = found.map((file, index): LoadedFile => {
    const reason = failed.get(index);
    if (reason !== undefined) return { path: file.relative, parsed: refusedFile(file.relative, reason) };
    const hit = served[index];
    if (hit) {
      // As decodeLine of the cache's own line, without looking it up again.
      hashes[index] = hit.hash;
      const quiet = quietLines === undefined ? undefined : quietOf(quietLines, file.relative, hit, decoded);
      if (quiet !== undefined) {
        quietFiles.push({ index, relative: file.relative, line: quiet });
        // Made an object only if asked (QuietFiles.assemble, `files`): not here.
        return QUIET_PLACE;
      }
      return decoded?.get(file.relative) ?? decodeBody(file.relative, hit.line.slice(hit.bodyAt));
    }
    const done =
      arrived.get(index) ??
      quietFresh?.(lines[index]!) ??
      decodeLine(file.relative, lines[index]!, cache, decoded);
    lines[index] = done.line;
    hashes[index] = done.hash;
    if ('quiet' in done) {
      quietFiles.push({ index, relative: file.relative, line: done.quiet });
      return QUIET_PLACE;
    }
    return done.file;
  });
  /** The load of every file but the quiet ones `taken`, the others made objects now. */
  const assemble = (taken: ReadonlySet<number>): LoadResult => {
    let kept: LoadedFile[] = files;
    if (quietFiles.length > 0) {
      kept = [];
      files.forEach((loaded, index) => {
        if (loaded !== QUIET_PLACE) kept.push(loaded);
        else if (!taken.has(index)) kept.push(materialised(index));
      });
    }
    const assembled = assembleLoad(refused.length > 0 ? [...kept, ...refused] : kept, options);
    assembled.diagnostics.unshift(...diagnostics);
    return assembled;
  };
  const materialised = (index: number): LoadedFile => {
    const hit = served[index];
    if (hit) return decodeBody(found[index]!.relative, hit.line.slice(hit.bodyAt));
    // Parsed now (freshQuiet): its line as decodeLine would have decoded it.
    return decodeLine(found[index]!.relative, lines[index]!, cache, decoded).file;
  };
  let whole: LoadResult | undefined = quietFiles.length > 0 ? undefined : assemble(new Set());
  let byPath: DirLoad['files'] | undefined;

  return {
    get result() {
      return (whole ??= assemble(new Set()));
    },
    cacheHits: hits,
    unread,
    ...(quietFiles.length > 0 ? { quiet: { files: quietFiles, assemble } } : {}),
    // Built when asked (`plan --base`): 10,000 entries no other plan reads.
    get files() {
      const every = files.map((loaded, index) => (loaded === QUIET_PLACE ? materialised(index) : loaded));
      return (byPath ??= filesByPath(found, every, hashes));
    },
    async saveCache() {
      if (!options.cacheFile || !changed) {
        void writer?.terminate();
        return options.cacheFile !== undefined;
      }
      const kept = cacheLines(lines, sent, jobs, outcomes);
      // Their bytes move to the writing thread: once.
      sent.clear();
      return writeManifestCache(options.cacheFile, context, scannedAt, kept, writer);
    },
  };
}

const utf8 = new TextEncoder();

/**
 * A chunk this thread parsed, its lines encoded as a parser thread sends them (one a file,
 * each ending with a newline): encoded here, between chunks, while the thread parses the
 * others, and not by saveCache on the plan's last stretch, when the thread would be idle.
 */
function encodeTaken(chunk: readonly ParseJob[], lines: readonly string[]): SentLines {
  return { first: chunk[0]!.index, count: chunk.length, bytes: utf8.encode(`${lines.join('\n')}\n`) };
}

/**
 * The lines to cache, in order, those that could not be stat-ed left out. A chunk a thread
 * read whose lines are all kept as they came (in a cold plan, every one) is its bytes as the
 * thread sent them: not encoded again here, on the plan's last stretch (the chunk's files
 * follow one another, see onLines). `jobs[n]` was the session's `n`th file, `outcomes[n]` its
 * outcome.
 */
function cacheLines(
  lines: ReadonlyArray<string | undefined>,
  sent: ReadonlyMap<number, SentLines>,
  jobs: readonly Job[],
  outcomes: ReadonlyArray<ParseOutcome<string>>,
): Array<string | Uint8Array> {
  const kept: Array<string | Uint8Array> = [];
  for (let index = 0; index < lines.length;) {
    const chunk = sent.get(index);
    if (chunk && keptAsSent(lines, index, chunk, jobs, outcomes)) {
      kept.push(chunk.bytes);
      index += chunk.count;
      continue;
    }
    const line = lines[index];
    if (line !== undefined && lineStatted(line)) kept.push(line);
    index += 1;
  }
  return kept;
}

/** Whether every line of `chunk`, which starts at file `index`, is to be cached as the thread sent it. */
function keptAsSent(
  lines: ReadonlyArray<string | undefined>,
  index: number,
  chunk: SentLines,
  jobs: readonly Job[],
  outcomes: ReadonlyArray<ParseOutcome<string>>,
): boolean {
  for (let offset = 0; offset < chunk.count; offset += 1) {
    const line = lines[index + offset];
    // Not rewritten since (decodeLine's `same`), stat-ed, and the file's own.
    if (line === undefined || line !== outcomes[chunk.first + offset] || !lineStatted(line)) return false;
    if (jobs[chunk.first + offset]!.index !== index + offset) return false;
  }
  return true;
}

/** Each file read (with its content hash; a file its thread refused has none) by path. */
function filesByPath(
  found: readonly FoundFile[],
  files: readonly LoadedFile[],
  hashes: ReadonlyArray<string | undefined>,
): DirLoad['files'] {
  const byPath: DirLoad['files'] = new Map();
  found.forEach((file, index) => {
    const hash = hashes[index];
    if (hash !== undefined) byPath.set(file.relative, { hash, file: files[index]! });
  });
  return byPath;
}

/** isFresh of the file's facts as stat says them now. */
function isStattedFresh(cached: CachedFile, absolute: string, scannedAt: number): boolean {
  const facts = statFacts(absolute);
  return facts !== undefined && isFresh(cached, facts, scannedAt);
}

const SAME = encodeBody({ same: true });

/**
 * Every file of the cache, decoded (a cache holds no `same` line: saveCache writes the body);
 * with `quiet`, those whose line is a quiet manifest's are put there instead, not decoded.
 */
function decodeCached(
  cache: ManifestCache,
  quiet: Map<string, QuietManifestLine> | undefined,
): Map<string, LoadedFile> {
  const decoded = new Map<string, LoadedFile>();
  for (const [relative, cached] of cache.files) {
    const content = cached.line.slice(cached.bodyAt);
    const line = quiet === undefined ? undefined : quietManifestLine(content);
    if (quiet !== undefined && line !== undefined) quiet.set(relative, line);
    else decoded.set(relative, decodeBody(relative, content));
  }
  return decoded;
}

/** Stands for a quiet file's place among the files loaded (never assembled). */
const QUIET_PLACE: LoadedFile = {
  path: '',
  parsed: { manifests: [], diagnostics: [], salvaged: [], unreadable: false },
};

/** The quiet manifest line of a file the cache served (found ahead by decodeCached, else now). */
function quietOf(
  quiet: Map<string, QuietManifestLine>,
  relative: string,
  hit: CachedFile,
  decoded: Map<string, LoadedFile> | undefined,
): QuietManifestLine | undefined {
  const found = quiet.get(relative);
  if (found !== undefined || decoded !== undefined) return found;
  return quietManifestLine(hit.line.slice(hit.bodyAt));
}

/** A file from its line (`line`: the one to keep in the cache), and its content hash. */
type DecodedLine = { file: LoadedFile; line: string; hash: string };

/** A file parsed now whose line is a quiet manifest's, left as its line. */
type FreshQuiet = { quiet: QuietManifestLine; line: string; hash: string };

/** The line of a file parsed now, if it is a quiet manifest's (never a `same` line: that names the cache's). */
function freshQuiet(line: string): FreshQuiet | undefined {
  const key = lineKey(line);
  if (key === undefined) return undefined;
  const quiet = quietManifestLine(line.slice(key.bodyAt));
  return quiet === undefined ? undefined : { quiet, line, hash: key.hash };
}

/**
 * A file from its line. `predecoded`: the cache's files decoded ahead (decodeCached), taken
 * for a line the cache holds and for a `same` line (a file touched but not changed: what
 * was cached, under its new facts).
 */
function decodeLine(
  relative: string,
  line: string,
  cache: ManifestCache | undefined,
  predecoded: Map<string, LoadedFile> | undefined,
): DecodedLine {
  const cached = cache?.files.get(relative);
  if (cached?.line === line) {
    const file = predecoded?.get(relative) ?? decodeBody(relative, line.slice(cached.bodyAt));
    return { file, line, hash: cached.hash };
  }
  const key = lineKey(line)!;
  const content = line.slice(key.bodyAt);
  if (content !== SAME) return { file: decodeBody(relative, content), line, hash: key.hash };
  const kept = cached!.line.slice(cached!.bodyAt);
  const file = predecoded?.get(relative) ?? decodeBody(relative, kept);
  return { file, line: formatLine(relative, key.facts, key.hash, kept), hash: key.hash };
}
