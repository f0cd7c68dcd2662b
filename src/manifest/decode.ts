import { decodeUtf8, positionAfter } from '../text/safe-text.js';
import type { SourceFile } from './load.js';

/**
 * A file's bytes as a source file. Invalid UTF-8 is an error at the first bad byte,
 * never replaced by U+FFFD: the replaced text would be validated and sent as a name the
 * file does not contain.
 */
export function sourceFileFromBytes(path: string, bytes: Uint8Array): SourceFile {
  const decoded = decodeUtf8(bytes);
  if (decoded.ok) {
    // UTF-16 text without a byte-order mark decodes as UTF-8 with a NUL beside every ASCII
    // letter: read on, it is a scalar no one wrote, and the manifests it holds look removed.
    const nul = decoded.text.indexOf('\0');
    if (nul < 0) return { path, text: decoded.text };
    const before = decoded.text.slice(0, nul);
    return {
      path,
      unreadable: {
        severity: 'error',
        file: path,
        ...positionAfter(before),
        rule: 'text/nul-byte',
        message: `a NUL byte at byte ${Buffer.byteLength(before)} (UTF-16 text?); manifests must be UTF-8 text`,
      },
    };
  }
  return {
    path,
    unreadable: {
      severity: 'error',
      file: path,
      line: decoded.line,
      column: decoded.column,
      rule: 'text/invalid-utf8',
      message: `invalid UTF-8 at byte ${decoded.offset}; manifests must be UTF-8 text`,
    },
  };
}
