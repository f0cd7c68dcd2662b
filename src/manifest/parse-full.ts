import {
  Composer,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type CST,
  type Document,
  type YAMLMap,
} from 'yaml';
import type { Note } from './diagnostics.js';
import { claimsOurs, foreignReason, mayHoldManifest } from './foreign.js';
import { flattenIssues, manifestErrorMap, pathToString, type FlatIssue } from './issues.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { duplicateKeyMessage } from './duplicate-key.js';
import { emptyFileNote, NOT_A_MANIFEST, type FileParseResult, type SalvagedKey } from './parse-result.js';
import { charPositionOf, depthOf, positionOf, type PathKey } from './positions.js';
import { Manifest, SourceParams } from './schema.js';
import {
  ALIAS_ACROSS_DOCUMENTS,
  isEmptyDocument,
  isMisreadWarning,
  MERGE_KEY,
  tagShown,
  UNRESOLVED_ALIAS,
  yamlHazards,
} from '../text/yaml-hazards.js';
import { semanticIssues } from './semantics.js';
import { closestKey, knownKeysAt } from './suggest.js';

/** The hazards of an alias that reads as no value: refused where it stands. */
const UNRESOLVED: ReadonlySet<string> = new Set([UNRESOLVED_ALIAS, ALIAS_ACROSS_DOCUMENTS]);

function salvageKey(value: unknown): SalvagedKey | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, sandbox } = metadata as { name?: unknown; sandbox?: unknown };
  if (typeof name !== 'string') return undefined;
  return { key: name, sandbox: typeof sandbox === 'string' ? sandbox : undefined };
}

/** A mapping with only its scalar values, enough to tell whose it is before anything expensive (or refused) runs on it. */
function shallow(node: YAMLMap): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    top[String(pair.key.value)] = isScalar(pair.value) ? pair.value.value : {};
  }
  return top;
}

/** The top level of a document, as shallow() reads a mapping. */
function topLevel(doc: Document): unknown {
  const { contents } = doc;
  if (isScalar(contents)) return contents.value;
  if (!isMap(contents)) return [];
  return shallow(contents);
}

/** How deep under a foreign document's top level a manifest of ours is looked for. */
const NESTED_CLAIM_DEPTH = 3;

/**
 * A manifest of ours inside a document that is not one (a list of manifests, as kubectl's
 * List and Ansible write several objects, or manifests under an `audiences:` key), and where:
 * skipped as foreign, the manifests a person moved into it would read as removed and be
 * deleted. Undefined when there is none within NESTED_CLAIM_DEPTH levels.
 */
function nestedClaim(doc: Document): { node: YAMLMap; under: string | undefined } | undefined {
  const stack: Array<[unknown, number, string | undefined]> = [[doc.contents, 0, undefined]];
  while (stack.length > 0) {
    const [node, depth, under] = stack.pop()!;
    if (depth > 0 && isMap(node) && claimsOurs(shallow(node))) return { node, under };
    if (depth === NESTED_CLAIM_DEPTH) continue;
    // Pushed last to first, so that the first manifest in the text is the one found.
    if (isSeq(node)) for (const item of [...node.items].reverse()) stack.push([item, depth + 1, under]);
    if (isMap(node))
      for (const pair of [...node.items].reverse())
        stack.push([pair.value, depth + 1, isScalar(pair.key) ? String(pair.key.value) : under]);
  }
  return undefined;
}

function nestedClaimMessage(under: string | undefined): string {
  const where = under === undefined ? 'as an item of a YAML list' : `under ${JSON.stringify(under)}`;
  return `an audiencectl manifest ${where}: each manifest must be a YAML document of its own (several in one file are separated by ---)`;
}

/**
 * `unknown key "sourcespec"; did you mean "sourceSpec"?` where the schema knows a close key,
 * never the key refused itself (a key known in another branch of a union, refused in this one).
 */
function withSuggestion(issue: FlatIssue): string {
  if (issue.rule !== 'schema/unknown-key' || issue.key === undefined) return issue.message;
  const known = knownKeysAt(Manifest, issue.path).filter((key) => key !== issue.key);
  const suggestion = closestKey(issue.key, known);
  return suggestion === undefined ? issue.message : `${issue.message}; did you mean "${suggestion}"?`;
}

const SOURCE_PATH: PathKey[] = ['spec', 'sourceSpec'];

/**
 * The flat keys of a sourceSpec that also holds `params`: the two shapes the API accepts,
 * mixed. The union would report whichever branch refuses fewer keys (`unknown key "params"`),
 * so this is said instead, once.
 */
function mixedSourceKeys(value: unknown): string[] {
  const spec = isObject(value) ? value.spec : undefined;
  const source = isObject(spec) ? spec.sourceSpec : undefined;
  if (!isObject(source) || !('params' in source)) return [];
  return Object.keys(source).filter((key) => key !== 'params' && Object.hasOwn(SourceParams.shape, key));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mixedSourceMessage(flat: readonly string[]): string {
  const keys = flat.map((key) => `"${key}"`).join(', ');
  return `spec.sourceSpec: the two shapes of a source cannot be mixed: "params" beside the flat key${flat.length === 1 ? '' : 's'} ${keys}; write the keys either all flat or all under "params"`;
}

function underSource(path: readonly PropertyKey[]): boolean {
  return path.length >= 2 && path[0] === 'spec' && path[1] === 'sourceSpec';
}

function skippedNote(file: string, line: number, message: string): Note {
  return { severity: 'note', file, line, column: 1, rule: NOT_A_MANIFEST, message };
}

function foreignNote(file: string, skipped: ReadonlyArray<{ line: number; reason: string }>): Note {
  const [first] = skipped;
  const message =
    skipped.length === 1
      ? `not an audiencectl manifest (${first!.reason}); skipped`
      : `${skipped.length} documents are not audiencectl manifests (first: ${first!.reason}); skipped`;
  return skippedNote(file, first!.line, message);
}

/**
 * How many times the prescan's depth limit the parser's tokens may nest before the file is
 * refused. The prescan reads the raw text, and text it misreads (a quote the parser does
 * not see as one, say) can still nest thousands deep: the composer then recursed to the
 * end of the stack, where V8 aborts the whole process ("RegExpCompiler Allocation failed")
 * if it compiles a regular expression, rather than throwing. Up to this bound each
 * document is judged by its own depth (depthOf), as before.
 */
const TOKEN_DEPTH_FACTOR = 4;

/**
 * The first collection or scalar (a document's top level is 1, as for depthOf; keys
 * count too) nested deeper than `bound` in one document's tokens, found without
 * recursion; undefined when there is none.
 */
function tokenBeyond(document: CST.Token, bound: number): CST.Token | undefined {
  if (document.type !== 'document' || !document.value) return undefined;
  const stack: Array<[CST.Token, number]> = [[document.value, 1]];
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (depth > bound) return token;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    for (const item of token.items) {
      if ('key' in item && item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}

function foreignTagMessage(tag: string): string {
  return `the YAML tag ${tagShown(tag)} is not read by audiencectl (manifests are plain YAML: only the core schema's tags, such as !!str); remove it, and write the value itself`;
}

function unfitTagMessage(tag: string): string {
  return `the YAML tag ${tagShown(tag)} does not fit the value it is on, and would be dropped: remove it, and write the value itself`;
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
  const skipped: Array<{ line: number; reason: string }> = [];

  let docs: Document.Parsed[];
  // parseAllDocuments, with each document's tokens measured before they are composed.
  let tooDeep: CST.Token | undefined;
  const bound = limits.maxDepth * TOKEN_DEPTH_FACTOR;
  function* measured(tokens: Iterable<CST.Token>): Generator<CST.Token> {
    for (const token of tokens) {
      tooDeep = tokenBeyond(token, bound);
      if (tooDeep) return;
      yield token;
    }
  }
  try {
    const composer = new Composer({ uniqueKeys: true });
    docs = Array.from(composer.compose(measured(new Parser(counter.addNewLine).parse(text))));
  } catch (cause) {
    error(1, 1, 'yaml/unparseable', `cannot parse YAML: ${(cause as Error).message}`);
    result.unreadable = true;
    return result;
  }
  if (tooDeep) {
    // Counted here: the parser reports no line inside the tokens of text it could not read.
    const before = text.slice(0, tooDeep.offset);
    const line = before.split('\n').length;
    const column = tooDeep.offset - before.lastIndexOf('\n');
    error(
      line,
      column,
      'yaml/too-deep',
      `nesting deeper than ${limits.maxDepth} levels; the file is refused`,
    );
    result.unreadable = true;
    return result;
  }

  // A Helm template or other text that is not YAML, and that names neither our apiVersion
  // nor our kind, cannot define an audience: one note, not an error per line.
  const broken = docs.find((doc) => doc.errors.length > 0);
  if (broken && !mayHoldManifest(text)) {
    const { line } = counter.linePos(broken.errors[0]!.pos[0]);
    const message = `not YAML (a syntax error at line ${line}, a template?) and no audiencectl/v1 in it; skipped`;
    return { ...result, notes: [skippedNote(file, line, message)] };
  }

  // Not even one document (or only empty ones): the file was emptied, which is no removal.
  if (docs.every((doc) => doc.errors.length === 0 && isEmptyDocument(doc)))
    return { ...result, notes: [emptyFileNote(file)] };

  // Anchors of the documents read so far: an alias to one of them says anchors do not cross `---`.
  const earlierAnchors = new Set<string>();
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const yamlError of doc.errors) {
        const { line, col } = counter.linePos(yamlError.pos[0]);
        if (yamlError.code === 'DUPLICATE_KEY') {
          const named = duplicateKeyMessage(doc, yamlError.pos[0], counter);
          error(
            line,
            col,
            'yaml/duplicate-key',
            named ?? 'a key written twice (YAML keys must be unique): keep one',
          );
          continue;
        }
        error(line, col, 'yaml/syntax', yamlError.message.split('\n')[0] ?? yamlError.message);
      }
      result.unreadable = true;
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    const start = positionOf(doc, counter, []);
    const foreign = foreignReason(topLevel(doc));
    const nested = foreign === undefined ? undefined : nestedClaim(doc);
    if (nested !== undefined) {
      const { line, col } = counter.linePos(nested.node.range?.[0] ?? 0);
      error(line, col, 'schema/nested-manifest', nestedClaimMessage(nested.under));
      result.unreadable = true;
      continue;
    }
    if (foreign !== undefined) {
      skipped.push({ line: start.line, reason: foreign });
      continue;
    }
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
    // An alias to no anchor before it (a value beginning with *), or to one of an earlier
    // document: at its own line, never named (toJS would throw at the first one, quoting it).
    // A merge key (`<<: *common`), which this YAML 1.2 reader takes for a key named `<<`: said
    // so, not as an unknown key.
    const { hazards, foreignTags, anchors } = yamlHazards(doc, text, earlierAnchors);
    for (const anchor of anchors) earlierAnchors.add(anchor);
    const unresolved = hazards.filter((h) => UNRESOLVED.has(h.message));
    const merges = hazards.filter((h) => h.message === MERGE_KEY);
    const at = (offset: number, path: Array<string | number>, rule: string, message: string) => {
      const { line, col } = counter.linePos(offset);
      const where = pathToString(path);
      error(line, col, rule, where ? `${where}: ${message}` : message);
    };
    for (const hazard of unresolved) at(hazard.offset, hazard.path, 'yaml/aliases', hazard.message);
    for (const hazard of merges) at(hazard.offset, hazard.path, 'yaml/merge-key', hazard.message);
    // A tag the reader drops (`!Sub`, `!env`: the text itself is planned, a rename, say) or
    // reads as what no manifest holds (`!!binary`, `!!set`): refused, never read past.
    for (const tag of foreignTags) at(tag.offset, tag.path, 'yaml/tag', foreignTagMessage(tag.tag));
    // A core tag on a value it does not fit (`!!null Other`, `!!bool yes`, `!!map` on a list):
    // the reader drops it and reads the value as written. Where the tag is.
    const tagged = new Set(foreignTags.map((tag) => tag.offset));
    const unfit = doc.warnings.filter((w) => isMisreadWarning(w) && !tagged.has(w.pos[0]));
    for (const { pos } of unfit) at(pos[0], [], 'yaml/tag', unfitTagMessage(text.slice(pos[0], pos[1])));
    if (unresolved.length > 0 || merges.length > 0 || foreignTags.length > 0 || unfit.length > 0) {
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

    // The shape and the rules across fields, both, so one pass reports every problem.
    const parsed = Manifest.safeParse(value, { error: manifestErrorMap });
    let failed = !parsed.success;
    const mixed = mixedSourceKeys(value);
    if (mixed.length > 0) {
      const { line, column } = positionOf(doc, counter, SOURCE_PATH, 'params');
      error(line, column, 'source/mixed-shapes', mixedSourceMessage(mixed));
    }
    if (!parsed.success) {
      for (const issue of flattenIssues(parsed.error.issues)) {
        if (mixed.length > 0 && underSource(issue.path)) continue;
        const path = issue.path as PathKey[];
        const { line, column } = issue.char
          ? charPositionOf(doc, counter, text, path, issue.char)
          : positionOf(doc, counter, path, issue.key);
        const where = pathToString(issue.key === undefined ? issue.path : [...issue.path, issue.key]);
        const message = withSuggestion(issue);
        error(line, column, issue.rule, where ? `${where}: ${message}` : message);
      }
    }
    for (const issue of semanticIssues(value)) {
      const { line, column } = positionOf(doc, counter, issue.path);
      const message = `${pathToString(issue.path)}: ${issue.message}`;
      result.diagnostics.push({ severity: issue.severity, file, line, column, rule: issue.rule, message });
      if (issue.severity === 'error') failed = true;
    }
    if (failed || !parsed.success) {
      const salvaged = salvageKey(value);
      if (salvaged) result.salvaged.push(salvaged);
      else result.unreadable = true;
      continue;
    }
    result.manifests.push({ manifest: parsed.data, file, line: start.line });
  }
  if (skipped.length > 0) result.notes = [foreignNote(file, skipped)];
  return result;
}
