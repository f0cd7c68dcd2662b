import { compareDiagnostics, type Diagnostic } from './diagnostics.js';
import { DEFAULT_PARSE_LIMITS, parseManifestFile, type ParseLimits, type ParsedManifest } from './parse.js';

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
};

export type LoadOptions = { defaultSandbox: string; limits?: ParseLimits };

/**
 * Parses and validates every file, then checks the set (one name per sandbox).
 * Pure: the callers read the directory or the git tree.
 */
export function loadManifests(files: readonly SourceFile[], options: LoadOptions): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const failed = new Set<string>();
  const held: HeldKey[] = [];
  let holdAllDeletions = false;
  const candidates: DesiredManifest[] = [];

  for (const file of files) {
    if ('unreadable' in file) {
      diagnostics.push(file.unreadable);
      if (file.unreadable.severity === 'error') {
        failed.add(file.path);
        holdAllDeletions = true;
      }
      continue;
    }
    const parsed = parseManifestFile(file.path, file.text, options.limits ?? DEFAULT_PARSE_LIMITS);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) failed.add(file.path);
    if (parsed.unreadable) holdAllDeletions = true;
    for (const salvaged of parsed.salvaged) {
      held.push({ key: salvaged.key, sandbox: salvaged.sandbox ?? options.defaultSandbox, file: file.path });
    }
    for (const entry of parsed.manifests) {
      const sandbox = entry.manifest.metadata.sandbox ?? options.defaultSandbox;
      candidates.push({ ...entry, sandbox, key: entry.manifest.metadata.name });
    }
  }

  const byId = new Map<string, DesiredManifest[]>();
  for (const candidate of candidates) {
    const id = `${candidate.sandbox}/${candidate.key}`;
    const list = byId.get(id);
    if (list) list.push(candidate);
    else byId.set(id, [candidate]);
  }
  const manifests: DesiredManifest[] = [];
  for (const list of byId.values()) {
    const [first, ...others] = list;
    if (!first) continue;
    if (others.length === 0) {
      manifests.push(first);
      continue;
    }
    const places = list.map((m) => `${m.file}:${m.line}`).join(' and ');
    for (const dup of list) {
      failed.add(dup.file);
      diagnostics.push({
        severity: 'error',
        file: dup.file,
        line: dup.line,
        column: 1,
        rule: 'manifest/duplicate-name',
        message: `metadata.name "${dup.key}" is defined more than once in sandbox "${dup.sandbox}": ${places}`,
      });
    }
    held.push({ sandbox: first.sandbox, key: first.key, file: first.file });
  }

  manifests.sort((a, b) => a.sandbox.localeCompare(b.sandbox) || a.key.localeCompare(b.key));
  diagnostics.sort(compareDiagnostics);
  return { manifests, diagnostics, failedFiles: [...failed].sort(), held, holdAllDeletions };
}
