import { createHash } from 'node:crypto';
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostTempPath, sweepTempsSync } from '../files/stale-temps.js';
import { openRegularFile, readRegularFileSync } from '../files/read-regular.js';

/**
 * A cache file's bytes, where its header line ends, and the SHA-1 of its body (what
 * follows the header line, which names the digest it expects); undefined: no such
 * file, an unreadable one, one without a header line, or no regular file (a FIFO in its
 * place is not waited on: it is ignored, as a damaged cache is).
 */
export type CacheBytes = { bytes: Buffer; end: number; digest: string } | undefined;

/**
 * Reads a cache file in the thread pool while this thread works, then hashes its body
 * here: a plan without its fact scan thread (src/scan) reads the state snapshot so, and
 * the fact scan reads the manifest cache so when its thread did not. Never rejects.
 *
 * Not WebCrypto's digest in the pool: it copies the body on this thread first, which
 * blocked this thread about as long as hashing it here, for more CPU in all (a cold
 * 10,000-audience plan, 10 MB snapshot: 8-10 MB more at its peak; see README "Where the
 * time goes").
 */
export async function loadCacheBytes(file: string): Promise<CacheBytes> {
  try {
    const bytes = await readWhole(file);
    const end = bytes.indexOf(0x0a);
    if (end < 0) return undefined;
    return { bytes, end, digest: bodyDigest(bytes, end) };
  } catch {
    return undefined;
  }
}

/** The SHA-1 of what follows the header line (which ends at `end`), in hex. */
function bodyDigest(bytes: Buffer, end: number): string {
  return createHash('sha1')
    .update(bytes.subarray(end + 1))
    .digest('hex');
}

/**
 * The file in one read request where it can (readFile reads 512 KB a request, and each
 * next request waits for this thread's event loop, which a plan keeps busy).
 */
async function readWhole(file: string): Promise<Buffer> {
  const { handle, info } = await openRegularFile(file);
  try {
    // A cache is written whole and renamed into place: its size does not change. (Were
    // it cut short or longer, its digest would not match, and it would not be used.)
    const { size } = info;
    const bytes = Buffer.allocUnsafe(size);
    let length = 0;
    while (length < size) {
      const { bytesRead } = await handle.read(bytes, length, size - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return bytes.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** loadCacheBytes, here and now. */
export function loadCacheBytesSync(file: string): CacheBytes {
  try {
    const bytes = readRegularFileSync(file);
    const end = bytes.indexOf(0x0a);
    if (end < 0) return undefined;
    return { bytes, end, digest: bodyDigest(bytes, end) };
  } catch {
    return undefined;
  }
}

/**
 * The temporary file a write to `file` goes through, once the ones earlier writes left are
 * removed: a plan stopped (Ctrl-C, SIGTERM, SIGKILL) while it wrote a cache leaves one, tens
 * of MB for a large repository, named by its pid, so no later write would replace it.
 */
function tempFor(file: string): string {
  sweepTempsSync(file);
  return hostTempPath(file);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already failing: the write is given up either way.
  }
}

function removeQuietly(temp: string): void {
  try {
    unlinkSync(temp);
  } catch {
    // Nothing was written.
  }
}

/**
 * Writes a cache file (the seeded copy of a manifest cache; the large ones go through
 * writeCacheFileStreamed) through a
 * temporary file and a rename, so that a reader never sees half of one. Failing (a
 * read-only directory) is not an error: a cache only saves time. True if written.
 */
export function writeCacheFile(file: string, text: string): boolean {
  const temp = tempFor(file);
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, file);
    return true;
  } catch {
    removeQuietly(temp);
    return false;
  }
}

/** Pieces written at once: large enough for few writes, small against a 50 MB document. */
export const BATCH_CHARS = 1 << 20;

/**
 * A cache file being written: the body first, after room for the header, whose length
 * must not depend on the digest (a hex digest has a fixed length); then the header; then
 * the temporary file renamed into place. Any failure abandons it (false).
 */
export class CacheFileWriter {
  private fd: number | undefined;
  private readonly temp: string;
  private readonly hash = createHash('sha1');
  private position: number;

  constructor(
    private readonly file: string,
    private readonly headerOf: (digest: string) => string,
  ) {
    this.temp = tempFor(file);
    this.position = Buffer.byteLength(`${headerOf('0'.repeat(40))}\n`);
    try {
      this.fd = openSync(this.temp, 'w', 0o600);
    } catch {
      this.fd = undefined;
    }
  }

  /** Appends UTF-8 bytes to the body; `hashed` false: bytes the digest does not cover (they follow all it covers). */
  write(bytes: Uint8Array, hashed = true): void {
    if (this.fd === undefined) return;
    try {
      if (hashed) this.hash.update(bytes);
      for (let at = 0; at < bytes.length;)
        at += writeSync(this.fd, bytes, at, bytes.length - at, this.position + at);
      this.position += bytes.length;
    } catch {
      this.abandon();
    }
  }

  /** Writes the header and renames the file into place; false if any step failed. */
  finish(): boolean {
    if (this.fd === undefined) return false;
    try {
      const header = Buffer.from(`${this.headerOf(this.hash.digest('hex'))}\n`);
      if (header.length !== Buffer.byteLength(`${this.headerOf('0'.repeat(40))}\n`))
        throw new Error('cache header length changed with its digest');
      for (let at = 0; at < header.length;) at += writeSync(this.fd, header, at, header.length - at, at);
      // Forgotten before closing: a close that fails has released the descriptor anyway,
      // and closing its number again could close a file another part of the process opened.
      const open = this.fd;
      this.fd = undefined;
      closeSync(open);
      renameSync(this.temp, this.file);
      return true;
    } catch {
      this.abandon();
      return false;
    }
  }

  private abandon(): void {
    if (this.fd !== undefined) closeQuietly(this.fd);
    this.fd = undefined;
    removeQuietly(this.temp);
  }
}

/** A batch's buffer: BATCH_CHARS bytes and room for the piece that passes them (a longer one starts a batch of its own size). */
const BATCH_BYTES = BATCH_CHARS + (1 << 16);

/**
 * `pieces` joined into UTF-8 batches of about BATCH_CHARS characters, each encoded piece
 * by piece into a buffer of its own (which may move to another thread as it is). Not
 * joined into a string first: that was a second copy of each batch, in memory never
 * touched before (on this machine most of the cost), on a cold plan's last stretch. A
 * piece is encoded alone: it must hold whole characters (a line does). A piece already
 * encoded (the lines a parser thread sent, parse-pool.ts) is a batch of its own, as it
 * is: its buffer must be its own too.
 */
export function* utf8Batches(pieces: Iterable<string | Uint8Array>): Generator<Buffer> {
  // Unsafe: no zeroing, so the room a batch does not use is never touched.
  let batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      if (at > 0) {
        yield batch.subarray(0, at);
        batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
        at = 0;
      }
      yield Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      continue;
    }
    // Three bytes at most per UTF-16 unit (a surrogate pair: four for two).
    const room = 3 * piece.length;
    if (room > batch.length - at) {
      if (at > 0) yield batch.subarray(0, at);
      batch = Buffer.allocUnsafeSlow(Math.max(BATCH_BYTES, room));
      at = 0;
    }
    at += batch.write(piece, at);
    if (at >= BATCH_CHARS) {
      yield batch.subarray(0, at);
      batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
      at = 0;
    }
  }
  yield batch.subarray(0, at);
}

/**
 * Pieces encoded into one buffer, reused, each full batch written to `writer`: for a file
 * written on this thread (CacheFileWriter writes and hashes synchronously, so the buffer is
 * free again once it returns). utf8Batches gives each batch a buffer of its own instead, as a
 * batch may move to another thread; a new buffer is memory never touched before, about 2,700
 * page faults for the 11 MB of a 10,000-record state snapshot.
 */
export class BatchWriter {
  private batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private at = 0;
  /** The bytes handed to the writer so far, this batch's included once it is written. */
  written = 0;

  constructor(
    private readonly writer: CacheFileWriter,
    /** Whether the digest covers what is added (see CacheFileWriter.write); `flush` first to change it. */
    public hashed = true,
  ) {}

  /** Adds a piece, which must hold whole characters (a line does). */
  add(piece: string): void {
    // Three bytes at most per UTF-16 unit (a surrogate pair: four for two).
    const room = 3 * piece.length;
    if (room > this.batch.length - this.at) {
      this.flush();
      if (room > this.batch.length) this.batch = Buffer.allocUnsafeSlow(room);
    }
    this.at += this.batch.write(piece, this.at);
    if (this.at >= BATCH_CHARS) this.flush();
  }

  /** Writes what was added since the last batch. */
  flush(): void {
    if (this.at === 0) return;
    this.writer.write(this.batch.subarray(0, this.at), this.hashed);
    this.written += this.at;
    this.at = 0;
  }
}

/**
 * writeCacheFile of a header line (given the SHA-1 of the body's UTF-8 bytes) and a body
 * made of `pieces`, without joining them: the body of 50,000 audiences is about 50 MB,
 * and as one string (plus the header, plus its UTF-8 copy) it was the largest part of a
 * plan's peak memory.
 */
export function writeCacheFileStreamed(
  file: string,
  headerOf: (digest: string) => string,
  pieces: Iterable<string | Uint8Array>,
): boolean {
  const writer = new CacheFileWriter(file, headerOf);
  for (const bytes of utf8Batches(pieces)) writer.write(bytes);
  return writer.finish();
}
