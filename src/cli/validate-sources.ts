import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Diagnostic, Note } from '../manifest/diagnostics.js';
import type { LoadResult, SourceFile } from '../manifest/load.js';
import { startManifestLoader } from '../manifest/load-isolated.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  NOT_SELECTED,
  readManifestDir,
  readManifestFile,
} from '../manifest/read-dir.js';
import { fileSelector, filtersGiven } from '../source/file-filter.js';
import { filtersForAncestor, filtersForDirError, type FiltersForDir } from './named-file-filters.js';
import { readOptions, type SourceFlags } from './source-options.js';
import { leavesDirectory } from '../files/leaves-directory.js';
import { lookAt, unlistableReason } from './unreadable-path.js';

/**
 * How a path is shown: relative to the current directory, with `/`, as editors and
 * GitHub annotations resolve it; absolute when it lies outside.
 */
export function displayPath(absolute: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, absolute);
  if (relative === '') return '.';
  if (leavesDirectory(relative)) return absolute;
  return relative.split(path.sep).join('/');
}

/**
 * displayPath, and for a path it would show absolute, that of its real path: the current
 * directory is a real path, so `$PWD/audiences` in a directory reached through a symlink
 * (macOS's /tmp, a linked workspace) would otherwise be shown, and filtered, absolute.
 */
async function shownPath(absolute: string): Promise<string> {
  const shown = displayPath(absolute);
  if (shown !== absolute) return shown;
  const real = await realpath(absolute).catch(() => absolute);
  const shownReal = displayPath(real);
  return shownReal === real ? absolute : shownReal;
}

function under(prefix: string, file: string): string {
  if (file === '.') return prefix;
  return prefix === '.' ? file : `${prefix.replace(/\/$/, '')}/${file}`;
}

type Found = { kind: 'dir' | 'file'; absolute: string; shown: string };

/** Every path given, or one error line per missing (or special) path, all at once. */
async function findPaths(paths: readonly string[]): Promise<Found[]> {
  const found: Found[] = [];
  const missing: string[] = [];
  for (const given of paths) {
    const look = lookAt(given);
    if (look.kind === 'absent') {
      missing.push(`${given}: does not exist`);
      continue;
    }
    // A file under a folder the user cannot pass is there: "does not exist" sent them looking for a typo.
    if (look.kind === 'unreadable') {
      missing.push(`${given}: cannot be read: ${look.reason}`);
      continue;
    }
    const { info } = look;
    // Opening a FIFO waits for a writer (validate hung); a socket or device is no manifest.
    if (!info.isDirectory() && !info.isFile()) {
      missing.push(`${given}: not a regular file or a directory`);
      continue;
    }
    const unlistable = info.isDirectory() ? unlistableReason(given) : undefined;
    if (unlistable !== undefined) {
      missing.push(`${given}: cannot read folder: ${unlistable}`);
      continue;
    }
    const absolute = path.resolve(given);
    found.push({ kind: info.isDirectory() ? 'dir' : 'file', absolute, shown: await shownPath(absolute) });
  }
  if (missing.length > 0) throw new UsageError('NO_SUCH_PATH', missing.join('; '));
  return found;
}

export type ValidateLoad = LoadResult & { readNotes: Note[] };

/**
 * Loads manifests from directories and files together (pre-commit passes file names),
 * as one source: names must be unique across all of them. Paths in the result are
 * shown relative to the current directory. A named file is read when the
 * `--include`/`--exclude` filters select its shown path; else it gets a note, or, when
 * they select it relative to one of its directories (written for it), the run is refused.
 */
export async function loadPaths(paths: readonly string[], flags: SourceFlags): Promise<ValidateLoad> {
  const found = await findPaths(paths);
  const maxBytes = flags.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const options = { ...readOptions(flags), maxFileBytes: maxBytes };
  const selected = fileSelector(options);
  const loader = startManifestLoader();
  const files = new Map<string, SourceFile>();
  const diagnostics: Diagnostic[] = [];
  const readNotes: Note[] = [];
  const forDir: FiltersForDir[] = [];
  const add = (file: SourceFile): void => {
    if (files.has(file.path)) return;
    files.set(file.path, file);
    loader.accept(file);
  };
  try {
    for (const source of found) {
      if (source.kind === 'file') {
        const matched = path.isAbsolute(source.shown) ? path.basename(source.shown) : source.shown;
        if (selected(matched)) {
          add(readManifestFile(source.shown, source.absolute, maxBytes));
          continue;
        }
        const misfit = filtersForAncestor(source.shown, flags);
        if (misfit) forDir.push(misfit);
        else readNotes.push(notSelected(source.shown, flags));
        continue;
      }
      const read = await readManifestDir(source.absolute, options, (file) =>
        add(shownUnder(source.shown, file)),
      );
      for (const d of read.diagnostics) diagnostics.push({ ...d, file: under(source.shown, d.file) });
    }
    if (forDir.length > 0) throw filtersForDirError(forDir, flags);
  } catch (error) {
    loader.close();
    throw error;
  }
  const loaded = await loader.load([...files.values()], { defaultSandbox: flags.sandbox });
  loaded.diagnostics.unshift(...diagnostics);
  return { ...loaded, readNotes };
}

/** A file of a directory as shown: its path, and the path its read error names, under `prefix`. */
function shownUnder(prefix: string, file: SourceFile): SourceFile {
  const shown = under(prefix, file.path);
  if ('unreadable' in file) return { path: shown, unreadable: { ...file.unreadable, file: shown } };
  return { ...file, path: shown };
}

/** The filters that left a named file out, as given (`--include 'loyalty/**'`), or the default. */
function notSelected(file: string, flags: SourceFlags): Note {
  const given = filtersGiven(flags);
  const by =
    given.length === 0
      ? '--include/--exclude (default: **/*.yaml, **/*.yml)'
      : `${given.join(' ')}${flags.include ? '' : ' (and the default --include **/*.yaml, **/*.yml)'}`;
  return {
    severity: 'note',
    file,
    line: 0,
    column: 0,
    rule: NOT_SELECTED,
    message: `not selected by ${by}; skipped`,
  };
}
