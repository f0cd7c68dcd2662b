import { assembleLoad } from './assemble.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import type { LoadOptions, LoadResult, ParsedFile, SourceFile } from './load.js';
import type { FileParseResult } from './parse.js';
import { parseTakenChunks, startParsePool, type ParseOutcome, type ParseSession } from './parse-pool.js';
import { parserThreadCount } from './parser-threads.js';

/**
 * Built code parses in worker threads; TypeScript run from source (the tests) cannot start one.
 * Spelled from the parent folder: this code runs from dist/manifest/ (tsc) or from
 * dist/chunks/ (the CLI bundle, scripts/bundle.mjs), both beside dist/manifest/.
 */
export const WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../manifest/parse-worker.js', import.meta.url)
  : undefined;

export type ManifestLoader = {
  /** Hands over a file as soon as it is read, so that parsing overlaps the reading. */
  accept: (file: SourceFile) => void;
  /** Stops the parser threads when `load` will not be called (reading failed). */
  close: () => void;
  /** `loadManifests`, with every file parsed in a worker thread of bounded memory. */
  load(files: readonly SourceFile[], options: LoadOptions): Promise<LoadResult>;
  /** `load` without `assembleLoad`: each file with what parsing it gave (the controller keeps them between passes). */
  parse(files: readonly SourceFile[]): Promise<LoadedFile[]>;
};

/** A file as `assembleLoad` takes it: parsed, or unreadable. */
export type LoadedFile = ParsedFile | Extract<SourceFile, { unreadable: unknown }>;

/** A file whose parser thread died, refused with one diagnostic. */
export function refusedFile(path: string, failed: string): FileParseResult {
  return {
    manifests: [],
    diagnostics: [
      {
        severity: 'error',
        file: path,
        line: 0,
        column: 0,
        rule: 'yaml/parser-failed',
        message: `${failed}; the file is refused`,
      },
    ],
    salvaged: [],
    unreadable: true,
  };
}

/** From source (the tests), parse in this thread: same results, no isolation. */
function inThread(limits: ParseLimits): ParseSession {
  const jobs: Array<{ path: string; text: string }> = [];
  return {
    add: (path, text) => jobs.push({ path, text }),
    addFile: () => {
      throw new Error('the in-thread parser reads no files');
    },
    // Everything is parsed here anyway: nothing for the caller to take.
    take: () => undefined,
    settle: () => undefined,
    requeue: () => undefined,
    done: async () => {
      const { parseManifestFile } = await import('./parse.js');
      return jobs.map((job) => parseManifestFile(job.path, job.text, limits));
    },
    kept: () => undefined,
  };
}

/**
 * Up to this many files, the ordinary ones are parsed in this thread: starting a parser
 * thread costs more than parsing them (`validate` of the files a pre-commit hook names).
 * Files that need the full parser still go to a thread.
 */
export const IN_THREAD_MAX_FILES = 16;

/**
 * Starts the parser threads once the source passes IN_THREAD_MAX_FILES files, so that
 * their start-up overlaps the reading. The CLI and the controller load through this,
 * so a file that defeats the parser costs one diagnostic, never the process. One
 * loader per load.
 */
export function startManifestLoader(
  options: { workers?: number; limits?: ParseLimits; workerUrl?: URL } = {},
): ManifestLoader {
  const limits = options.limits ?? DEFAULT_PARSE_LIMITS;
  const workerUrl = options.workerUrl ?? WORKER_URL;
  let pool: ReturnType<typeof startParsePool> | undefined;
  let session: ParseSession | undefined;
  const startSession = (): ParseSession => {
    if (session) return session;
    // This thread parses too, the chunks no thread was sent yet (see `parse`).
    const workers = options.workers ?? parserThreadCount();
    pool = workerUrl ? startParsePool({ url: workerUrl, workers }) : undefined;
    session = pool ? pool.session(limits) : inThread(limits);
    return session;
  };
  /** Files read before the threads started, in order. */
  const early: Array<{ path: string; text: string }> = [];
  const order = new Set<string>();
  const accept = (file: SourceFile): void => {
    if (!('text' in file) || order.has(file.path)) return;
    order.add(file.path);
    if (session) return session.add(file.path, file.text);
    early.push({ path: file.path, text: file.text });
    if (early.length > IN_THREAD_MAX_FILES) {
      const started = startSession();
      for (const job of early.splice(0)) started.add(job.path, job.text);
    }
  };
  return {
    accept,
    close: () => pool?.close(),
    async load(files, loadOptions) {
      return assembleLoad(await this.parse(files), loadOptions);
    },
    async parse(files) {
      for (const file of files) accept(file);
      const outcomes = new Map<string, ParseOutcome>();
      // A small source: ordinary files here, only the others in a thread.
      const rest: typeof early = [];
      // The fast parser is loaded only when there is a file to parse here.
      const fast =
        workerUrl && early.length > 0 ? (await import('./parse-fast.js')).parseWithoutFullParser : undefined;
      for (const job of early) {
        const parsed = fast?.(job.path, job.text, limits);
        if (parsed) outcomes.set(job.path, parsed);
        else rest.push(job);
      }
      if (rest.length > 0) for (const job of rest) startSession().add(job.path, job.text);
      if (session) {
        const paths = [...order].filter((path) => !outcomes.has(path));
        // This thread parses too, once every file is read: the chunks no thread was sent yet.
        if (workerUrl)
          await parseTakenChunks(session, async () => {
            const { parseWithoutFullParser } = await import('./parse-fast.js');
            return (job) => parseWithoutFullParser(job.path, job.text ?? '', limits);
          });
        const done = await session.done();
        paths.forEach((path, index) => outcomes.set(path, done[index]!));
      }
      return files.map((file): LoadedFile => {
        if ('unreadable' in file) return file;
        const outcome = outcomes.get(file.path)!;
        return { ...file, parsed: 'failed' in outcome ? refusedFile(file.path, outcome.failed) : outcome };
      });
    },
  };
}
