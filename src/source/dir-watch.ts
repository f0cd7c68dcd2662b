import path from 'node:path';
import { watch } from 'chokidar';
import { collectBursts, defaultMaxWaitMs } from './bursts.js';

export type DirectoryWatchOptions = {
  /** Quiet time after the last event before a burst is reported. Default 300 ms. */
  debounceMs?: number;
  /**
   * Report a burst that never goes quiet after this long anyway (a writer that never stops).
   * Default max(2 s, 10 × debounceMs); never less than debounceMs.
   */
  maxWaitMs?: number;
  /** Called for watcher errors (permissions, too many files); the watcher keeps running. */
  onError?: (error: Error) => void;
};

export type DirectoryWatcher = {
  /** Resolves when the initial scan is done: changes after it are reported. */
  ready: Promise<void>;
  /** Stops watching and cancels a pending report. */
  close(): Promise<void>;
};

/** Directories that never hold manifests and churn a lot. */
const IGNORED_DIRS = new Set(['.git', 'node_modules']);

export function isIgnoredPath(relative: string): boolean {
  return relative.split(/[\\/]/).some((part) => IGNORED_DIRS.has(part));
}

/**
 * Watches `dir` recursively and calls `onChange` once per burst of edits (an editor
 * save is often write + rename + chmod), with the relative paths that changed,
 * sorted. The callback is never called after `close()`.
 */
export function watchDirectory(
  dir: string,
  onChange: (changed: readonly string[]) => void,
  options: DirectoryWatchOptions = {},
): DirectoryWatcher {
  const debounceMs = options.debounceMs ?? 300;
  const root = path.resolve(dir);
  const bursts = collectBursts(onChange, {
    debounceMs,
    maxWaitMs: options.maxWaitMs ?? defaultMaxWaitMs(debounceMs),
  });

  function schedule(file: string): void {
    const relative = path.relative(root, file) || '.';
    if (isIgnoredPath(relative)) return;
    bursts.add(relative);
  }

  const watcher = watch(root, {
    ignoreInitial: true,
    ignored: (file: string) => isIgnoredPath(path.relative(root, file)),
  });
  watcher.on('all', (_event, file) => schedule(file));
  watcher.on('error', (error) =>
    options.onError?.(error instanceof Error ? error : new Error(String(error))),
  );
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    ready,
    async close() {
      bursts.close();
      await watcher.close();
    },
  };
}
