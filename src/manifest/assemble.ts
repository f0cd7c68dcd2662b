import { compareDiagnostics, type Diagnostic, type Note } from './diagnostics.js';
import { findDuplicates, specNamePositionInText, type Position } from './duplicates.js';
import { EMPTY_FILE, NOT_A_MANIFEST } from './parse-result.js';
import type { DesiredManifest, HeldKey, LoadOptions, LoadResult, ParsedFile, SourceFile } from './load.js';
import { compareText } from '../text/compare.js';

/**
 * Joins the per-file results: a file with any error defines nothing (its audiences
 * are held, never applied nor deleted), then names must be unique per sandbox.
 */
export function assembleLoad(
  files: ReadonlyArray<ParsedFile | Extract<SourceFile, { unreadable: Diagnostic }>>,
  options: LoadOptions,
): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const notes: Note[] = [];
  const failed = new Set<string>();
  const held: HeldKey[] = [];
  let holdAllDeletions = false;
  const candidates: DesiredManifest[] = [];
  // Each candidate's file and index in it, by position in `candidates`: read only for a
  // duplicate spec.name (a closure and a map entry per manifest showed in a 10,000-file plan).
  const originFiles: ParsedFile[] = [];
  const originIndexes: number[] = [];

  const sandboxOf = (sandbox: string | undefined): string => sandbox ?? options.defaultSandbox;
  for (const file of files) {
    if ('unreadable' in file) {
      diagnostics.push(file.unreadable);
      if (file.unreadable.severity === 'error') {
        failed.add(file.path);
        holdAllDeletions = true;
      }
      continue;
    }
    const { parsed } = file;
    if (parsed.diagnostics.length > 0) diagnostics.push(...parsed.diagnostics);
    if (parsed.notes !== undefined && parsed.notes.length > 0) notes.push(...parsed.notes);
    if (parsed.unreadable) holdAllDeletions = true;
    for (const salvaged of parsed.salvaged) {
      held.push({ key: salvaged.key, sandbox: sandboxOf(salvaged.sandbox), file: file.path });
    }
    const fileFailed = parsed.diagnostics.some((d) => d.severity === 'error');
    if (fileFailed) failed.add(file.path);
    for (let index = 0; index < parsed.manifests.length; index += 1) {
      const entry = parsed.manifests[index]!;
      const sandbox = sandboxOf(entry.manifest.metadata.sandbox);
      const key = entry.manifest.metadata.name;
      // One broken document spoils the file: the person fixing it may be mid-edit of the others.
      if (fileFailed) {
        held.push({ sandbox, key, file: file.path });
        continue;
      }
      // Built key by key: a spread of a parsed entry gave each of 10,000 copies a hidden
      // class of its own (slow to make and to read).
      const candidate = { manifest: entry.manifest, file: entry.file, line: entry.line, sandbox, key };
      candidates.push(candidate);
      originFiles.push(file);
      originIndexes.push(index);
    }
  }

  let positionOf: Map<DesiredManifest, number> | undefined;
  const namePosition = (candidate: DesiredManifest): Position => {
    positionOf ??= new Map(candidates.map((c, at) => [c, at]));
    const at = positionOf.get(candidate)!;
    const file = originFiles[at]!;
    const index = originIndexes[at]!;
    return file.names?.[index] ?? specNamePositionInText(candidate.line, file.text ?? '');
  };
  const duplicates = findDuplicates(candidates, namePosition);
  diagnostics.push(...duplicates.diagnostics);
  const manifests: DesiredManifest[] = [];
  for (const candidate of candidates) {
    if (duplicates.files.has(candidate.file)) {
      held.push({ sandbox: candidate.sandbox, key: candidate.key, file: candidate.file });
    } else {
      manifests.push(candidate);
    }
  }
  for (const file of duplicates.files) failed.add(file);

  manifests.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
  diagnostics.sort(compareDiagnostics);
  notes.sort(compareDiagnostics);
  return {
    manifests,
    diagnostics,
    failedFiles: [...failed].sort(),
    held: uniqueHeld(held),
    holdAllDeletions,
    notes,
    skippedFiles: filesNoted(notes, NOT_A_MANIFEST),
    emptyFiles: filesNoted(notes, EMPTY_FILE),
  };
}

function filesNoted(notes: readonly Note[], rule: string): string[] {
  return [...new Set(notes.filter((n) => n.rule === rule).map((n) => n.file))].sort();
}

function uniqueHeld(held: readonly HeldKey[]): HeldKey[] {
  const seen = new Set<string>();
  return held
    .filter((h) => {
      const id = `${h.sandbox}/${h.key}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
}
