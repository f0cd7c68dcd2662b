import { assembleLoad } from './assemble.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import type { LoadOptions, LoadResult, ParsedFile, SourceFile } from './load.js';
import type { FileParseResult } from './parse.js';
import { startParsePool, type ParseFailure, type ParseSession } from './parse-pool.js';

/**
 * Built code parses in worker threads; TypeScript run from source (the tests) cannot start one.
 * Spelled from the parent folder: this code runs from dist/manifest/ (tsc) or from
 * dist/chunks/ (the CLI bundle, scripts/bundle.mjs), both beside dist/manifest/.
 */
const WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../manifest/parse-worker.js', import.meta.url)
  : undefined;

export type ManifestLoader = {
  /** Hands over a file as soon as it is read, so that parsing overlaps the reading. */
  accept: (file: SourceFile) => void;
  /** Stops the parser threads when `load` will not be called (reading failed). */
  close: () => void;
  /** `loadManifests`, with every file parsed in a worker thread of bounded memory. */
  load(files: readonly SourceFile[], options: LoadOptions): Promise<LoadResult>;
};

function refused(path: string, failure: ParseFailure): FileParseResult {
  return {
    manifests: [],
    diagnostics: [
      {
        severity: 'error',
        file: path,
        line: 0,
        column: 0,
        rule: 'yaml/parser-failed',
        message: `${failure.failed}; the file is refused`,
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
    done: async () => {
      const { parseManifestFile } = await import('./parse.js');
      return jobs.map((job) => parseManifestFile(job.path, job.text, limits));
    },
  };
}

/**
 * Starts the parser threads, before the files are read so that their start-up
 * overlaps the reading. The CLI and the controller load through this, so a file that
 * defeats the parser costs one diagnostic, never the process. One loader per load.
 */
export function startManifestLoader(
  options: { workers?: number; limits?: ParseLimits } = {},
): ManifestLoader {
  const limits = options.limits ?? DEFAULT_PARSE_LIMITS;
  const pool = WORKER_URL
    ? startParsePool({ url: WORKER_URL, ...(options.workers ? { workers: options.workers } : {}) })
    : undefined;
  const session = pool ? pool.session(limits) : inThread(limits);
  const order = new Map<string, number>();
  const accept = (file: SourceFile): void => {
    if (!('text' in file) || order.has(file.path)) return;
    order.set(file.path, order.size);
    session.add(file.path, file.text);
  };
  return {
    accept,
    close: () => pool?.close(),
    async load(files, loadOptions) {
      for (const file of files) accept(file);
      const outcomes = await session.done();
      return assembleLoad(
        files.map((file): ParsedFile | Extract<SourceFile, { unreadable: unknown }> => {
          if ('unreadable' in file) return file;
          const outcome = outcomes[order.get(file.path)!]!;
          return { ...file, parsed: 'failed' in outcome ? refused(file.path, outcome) : outcome };
        }),
        loadOptions,
      );
    },
  };
}
