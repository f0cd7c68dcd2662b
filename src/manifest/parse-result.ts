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
