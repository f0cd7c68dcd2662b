import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
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
  /**
   * Called when the directory itself goes (`gone`: removed, renamed away, unmounted), and when a
   * directory is there again at its path and watched (`back`): changes in between were never
   * reported, so the caller looks at everything again.
   */
  onRoot?: (event: 'gone' | 'back') => void;
};

/** While the directory is gone, how often its path is looked at: one stat. */
const GONE_CHECK_MS = 1_000;

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

  // chokidar ends the watch of a directory that goes and never sees one made again at its path
  // (`rm -rf manifests && cp -r build manifests`): its edits then waited for --interval for as
  // long as the controller ran (review 41, F-5). Until the path is a directory again, it is
  // looked at every GONE_CHECK_MS, then watched anew.
  let current: FSWatcher | undefined;
  let closed = false;
  let checking: NodeJS.Timeout | undefined;

  function start(): Promise<void> {
    const watcher = watch(root, {
      ignoreInitial: true,
      ignored: (file: string) => isIgnoredPath(path.relative(root, file)),
    });
    current = watcher;
    watcher.on('all', (event, file) => {
      if (event === 'unlinkDir' && path.resolve(file) === root) void lost(watcher);
      else schedule(file);
    });
    watcher.on('error', (error) =>
      options.onError?.(error instanceof Error ? error : new Error(String(error))),
    );
    return new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  async function lost(watcher: FSWatcher): Promise<void> {
    if (closed || current !== watcher) return;
    current = undefined;
    await watcher.close();
    if (closed) return;
    options.onRoot?.('gone');
    awaitRoot();
  }

  function awaitRoot(): void {
    checking = setTimeout(() => {
      checking = undefined;
      void stat(root)
        .then((info) => info.isDirectory())
        .catch(() => false)
        .then(async (there) => {
          if (closed) return;
          if (!there) return awaitRoot();
          await start();
          if (!closed) options.onRoot?.('back');
        });
    }, GONE_CHECK_MS);
  }

  const ready = start();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(checking);
      bursts.close();
      await current?.close();
    },
  };
}
