import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { ParseLimits } from './limits.js';
import { emptyFileNote, type FileParseResult } from './parse-result.js';
import { prescan } from './prescan.js';
import { semanticIssues } from './semantics.js';
import { validateManifestFast } from './validate-fast.js';
import { readYamlSubset } from './yaml-subset.js';

/** A manifest is about 1 KB; larger files are not the common case, and parsing them twice costs. */
const FAST_PATH_MAX_CHARS = 64 * 1024;

/** Anchors and aliases need the alias-limited parser; a false positive only costs speed. */
const MAY_HAVE_ALIASES = /(^|[\s[{,:-])[&*][^\s]/m;

/** Line of the first document's content: what `yaml` reports as the document's start. */
export function firstContentLine(text: string): number {
  // Line by line rather than split: the first line is usually the one.
  let start = 0;
  for (let number = 1; start <= text.length; number += 1) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (!/^\s*(#.*)?$/.test(line) && !/^(---|%)/.test(line)) return number;
    start = end + 1;
  }
  return 0;
}

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

/** The one document of a text outside the subset yaml-subset.ts reads, without anchors. */
function readWithJsYaml(text: string): { value: unknown; line: number } | undefined {
  if (MAY_HAVE_ALIASES.test(text)) return undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return docs.length === 1 ? { value: docs[0], line: firstContentLine(text) } : undefined;
}

/**
 * The common case, several times faster: one valid document without anchors, in the
 * usual shape, read with the subset reader or js-yaml's core schema (the same YAML 1.2
 * scalars as `yaml`'s default) and validated without zod; or no document at all (an
 * emptied file). Anything unusual returns undefined and takes the full path, which alone
 * produces diagnostics, so the result is the same either way (tests compare the two).
 * Call it on text the prescan accepted.
 */
export function parseFast(file: string, text: string): FileParseResult | undefined {
  if (text.length > FAST_PATH_MAX_CHARS) return undefined;
  if (holdsNoDocument(text)) {
    return { manifests: [], diagnostics: [], salvaged: [], unreadable: false, notes: [emptyFileNote(file)] };
  }
  const read = readYamlSubset(text) ?? readWithJsYaml(text);
  if (!read) return undefined;
  const manifest = validateManifestFast(read.value);
  if (!manifest || semanticIssues(read.value).length > 0) return undefined;
  return {
    manifests: [{ manifest, file, line: read.line }],
    diagnostics: [],
    salvaged: [],
    unreadable: false,
  };
}

/**
 * What this thread can parse without the full parser: a file the prescan refuses, or
 * one ordinary manifest. Undefined: the file needs the full parser (in a worker thread).
 * Small sources (`validate` of one file) are parsed so, without starting a thread.
 */
export function parseWithoutFullParser(
  file: string,
  text: string,
  limits: ParseLimits,
): FileParseResult | undefined {
  return refusedByPrescan(file, text, limits) ?? parseFast(file, text);
}
