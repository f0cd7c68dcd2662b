import { lstat, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
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
   * directory is there again at its path and watched (`back`; also, without a `gone`, when another
   * directory took its place at once: made again, a symlink pointed elsewhere): changes in between
   * were never reported, so the caller looks at everything again.
   */
  onRoot?: (event: 'gone' | 'back') => void;
  /**
   * How often the directory's path is looked at (one stat), watched or gone: a directory gone or
   * another in its place that the watch did not report is seen this much later. Default 1 000 ms.
   */
  rootCheckMs?: number;
};

const ROOT_CHECK_MS = 1_000;

/**
 * Which directory is at the path: another one there (made again, a symlink pointed elsewhere) is
 * not the one watched. The inode of a directory removed is often given to the next one made (as on
 * ext4): its birth time tells them apart where the file system keeps one (0 where it does not).
 */
type Identity = Pick<Stats, 'dev' | 'ino' | 'birthtimeMs'>;

/** The directory at `root` (a symlink followed), or undefined when no directory is there. */
async function identityOf(root: string): Promise<Identity | undefined> {
  const info = await stat(root).catch(() => undefined);
  return info?.isDirectory() ? { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs } : undefined;
}

/** Whether a directory (not a link to one) is at `at` now. */
async function isDirectory(at: string): Promise<boolean> {
  const info = await lstat(at).catch(() => undefined);
  return info?.isDirectory() === true;
}

/** The path of the fs.watch a raw chokidar event came from (its third argument, on Linux). */
function watchedPathOf(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null || !('watchedPath' in details)) return undefined;
  return typeof details.watchedPath === 'string' ? details.watchedPath : undefined;
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs;
}

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
  const rootCheckMs = options.rootCheckMs ?? ROOT_CHECK_MS;
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
  // looked at every rootCheckMs, then watched anew.
  //
  // Nor does chokidar always say the directory went: it reports its removal only when the last
  // file's removal is seen after the directory is gone. A directory emptied before it went (an
  // `rm -rf` descheduled between its unlinks and its rmdir), one removed and made again at once,
  // a symlinked --dir pointed elsewhere: the watch stayed on a directory no longer at the path
  // (CI, dir-recreated-watch on Node 24). So while watched, the path is looked at every
  // rootCheckMs too: not a directory any more, or another one (device, inode and birth time), it
  // is lost.
  let current: FSWatcher | undefined;
  let closed = false;
  let checking: NodeJS.Timeout | undefined;
  /** Ends the wait for the current watcher's `ready`: one closed before its scan ended never says it. */
  let unready: (() => void) | undefined;

  function stopWatching(): Promise<void> | undefined {
    clearTimeout(checking);
    checking = undefined;
    unready?.();
    const watcher = current;
    current = undefined;
    return watcher?.close();
  }

  /**
   * Watches the directory at the path; resolves once its scan is done (or it was lost or closed
   * meanwhile: false). Its identity is looked at before chokidar looks: if it changes in between,
   * the first check sees another directory and watches again.
   */
  async function start(): Promise<boolean> {
    const watched = await identityOf(root);
    if (closed) return false;
    const watcher = watch(root, {
      ignoreInitial: true,
      ignored: (file: string) => isIgnoredPath(path.relative(root, file)),
    });
    current = watcher;
    watcher.on('all', (event, file) => {
      if (event === 'unlinkDir' && path.resolve(file) === root) void lost(watcher);
      else schedule(file);
    });
    // The kernel's word that the directory watched went (inotify's IN_DELETE_SELF, IN_MOVE_SELF):
    // an event on the directory named as the directory. Where no birth time is kept, the only
    // sign of one made again at once, in the same inode. (A file in it of the same name says the
    // same: watched anew for nothing, and read again once.)
    //
    // chokidar's bookkeeping has the same hole below: a folder removed and made again (at once,
    // or emptied first), or another moved into its place, is still listed as watched, and no
    // edit in the new one was reported (they waited for --interval). A watch that said its own
    // entry went, with a directory at its path then or later: the whole tree is watched anew.
    const vanished = new Set<string>();
    watcher.on('raw', (_event, name, details) => {
      const watchedPath = watchedPathOf(details);
      if (watchedPath === undefined) return;
      const self = name === path.basename(watchedPath);
      if (self && watchedPath === root) return void lost(watcher);
      const at = self ? watchedPath : path.join(watchedPath, name);
      if (!self && !vanished.has(at)) return;
      void isDirectory(at).then((directory) => {
        if (directory) void lost(watcher);
        else if (self) vanished.add(at);
      });
    });
    watcher.on('error', (error) =>
      options.onError?.(error instanceof Error ? error : new Error(String(error))),
    );
    await new Promise<void>((resolve) => {
      unready = resolve;
      watcher.once('ready', () => resolve());
    });
    if (closed || current !== watcher) return false;
    unready = undefined;
    checkRoot(watcher, watched);
    return true;
  }

  function checkRoot(watcher: FSWatcher, watched: Identity | undefined): void {
    checking = setTimeout(() => {
      checking = undefined;
      void identityOf(root).then((now) => {
        if (closed || current !== watcher) return;
        if (now !== undefined && watched !== undefined && sameIdentity(now, watched))
          return checkRoot(watcher, watched);
        void lost(watcher);
      });
    }, rootCheckMs);
  }

  async function lost(watcher: FSWatcher): Promise<void> {
    if (closed || current !== watcher) return;
    await stopWatching();
    if (closed) return;
    // Another directory in its place already: it never went missing, and is watched at once.
    if ((await identityOf(root)) !== undefined) return back();
    options.onRoot?.('gone');
    awaitRoot();
  }

  /** Said only of a watch still current once ready: one lost meanwhile has said what came next. */
  async function back(): Promise<void> {
    if ((await start()) && !closed) options.onRoot?.('back');
  }

  function awaitRoot(): void {
    checking = setTimeout(() => {
      checking = undefined;
      void identityOf(root).then(async (there) => {
        if (closed) return;
        if (there === undefined) return awaitRoot();
        await back();
      });
    }, rootCheckMs);
  }

  const ready = start().then(() => undefined);

  return {
    ready,
    async close() {
      closed = true;
      bursts.close();
      await stopWatching();
    },
  };
}
