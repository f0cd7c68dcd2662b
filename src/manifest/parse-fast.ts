import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { ParseLimits } from './limits.js';
import type { FileParseResult } from './parse-result.js';
import { prescan } from './prescan.js';
import { Manifest } from './schema.js';
import { semanticIssues } from './semantics.js';

/** A manifest is about 1 KB; larger files are not the common case, and parsing them twice costs. */
const FAST_PATH_MAX_CHARS = 64 * 1024;

/** Anchors and aliases need the alias-limited parser; a false positive only costs speed. */
const MAY_HAVE_ALIASES = /(^|[\s[{,:-])[&*][^\s]/m;

/** Line of the first document's content: what `yaml` reports as the document's start. */
function firstContentLine(text: string): number {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => !/^\s*(#.*)?$/.test(line) && !/^(---|%)/.test(line));
  return index + 1;
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
 * The common case, about three times faster: one valid document without anchors,
 * read with js-yaml's core schema (the same YAML 1.2 scalars as `yaml`'s default).
 * Anything unusual returns undefined and takes the full path, which alone produces
 * diagnostics, so the result is the same either way (a test compares the two).
 * Call it on text the prescan accepted.
 */
export function parseFast(file: string, text: string): FileParseResult | undefined {
  if (text.length > FAST_PATH_MAX_CHARS || MAY_HAVE_ALIASES.test(text)) return undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (docs.length !== 1) return undefined;
  const parsed = Manifest.safeParse(docs[0]);
  if (!parsed.success || semanticIssues(docs[0]).length > 0) return undefined;
  return {
    manifests: [{ manifest: parsed.data, file, line: firstContentLine(text) }],
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
