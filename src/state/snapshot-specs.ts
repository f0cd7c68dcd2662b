import { hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { CacheBytes } from '../cache/cache-file.js';
import { READ_FLAGS } from '../files/read-regular.js';
import { StateError } from './errors.js';

/**
 * The state snapshot (snapshot.ts) holds its records' applied specs, two thirds of its
 * bytes, in a section after the records' lines, which a plan reads only when it reads a
 * spec: a no-change plan reads none. The header names the section's start (the records'
 * lines' length), and each record's line the place, length and digest of its spec.
 *
 * The section is not covered by the header's digest (that would mean reading it), so each
 * spec is checked as it is read. A check that fails (the file edited, cut short, or
 * replaced by a newer snapshot since its lines were read) cannot be answered from there:
 * the plan is made again without the snapshot (SnapshotSpecError, caught by `plan`).
 */

/** A spec's digest in its record's line: the first 20 hex digits of the SHA-1 of its JSON's UTF-8 bytes. */
export function specDigest(json: string | Uint8Array): string {
  return hash('sha1', json, 'hex').slice(0, 20);
}

/** An applied spec the snapshot could not serve as it was written: the plan is made again without the snapshot. */
export class SnapshotSpecError extends StateError {
  override readonly name: string = 'SnapshotSpecError';

  constructor(file: string, what: string) {
    super(
      'STATE_SNAPSHOT_STALE',
      `the state snapshot ${file} no longer holds ${what} as its records' lines say; plan again without it`,
    );
  }
}

/** The header line's length that a snapshot's header may not exceed (its directory's path is in it). */
const HEADER_MAX_BYTES = 1 << 16;

function readAt(fd: number, into: Buffer, position: number): number {
  let length = 0;
  while (length < into.length) {
    const read = readSync(fd, into, length, into.length - length, position + length);
    if (read === 0) break;
    length += read;
  }
  return length;
}

/** Where the header line ends in the first bytes read, and how long the file's head (header and records' lines) is. */
function headOf(first: Buffer, size: number): { end: number; length: number } | undefined {
  const end = first.indexOf(0x0a);
  if (end < 0) return undefined;
  const index = indexLength(first.toString('utf8', 0, end));
  if (index === undefined || end + 1 + index > size) return undefined;
  return { end, length: end + 1 + index };
}

function cacheBytesOf(bytes: Buffer, end: number): CacheBytes {
  return { bytes, end, digest: hash('sha1', bytes.subarray(end + 1), 'hex') };
}

/**
 * The header line and the records' lines of a snapshot (the bytes up to its specs
 * section, whose start the header names as `index`), and the SHA-1 of the records' lines;
 * never the specs. Undefined as loadCacheBytes: no file, not a regular file (a FIFO is
 * not waited on: READ_FLAGS), no header line, or a header that names no section (as an
 * older release's: snapshot.ts reads that as no snapshot). Never throws.
 */
export function loadSnapshotBytesSync(file: string): CacheBytes {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return undefined;
    const first = Buffer.allocUnsafe(Math.min(info.size, HEADER_MAX_BYTES));
    const got = readAt(fd, first, 0);
    const head = headOf(first.subarray(0, got), info.size);
    if (!head) return undefined;
    const bytes = Buffer.allocUnsafe(head.length);
    const copied = first.copy(bytes, 0, 0, Math.min(got, head.length));
    if (readAt(fd, bytes.subarray(copied), copied) < head.length - copied) return undefined;
    return cacheBytesOf(bytes, head.end);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The bytes from `position` into `into`, as many as there are; the count. */
async function readHandleAt(handle: FileHandle, into: Buffer, position: number): Promise<number> {
  let length = 0;
  while (length < into.length) {
    const { bytesRead } = await handle.read(into, length, into.length - length, position + length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length;
}

/** loadSnapshotBytesSync, read in the thread pool while this thread works (its digest taken here). */
export async function loadSnapshotBytes(file: string): Promise<CacheBytes> {
  let handle: FileHandle;
  try {
    handle = await open(file, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    const first = Buffer.allocUnsafe(Math.min(info.size, HEADER_MAX_BYTES));
    const got = await readHandleAt(handle, first, 0);
    const head = headOf(first.subarray(0, got), info.size);
    if (!head) return undefined;
    const bytes = Buffer.allocUnsafe(head.length);
    const copied = first.copy(bytes, 0, 0, Math.min(got, head.length));
    if ((await readHandleAt(handle, bytes.subarray(copied), copied)) < head.length - copied) return undefined;
    return cacheBytesOf(bytes, head.end);
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The length of the records' lines a header names (`index`), if it is a whole number. */
function indexLength(header: string): number | undefined {
  try {
    const { index } = JSON.parse(header) as { index?: unknown };
    return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 ? index : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A snapshot's specs section, read whole when the first spec is read (a plan that reads one
 * usually reads more: its JSON form reads them all), from the file as its header was then:
 * a header that differs (a newer snapshot renamed into place) serves nothing.
 */
export class SpecsSection {
  private bytes: Buffer | undefined;
  private failed = false;

  constructor(
    readonly file: string,
    /** The header line's bytes, as the records' lines were read with. */
    private readonly header: Buffer,
    /** Where the section starts in the file. */
    private readonly start: number,
  ) {}

  /** The spec at `at`, `length` bytes in the section, whose digest is `digest` (specDigest); else SnapshotSpecError. */
  parse(at: number, length: number, digest: string): unknown {
    const bytes = this.checked(at, length, digest);
    return JSON.parse(bytes.toString('utf8', at, at + length));
  }

  /**
   * What parse(…)[key] gives when the spec's JSON starts with `key` holding a string, read from
   * the bytes alone; else undefined (parse it). Checked as parse checks it: the bytes are then
   * the JSON.stringify of a spec (lineOf), which writes no key twice, so its first key is the
   * one JSON.parse would keep.
   */
  leadingString(at: number, length: number, digest: string, key: string): string | undefined {
    const bytes = this.checked(at, length, digest);
    const end = at + length;
    const opening = openingOf(key);
    if (length <= opening.length) return undefined;
    // Byte by byte: Buffer#compare of a range checks its offsets on each call (10,000 calls).
    for (let n = 0; n < opening.length; n += 1) if (bytes[at + n] !== opening[n]) return undefined;
    // The string's closing quote: the first one not escaped (a quote or backslash byte is never
    // inside a UTF-8 sequence). Printable ASCII (most names) is the text itself; else the string is
    // decoded as JSON.parse decodes it, escapes and all.
    const from = at + opening.length;
    let plain = true;
    for (let p = from; p < end; p += 1) {
      const byte = bytes[p]!;
      if (byte === 0x22)
        return plain
          ? bytes.toString('latin1', from, p)
          : (JSON.parse(bytes.toString('utf8', from - 1, p + 1)) as string);
      if (byte === 0x5c) {
        plain = false;
        p += 1;
      } else if (byte >= 0x80 || byte < 0x20) plain = false;
    }
    return undefined;
  }

  /** The section's bytes, the spec at `at` found as its line says (its digest); else SnapshotSpecError. */
  private checked(at: number, length: number, digest: string): Buffer {
    const bytes = this.load();
    const end = at + length;
    if (bytes === undefined || end > bytes.length || specDigest(bytes.subarray(at, end)) !== digest)
      throw new SnapshotSpecError(this.file, 'an applied spec');
    return bytes;
  }

  private load(): Buffer | undefined {
    if (this.bytes !== undefined || this.failed) return this.bytes;
    this.failed = true;
    let fd: number;
    try {
      fd = openSync(this.file, READ_FLAGS);
    } catch {
      return undefined;
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile() || info.size < this.start) return undefined;
      const head = Buffer.allocUnsafe(this.header.length);
      if (readAt(fd, head, 0) !== head.length || !head.equals(this.header)) return undefined;
      const bytes = Buffer.allocUnsafe(info.size - this.start);
      if (readAt(fd, bytes, this.start) !== bytes.length) return undefined;
      this.bytes = bytes;
      this.failed = false;
      return bytes;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }
}

/** One record's applied spec in a section: parsed (and checked) when first read (lazy-property.ts). */
export class SectionSpec {
  constructor(
    private readonly section: SpecsSection,
    private readonly at: number,
    private readonly length: number,
    private readonly digest: string,
  ) {}

  parse(): unknown {
    return this.section.parse(this.at, this.length, this.digest);
  }

  leadingString(key: string): string | undefined {
    return this.section.leadingString(this.at, this.length, this.digest, key);
  }
}

const openings = new Map<string, Buffer>();

/** `{"key":"`, the bytes a spec's JSON starts with when `key` is its first key and holds a string. */
function openingOf(key: string): Buffer {
  let found = openings.get(key);
  if (found === undefined) openings.set(key, (found = Buffer.from(`{${JSON.stringify(key)}:"`)));
  return found;
}
