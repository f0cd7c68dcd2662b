import type { ParseLimits } from './limits.js';
import { emptyFileNote, type FileParseResult } from './parse-result.js';
import { prescan } from './prescan.js';
import { semanticIssues } from './semantics.js';
import { validateManifestFast } from './validate-fast.js';
import { readYamlSubsetDocuments } from './yaml-subset-documents.js';

/** A manifest is about 1 KB; larger files are not the common case, and parsing them twice costs. */
const FAST_PATH_MAX_CHARS = 64 * 1024;

/** A comment without control characters, line separators or a BOM. */
const COMMENT = String.raw`#[^\0-\x1f\x7f-\x9f\u2028\u2029\ufeff]*`;
/** A blank line, a comment, or `---` / `...` alone (a comment may follow): no content. */
const NO_CONTENT = new RegExp(String.raw`^(?: *(?:${COMMENT})?|(?:---|\.\.\.)(?: +(?:${COMMENT})?)?)$`);

/**
 * Whether the text holds no YAML document at all (an emptied file), in the plainest
 * spellings; tabs, carriage returns, control characters and directives are left to the
 * full parser, which gives the same answer for them.
 */
function holdsNoDocument(text: string): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (!NO_CONTENT.test(text.slice(start, end))) return false;
    start = end + 1;
  }
  return true;
}

/** The prescan's refusal, as the file's one diagnostic. */
export function refusedByPrescan(
  file: string,
  text: string,
  limits: ParseLimits,
): FileParseResult | undefined {
  const refused = prescan(text, limits);
  if (!refused) return undefined;
  const { line, column, rule, message } = refused;
  return {
    manifests: [],
    diagnostics: [
      { severity: 'error', file, line, column, rule, message: `${message}; the file is refused` },
    ],
    salvaged: [],
    unreadable: true,
  };
}

/**
 * The common case, several times faster: valid documents in the usual shape, one or
 * several (`---` between them), read by the subset reader (yaml-subset.ts: no anchors,
 * tags, directives, block scalars, ..., and YAML 1.2's core scalars exactly as `yaml`
 * resolves them, yaml-core.ts; yaml-subset-documents.ts splits the documents) and
 * validated without zod; or no document at all (an emptied file). Anything else returns
 * undefined and takes the full path, which alone produces diagnostics, so the result is
 * the same either way: one reading of every text (tests compare the two). js-yaml read
 * the rest here once, and read some texts otherwise than `yaml` does (`0b11110`, `%YAML
 * 1.1`, `tags: [\na]`, `--- name: x`, `[name]: x`, tabs and lone CRs): a document then
 * changed meaning when a second document or an anchor was added to its file.
 * Call it on text the prescan accepted (it bounds the documents, nodes and depth).
 */
export function parseFast(file: string, text: string): FileParseResult | undefined {
  if (text.length > FAST_PATH_MAX_CHARS) return undefined;
  if (holdsNoDocument(text)) {
    return { manifests: [], diagnostics: [], salvaged: [], unreadable: false, notes: [emptyFileNote(file)] };
  }
  const documents = readYamlSubsetDocuments(text);
  if (!documents || documents.length === 0) return undefined;
  const manifests: FileParseResult['manifests'] = [];
  for (const read of documents) {
    const manifest = validateManifestFast(read.value);
    if (!manifest || semanticIssues(read.value).length > 0) return undefined;
    manifests.push({ manifest, file, line: read.line });
  }
  return { manifests, diagnostics: [], salvaged: [], unreadable: false };
}

/**
 * What this thread can parse without the full parser: a file the prescan refuses, or
 * ordinary manifests. Undefined: the file needs the full parser (in a worker thread).
 * Small sources (`validate` of one file) are parsed so, without starting a thread.
 */
export function parseWithoutFullParser(
  file: string,
  text: string,
  limits: ParseLimits,
): FileParseResult | undefined {
  return refusedByPrescan(file, text, limits) ?? parseFast(file, text);
}
