import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { sourceFileFromBytes } from './decode.js';
import type { Diagnostic } from './diagnostics.js';
import type { SourceFile } from './load.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/**
 * The largest --max-file-bytes: a file is read whole into one string, and V8's longest
 * (0x1fffffe8 characters, about 512 MiB) failed every read of a larger one; half that
 * leaves room. A manifest is about 1 KB.
 */
export const MAX_FILE_BYTES_LIMIT = 256 * 1024 * 1024;

/** What the manifest cache compares, as git's index does: size, modification time, inode. */
/**
 * What the manifest cache compares of a file. `ctimeMs`, the inode's change time, is what
 * an in-place rewrite that sets the modification time back (cp -p, rsync -t, touch -r)
 * cannot set back, as git's index keeps it.
 */
export type FileFacts = { size: number; mtimeMs: number; ctimeMs: number; ino: number };

/** `bytes`: a view of a buffer the next read in this thread overwrites (hash it at once). */
export type ReadSource = { file: SourceFile; facts?: FileFacts; bytes?: Buffer };

/** One buffer per thread for every file it reads (a manifest is about 1 KB); grown for larger ones. */
let shared = Buffer.allocUnsafe(64 * 1024);

/**
 * The file's bytes from its descriptor, into `shared`. A regular file is read in one
 * call when it is as long as fstat said: one byte more is asked for, so a short read
 * is its end (readFileSync stats it again, allocates, and reads until a read of 0).
 */
function readAll(fd: number, expected: number, regular: boolean): Buffer {
  if (shared.length <= expected) shared = Buffer.allocUnsafe(expected + 1);
  let length = 0;
  for (;;) {
    if (length === shared.length) {
      const larger = Buffer.allocUnsafe(shared.length * 2);
      shared.copy(larger);
      shared = larger;
    }
    const asked = shared.length - length;
    const read = readSync(fd, shared, length, asked, null);
    length += read;
    if (read === 0 || (regular && read < asked && length === expected)) break;
  }
  return shared.subarray(0, length);
}

export function fileDiagnostic(
  file: string,
  severity: Diagnostic['severity'],
  rule: string,
  message: string,
): Diagnostic {
  return { severity, file, line: 0, column: 0, rule, message };
}

/**
 * Reads one manifest file: its facts first, then its bytes (from the same descriptor),
 * so a file changed meanwhile shows facts older than its content, and a cache keyed by
 * them misses next time rather than serving stale text. Synchronous on purpose: for
 * thousands of small files it is about ten times faster than fs/promises.
 */
function isSymlink(absolute: string): boolean {
  try {
    return lstatSync(absolute).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A manifest file that is a link to nothing: never read as a removed one. */
export function brokenLink(relative: string): Diagnostic {
  return fileDiagnostic(
    relative,
    'error',
    'source/symlink-broken',
    'symlink target does not exist (or is a loop): the audiences it defined are left as they are and deletions are held; restore its target, or remove the link',
  );
}

/**
 * Why a listed file is not there: its name (or a folder's in its path) is not UTF-8, and the
 * listing, decoding it, gave a name of U+FFFD characters that names no file (ENOENT). Said as
 * that, not as "no such file or directory" (found by the sixtieth pass's verify, F4).
 */
function notUtf8Name(relative: string, cause: unknown): string | undefined {
  if ((cause as NodeJS.ErrnoException).code !== 'ENOENT' || !relative.includes('\ufffd')) return undefined;
  return 'its name is not UTF-8 text (shown with \ufffd for the bytes that are not): rename it in UTF-8';
}

export function readSourceFile(relative: string, absolute: string, maxBytes: number): ReadSource {
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    const info = fstatSync(fd);
    const facts = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
    if (info.size > maxBytes) {
      const message = `file is ${info.size} bytes, over the ${maxBytes}-byte limit`;
      return {
        file: {
          path: relative,
          unreadable: fileDiagnostic(relative, 'error', 'source/file-too-large', message),
        },
        facts,
      };
    }
    const bytes = readAll(fd, info.size, info.isFile());
    return { file: sourceFileFromBytes(relative, bytes), facts, bytes };
  } catch (cause) {
    if (isSymlink(absolute)) return { file: { path: relative, unreadable: brokenLink(relative) } };
    const message = `cannot read file: ${notUtf8Name(relative, cause) ?? (cause as Error).message}`;
    return {
      file: { path: relative, unreadable: fileDiagnostic(relative, 'error', 'source/unreadable', message) },
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One manifest file, as a source file (its text, or why it could not be read). */
export function readManifestFile(
  relative: string,
  absolute: string,
  maxBytes: number = DEFAULT_MAX_FILE_BYTES,
): SourceFile {
  return readSourceFile(relative, absolute, maxBytes).file;
}
