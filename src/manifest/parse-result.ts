import type { Diagnostic, Note } from './diagnostics.js';
import type { Manifest } from './schema.js';

export type ParsedManifest = {
  manifest: Manifest;
  file: string;
  line: number;
};

/** The identity a broken document still reveals, so its audience is held rather than deleted. */
export type SalvagedKey = { key: string; sandbox: string | undefined };

export type FileParseResult = {
  manifests: ParsedManifest[];
  diagnostics: Diagnostic[];
  /** Keys named by documents that failed validation. */
  salvaged: SalvagedKey[];
  /** The file failed so badly that we cannot tell which audiences it defines. */
  unreadable: boolean;
  /** One per file whose documents (some or all) are not audiencectl manifests and were skipped. */
  notes?: Note[];
};

/** Rule of the note for a file (or documents) skipped because it is not ours. */
export const NOT_A_MANIFEST = 'source/not-a-manifest';

/**
 * Rule of the note for a file that holds no YAML document: empty, or only blank lines,
 * comments and `---`. A generator that failed after the shell truncated its output, or a
 * save on a full disk, leaves one: what was recorded from it is held, never deleted.
 */
export const EMPTY_FILE = 'source/empty-file';

/** The note of such a file, the same from either parser. */
export function emptyFileNote(file: string): Note {
  return {
    severity: 'note',
    file,
    line: 0,
    column: 0,
    rule: EMPTY_FILE,
    message:
      'holds no manifest (it is empty, or only comments); an audience recorded from it is left as it is: delete the file to delete the audience',
  };
}
