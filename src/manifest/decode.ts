import { decodeUtf8 } from '../text/safe-text.js';
import type { SourceFile } from './load.js';

/**
 * A file's bytes as a source file. Invalid UTF-8 is an error at the first bad byte,
 * never replaced by U+FFFD: the replaced text would be validated and sent as a name the
 * file does not contain.
 */
export function sourceFileFromBytes(path: string, bytes: Uint8Array): SourceFile {
  const decoded = decodeUtf8(bytes);
  if (decoded.ok) return { path, text: decoded.text };
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
