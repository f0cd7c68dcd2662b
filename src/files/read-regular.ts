import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { reasonOf } from '../state/errors.js';

/**
 * Non-blocking open: a FIFO opened so does not wait for a writer (a plain open, or a read
 * of one, waited forever), and is then refused by its fstat. No effect on regular files.
 */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a path is, when it is no regular file: "a named pipe (FIFO)". */
export function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'no regular file';
}

/**
 * A user-named file refused before it is read; `label` (a flag, a setting) starts the
 * message. `reason` is for messages of the form "cannot read X: <reason>".
 */
export class RefusedFileError extends UsageError {
  constructor(
    code: string,
    readonly file: string,
    readonly reason: string,
    message: string,
    label: string | undefined,
  ) {
    super(code, `${label === undefined ? '' : `${label}: `}${message}`);
  }
}

/**
 * Not a regular file: a FIFO, a directory, a device (/dev/zero, /dev/stdin), a socket,
 * whose read waited for a writer, or never ended. `--http-token-file: /x/fifo is a named
 * pipe (FIFO), not a regular file`.
 */
export class NotRegularFileError extends RefusedFileError {
  constructor(file: string, kind: string, label?: string) {
    super(
      'NOT_A_REGULAR_FILE',
      file,
      `it is ${kind}, not a regular file`,
      `${file} is ${kind}, not a regular file`,
      label,
    );
  }
}

/** A file larger than the reader takes (a secret of megabytes is no secret). */
export class FileTooLargeError extends RefusedFileError {
  constructor(file: string, size: number, maxBytes: number, label?: string) {
    const reason = `it is ${size} bytes, over the ${maxBytes}-byte limit`;
    super('FILE_TOO_LARGE', file, reason, `${file}: ${reason}`, label);
  }
}

export type ReadRegularOptions = {
  /** The flag or setting that named the file, to start the messages with. */
  label?: string | undefined;
  /** Refuse a larger file (FileTooLargeError). Default: no limit. */
  maxBytes?: number | undefined;
  /**
   * Told the stats of the file opened (fstat of the handle read, no second look): the version of
   * the text read, which a later stat of the path tells apart from any other (record-version.ts).
   */
  opened?: ((info: Stats) => void) | undefined;
};

function checked(file: string, info: Stats, options: ReadRegularOptions): void {
  if (!info.isFile()) throw new NotRegularFileError(file, kindOf(info), options.label);
  if (options.maxBytes !== undefined && info.size > options.maxBytes)
    throw new FileTooLargeError(file, info.size, options.maxBytes, options.label);
}

/** A socket cannot be opened (ENXIO): said as what it is. */
function openFailure(file: string, error: unknown, options: ReadRegularOptions): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENXIO') return error;
  const info = statSync(file, { throwIfNoEntry: false });
  return info && !info.isFile() ? new NotRegularFileError(file, kindOf(info), options.label) : error;
}

function openRegularSync(file: string, options: ReadRegularOptions): number {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (error) {
    throw openFailure(file, error, options);
  }
  try {
    const info = fstatSync(fd);
    checked(file, info, options);
    options.opened?.(info);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Whether `error` says that no file is at the path (ENOENT, ENOTDIR): for a file a secret is
 * given in, the value may then be the secret itself, pasted where its path belonged
 * (`--git-token-file "$TOKEN"`), and is not repeated (secretPathNote).
 */
export function isMissingPath(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** What a refusal says instead of the path of a secret's file that names no file (isMissingPath). */
export function secretPathNote(): string {
  return `relative paths start at ${process.cwd()}; the path is not shown, in case it is the secret itself`;
}

/**
 * A user-named file that cannot be opened (missing, permission denied). The path is named,
 * unless the value holds a line break or a key's header: then it is a secret pasted where its
 * path belonged, and only "the value given" is said. `secret`: the file holds a secret (a
 * token, a key, a password), and a path that names no file is not repeated whatever it holds:
 * a token or password is one line, without a header.
 */
export class UnreadableFileError extends RefusedFileError {
  constructor(file: string, error: unknown, label?: string, options: { secret?: boolean } = {}) {
    const reason = reasonOf(error);
    const hidden = options.secret === true && isMissingPath(error);
    const message = hidden
      ? `cannot read the path given: ${reason} (${secretPathNote()})`
      : `cannot read ${/[\r\n]|PRIVATE KEY/.test(file) ? 'the value given' : file}: ${reason}`;
    // Not kept either where a logged error's fields would show it.
    super('FILE_UNREADABLE', hidden ? 'the path given' : file, reason, message, label);
  }
}

/**
 * For a file another program reads at each use (git's CA bundle, ssh's key and known_hosts):
 * checked at start, opened and closed without reading, so that a mistyped path or a Secret
 * mounted elsewhere is one line naming its flag, not the other program's words at every
 * fetch of a controller that never becomes ready. A FIFO (which would hold each fetch) and
 * a directory are refused as by checkRegularFileSync. `missingOk`: a file the program creates
 * itself (ssh records a host in known_hosts under accept-new). `secret`: a file holding a
 * secret (UnreadableFileError).
 */
export function checkFileForReader(
  file: string,
  label: string,
  options: { missingOk?: boolean; secret?: boolean } = {},
): void {
  try {
    checkRegularFileSync(file, { label });
  } catch (error) {
    if (error instanceof RefusedFileError) throw error;
    if (options.missingOk && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UnreadableFileError(file, error, label, { secret: options.secret === true });
  }
}

/**
 * Checks, without reading it, that `file` is a regular file another reader (a library)
 * can read without blocking; the errors of readRegularFileSync.
 */
export function checkRegularFileSync(file: string, options: ReadRegularOptions = {}): void {
  closeSync(openRegularSync(file, options));
}

/**
 * A user-named file's bytes, never blocking: anything but a regular file is refused
 * (NotRegularFileError), as is one over `maxBytes` (FileTooLargeError). Other failures
 * (ENOENT, EACCES) are thrown as the system gave them, for the caller to word.
 */
export function readRegularFileSync(file: string, options: ReadRegularOptions = {}): Buffer {
  const fd = openRegularSync(file, options);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFileSync as text (UTF-8). */
export function readRegularTextSync(file: string, options: ReadRegularOptions = {}): string {
  return readRegularFileSync(file, options).toString('utf8');
}

/**
 * An open handle on a regular file, and its stats, or the errors of readRegularFileSync;
 * the caller closes it.
 */
export async function openRegularFile(
  file: string,
  options: ReadRegularOptions = {},
): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(file, READ_FLAGS);
  } catch (error) {
    throw openFailure(file, error, options);
  }
  try {
    const info = await handle.stat();
    checked(file, info, options);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** readRegularTextSync, off the main thread. */
export async function readRegularText(file: string, options: ReadRegularOptions = {}): Promise<string> {
  const { handle } = await openRegularFile(file, options);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
