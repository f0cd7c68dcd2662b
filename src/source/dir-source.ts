import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SourceSyncError } from './errors.js';
import { isIgnoredPath } from './dir-watch.js';
import type { Source, SourceRevision } from './types.js';

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const relative = path.relative(root, path.join(entry.parentPath, entry.name));
    if (!isIgnoredPath(relative)) files.push(relative);
  }
  return files.sort();
}

/**
 * A local directory as a source, for development (`--dir`). The revision is a hash
 * of every file's path and content, so an unchanged tree is reported as unchanged
 * and a reconcile can be skipped. The directory is read in place, not copied, so
 * diagnostics name the user's own files; pair it with `watchDirectory`, whose
 * debounce lets an editor finish writing before the next sync.
 */
export class DirectorySource implements Source {
  readonly #dir: string;
  #last: string | undefined;

  constructor(dir: string) {
    this.#dir = path.resolve(dir);
  }

  async sync(signal?: AbortSignal): Promise<SourceRevision> {
    const info = await stat(this.#dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new SourceSyncError('SOURCE_PATH_NOT_FOUND', `directory ${this.#dir} does not exist`);
    }
    const hash = createHash('sha256');
    for (const file of await listFiles(this.#dir)) {
      if (signal?.aborted) throw new SourceSyncError('SOURCE_ABORTED', 'directory scan was cancelled');
      // A file deleted between listing and reading is part of the next burst.
      const content = await readFile(path.join(this.#dir, file)).catch(() => undefined);
      if (content === undefined) continue;
      hash.update(`${file}\0${content.length}\0`).update(content);
    }
    const revision = `sha256:${hash.digest('hex')}`;
    const changed = revision !== this.#last;
    this.#last = revision;
    return { revision, dir: this.#dir, changed };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
