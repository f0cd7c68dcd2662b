import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Diagnostic, Note } from './diagnostics.js';

export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { flattenIssues, manifestErrorMap, pathToString } from './issues.js';
import { charPositionOf, depthOf, positionOf, type PathKey } from './positions.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { prescan } from './prescan.js';
import { Manifest } from './schema.js';
import { manifestWarnings } from './warnings.js';

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
  /** Documents skipped because they are not audiencectl manifests. */
  notes?: Note[];
};

/** No content, or only `---` and comments: YAML allows it (a trailing `---` is common) and it defines nothing. */
function isEmptyDocument(doc: Document): boolean {
  const { contents } = doc;
  return contents === null || (isScalar(contents) && contents.value === null && contents.source === '');
}

function salvageKey(value: unknown): SalvagedKey | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, sandbox } = metadata as { name?: unknown; sandbox?: unknown };
  if (typeof name !== 'string') return undefined;
  return { key: name, sandbox: typeof sandbox === 'string' ? sandbox : undefined };
}

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

/**
 * The common case, about three times faster: one valid document without anchors,
 * read with js-yaml's core schema (the same YAML 1.2 scalars as `yaml`'s default).
 * Anything unusual returns undefined and takes the full path, which alone produces
 * diagnostics, so the result is the same either way (a test compares the two).
 */
function parseFast(file: string, text: string): FileParseResult | undefined {
  if (text.length > FAST_PATH_MAX_CHARS || MAY_HAVE_ALIASES.test(text)) return undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (docs.length !== 1) return undefined;
  const parsed = Manifest.safeParse(docs[0]);
  if (!parsed.success || manifestWarnings(parsed.data).length > 0) return undefined;
  return {
    manifests: [{ manifest: parsed.data, file, line: firstContentLine(text) }],
    diagnostics: [],
    salvaged: [],
    unreadable: false,
  };
}

/** Parses and validates one file's text. Pure: never throws, every problem is a diagnostic. */
export function parseManifestFile(
  file: string,
  text: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): FileParseResult {
  const refused = prescan(text, limits);
  if (refused) {
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
  return parseFast(file, text) ?? parseFull(file, text, limits);
}

/** Every document, with positioned diagnostics, alias and depth limits. */
export function parseFull(
  file: string,
  text: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): FileParseResult {
  const result: FileParseResult = { manifests: [], diagnostics: [], salvaged: [], unreadable: false };
  const counter = new LineCounter();
  const error = (line: number, column: number, rule: string, message: string): void => {
    result.diagnostics.push({ severity: 'error', file, line, column, rule, message });
  };

  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: counter,
      uniqueKeys: true,
      prettyErrors: false,
    }) as Document.Parsed[];
  } catch (cause) {
    error(1, 1, 'yaml/unparseable', `cannot parse YAML: ${(cause as Error).message}`);
    result.unreadable = true;
    return result;
  }

  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const yamlError of doc.errors) {
        const { line, col } = counter.linePos(yamlError.pos[0]);
        const rule = yamlError.code === 'DUPLICATE_KEY' ? 'yaml/duplicate-key' : 'yaml/syntax';
        error(line, col, rule, yamlError.message.split('\n')[0] ?? yamlError.message);
      }
      result.unreadable = true;
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    const start = positionOf(doc, counter, []);
    if (depthOf(doc) > limits.maxDepth) {
      error(
        start.line,
        start.column,
        'yaml/too-deep',
        `document nests deeper than ${limits.maxDepth} levels`,
      );
      result.unreadable = true;
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (cause) {
      const message = (cause as Error).message.includes('alias count')
        ? `too many alias expansions (limit ${limits.maxAliasCount}); is this a billion-laughs file?`
        : `cannot resolve YAML: ${(cause as Error).message}`;
      error(start.line, start.column, 'yaml/aliases', message);
      result.unreadable = true;
      continue;
    }

    const parsed = Manifest.safeParse(value, { error: manifestErrorMap });
    if (!parsed.success) {
      for (const issue of flattenIssues(parsed.error.issues)) {
        const path = issue.path as PathKey[];
        const { line, column } = issue.char
          ? charPositionOf(doc, counter, text, path, issue.char)
          : positionOf(doc, counter, path, issue.key);
        const where = pathToString(issue.key === undefined ? issue.path : [...issue.path, issue.key]);
        error(line, column, issue.rule, where ? `${where}: ${issue.message}` : issue.message);
      }
      const salvaged = salvageKey(value);
      if (salvaged) result.salvaged.push(salvaged);
      else result.unreadable = true;
      continue;
    }
    for (const warning of manifestWarnings(parsed.data)) {
      const { line, column } = positionOf(doc, counter, warning.path);
      result.diagnostics.push({
        severity: 'warning',
        file,
        line,
        column,
        rule: warning.rule,
        message: `${pathToString(warning.path)}: ${warning.message}`,
      });
    }
    result.manifests.push({ manifest: parsed.data, file, line: start.line });
  }
  return result;
}
