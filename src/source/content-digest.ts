import { createHash } from 'node:crypto';

/**
 * A file's content as the directory source names it in its revisions (sha256 of its bytes, hex),
 * and as the controller's reads are compared with them (src/daemon/read-settled.ts).
 */
export function contentDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
