import { assembleLoad } from './assemble.js';
import type { Diagnostic, Note } from './diagnostics.js';
import type { Position } from './duplicates.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { parseManifestFile, type FileParseResult, type ParsedManifest } from './parse.js';

export { assembleLoad } from './assemble.js';

/** A file of the source: its text, or the reason it could not be read. */
export type SourceFile = { path: string; text: string } | { path: string; unreadable: Diagnostic };

export type DesiredManifest = ParsedManifest & { sandbox: string; key: string };

/** An audience whose file failed: it must be left alone, neither changed nor deleted. */
export type HeldKey = { sandbox: string; key: string; file: string };

export type LoadResult = {
  manifests: DesiredManifest[];
  diagnostics: Diagnostic[];
  /** Files with at least one error. */
  failedFiles: string[];
  held: HeldKey[];
  /** Some failed file could not be read far enough to know its audiences: hold every deletion. */
  holdAllDeletions: boolean;
  /**
   * Files (or documents) that are not audiencectl manifests, and files that hold no
   * document, skipped: one note per file.
   */
  notes: Note[];
  /**
   * Files with a skipped document. They were read completely (they hold no deletion),
   * but an audience recorded from one of them is held: its manifest did not go away,
   * it stopped looking like ours (an apiVersion edited by mistake, say).
   */
  skippedFiles: string[];
  /**
   * Files that hold no document at all (empty, or only comments): read completely too, but
   * an audience recorded from one is held. A file emptied by mistake (a generator that
   * failed after the shell truncated its output) is no removed manifest.
   */
  emptyFiles: string[];
};

export type LoadOptions = { defaultSandbox: string; limits?: ParseLimits };

/**
 * A readable file and what parsing it gave. Its text, or where each manifest's
 * spec.name is written (`names`, computed where the file was read), places a duplicate.
 */
export type ParsedFile = { path: string; text?: string; names?: Position[]; parsed: FileParseResult };

/**
 * Parses and validates every file in this thread, then checks the set (one name per
 * sandbox). Pure: the callers read the directory or the git tree. The CLI and the
 * controller parse in worker threads instead (`loadManifestsIsolated`).
 */
export function loadManifests(files: readonly SourceFile[], options: LoadOptions): LoadResult {
  const limits = options.limits ?? DEFAULT_PARSE_LIMITS;
  return assembleLoad(
    files.map((file) =>
      'unreadable' in file ? file : { ...file, parsed: parseManifestFile(file.path, file.text, limits) },
    ),
    options,
  );
}
