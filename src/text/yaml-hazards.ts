import { isAlias, isMap, isScalar, isSeq, type Document, type YAMLError } from 'yaml';

// What the YAML reader makes of text its author meant otherwise (a secret beginning with `*`,
// `!`, `&` or `|`), said without the text: a value read as an alias, a tag or an anchor is
// usually a secret pasted unquoted, and the library's own messages quote it.

/** An alias (`*name`) to no anchor before it: the value is not resolved. */
export const UNRESOLVED_ALIAS =
  'a value beginning with * is read as a YAML alias, and no anchor (&) of that name comes before it: quote the value';

/**
 * An alias (`*name`) whose anchor is in an earlier document of the file: anchors do not cross
 * `---`, and quoting the value (UNRESOLVED_ALIAS's advice) would make it the text.
 */
export const ALIAS_ACROSS_DOCUMENTS =
  'a YAML alias (*) reaches only the anchors (&) of its own document, and this one names an anchor of an earlier document (before a ---): write the value out';

/** An anchor (`&name`) with no value after it: the value read is empty. */
export const EMPTY_ANCHOR =
  'a value beginning with & is read as a YAML anchor, leaving the value empty: quote the value';

/** A YAML 1.1 merge key, which this reader (YAML 1.2) takes for a key named `<<`. */
export const MERGE_KEY = 'a YAML merge key (<<) is not supported: write the keys out';

const UNKNOWN_TAG = 'an unknown YAML tag (a value beginning with ! is read as a tag): quote the value';
const BLOCK_SCALAR = 'a value beginning with | or > is read as a YAML block scalar: quote the value';

/** No content, or only `---` and comments: YAML allows it (a trailing `---` is common) and it defines nothing. */
export function isEmptyDocument(doc: Document): boolean {
  const { contents } = doc;
  return contents === null || (isScalar(contents) && contents.value === null && contents.source === '');
}

/** Aliases expanded past `limit` (a "billion laughs" file): refused, never expanded. */
export function aliasBombMessage(limit: number): string {
  return `too many YAML alias expansions (more than ${limit}): write the values out`;
}

/** Codes whose library messages are fixed text (or name only token types and indicators). */
const FIXED_TEXT = new Set<YAMLError['code']>([
  'ALIAS_PROPS',
  'BAD_ALIAS',
  'BAD_INDENT',
  'BAD_PROP_ORDER',
  'BLOCK_IN_FLOW',
  'IMPOSSIBLE',
  'KEY_OVER_1024_CHARS',
  'MISSING_CHAR',
  'MULTILINE_IMPLICIT_KEY',
  'MULTIPLE_ANCHORS',
  'MULTIPLE_TAGS',
  'NON_STRING_KEY',
]);

/**
 * The message of a YAML reader's error or warning, never quoting the text it read: some of
 * the library's messages quote the source (`Unresolved tag: !<secret>`, `Block scalar header
 * includes extra characters: |<secret>`, `Invalid escape sequence \q`); each says here what
 * is wrong and how to fix it.
 */
export function yamlErrorMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? '';
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return 'a key written twice (YAML keys must be unique): keep one';
    case 'TAB_AS_INDENT':
      return 'a tab in the indentation (YAML indents with spaces only): indent with spaces';
    case 'TAG_RESOLVE_FAILED':
    case 'BAD_COLLECTION_TYPE':
      return UNKNOWN_TAG;
    case 'BAD_DQ_ESCAPE':
      return 'an invalid escape sequence in a double-quoted value: write \\\\ for a backslash, or quote the value with single quotes';
    case 'BAD_DIRECTIVE':
      return 'a YAML directive (a line beginning with %) that is not understood: quote the value, or remove the line';
    case 'BAD_SCALAR_START': {
      // `Plain value cannot start with reserved character @`: the character is an indicator.
      const indicator = first.at(-1) ?? '';
      return indicator === '|' || indicator === '>'
        ? BLOCK_SCALAR
        : `a value beginning with ${indicator} is not plain YAML: quote the value`;
    }
    case 'UNEXPECTED_TOKEN':
      if (first.startsWith('Block scalar header')) return BLOCK_SCALAR;
      // `Not a YAML token: <source>`, `<message>: "<source>"`: what precedes the text.
      return `not valid YAML here (${first.split(':')[0]!.trim()})`;
    case 'BLOCK_AS_IMPLICIT_KEY':
      return first.startsWith('Nested mappings')
        ? 'a value containing ": " is read as a nested mapping: quote the value'
        : first;
    case 'MULTIPLE_DOCS':
      return 'more than one YAML document (a line --- between them): keep one';
    case 'RESOURCE_EXHAUSTION':
      return 'nested too deeply to be read';
    default:
      return FIXED_TEXT.has(error.code) ? first : `not valid YAML here (${error.code})`;
  }
}

/** Whether a YAML warning changes what a value is read as (an unknown tag is dropped). */
export function isMisreadWarning(warning: YAMLError): boolean {
  return warning.code === 'TAG_RESOLVE_FAILED' || warning.code === 'BAD_COLLECTION_TYPE';
}

const CORE = 'tag:yaml.org,2002:';
/**
 * The tags of YAML 1.2's core schema, and the non-specific `!` (a quoted string): each reads a
 * value as the text without it would be read, or as the plain type it names. Any other tag
 * (`!Sub`, `!Ref`, `!env`, `!!binary`, `!!set`, `!!timestamp`) is dropped by the reader, or
 * makes the value something a manifest has no place for.
 */
const CORE_TAGS = new Set([
  '!',
  ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => CORE + t),
]);

/** A node written with a tag outside CORE_TAGS: where the tag starts, the node's path, the tag. */
export type ForeignTag = { offset: number; path: Array<string | number>; tag: string };

/** A tag as written in the common short form (`!!binary`), at most 40 characters. */
export function tagShown(tag: string): string {
  const short = tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
  return short.length > 40 ? `${short.slice(0, 39)}…` : short;
}

/**
 * Where the tag of a node starting at `start` begins: the `!` before the node, and the
 * tag's own characters before it (`!!binary`, `!e!x`); `start` if there is none.
 */
function tagOffset(text: string, start: number): number {
  let at = text.lastIndexOf('!', start);
  if (at < 0) return start;
  while (at > 0 && !/[\s,[\]{}]/.test(text[at - 1]!)) at -= 1;
  return at;
}

/** One thing the reader makes of the text otherwise than meant, with where it starts. */
export type YamlHazard = {
  /** Offset in the text. */
  offset: number;
  /** Keys and indexes from the top of the document. */
  path: Array<string | number>;
  message: string;
};

/**
 * Every alias to no anchor before it, anchor with no value after it and merge key of `doc`,
 * in document order: found before toJS, which throws on the first alias quoting its name
 * (and resolves a merge key as a key named `<<`). With them the first alias, where an
 * alias bomb toJS refuses is pointed at, and every node tagged outside the core schema
 * (`foreignTags`: a manifest refuses them). Walked without recursion: a hostile file nests deep.
 */
export function yamlHazards(
  doc: Document,
  text: string,
  /** The anchors of the file's earlier documents: an alias to one is ALIAS_ACROSS_DOCUMENTS. */
  earlierAnchors: ReadonlySet<string> = new Set(),
): {
  hazards: YamlHazard[];
  firstAlias: Omit<YamlHazard, 'message'> | undefined;
  foreignTags: ForeignTag[];
  /** This document's anchors. */
  anchors: ReadonlySet<string>;
} {
  const hazards: YamlHazard[] = [];
  const foreignTags: ForeignTag[] = [];
  let firstAlias: Omit<YamlHazard, 'message'> | undefined;
  const anchors = new Set<string>();
  const stack: Array<[unknown, Array<string | number>]> = [[doc.contents, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      firstAlias ??= { offset, path };
      if (!anchors.has(node.source)) {
        const message = earlierAnchors.has(node.source) ? ALIAS_ACROSS_DOCUMENTS : UNRESOLVED_ALIAS;
        hazards.push({ offset, path, message });
      }
      continue;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) {
      if (node.tag !== undefined && !CORE_TAGS.has(node.tag))
        foreignTags.push({ offset: tagOffset(text, node.range?.[0] ?? 0), path, tag: node.tag });
      if (node.anchor) {
        anchors.add(node.anchor);
        if (isScalar(node) && node.value === null && node.source === '') {
          // The node starts after its anchor: point at the `&` the author typed.
          const start = node.range?.[0] ?? 0;
          const at = text.lastIndexOf(`&${node.anchor}`, start);
          hazards.push({ offset: at >= 0 ? at : start, path, message: EMPTY_ANCHOR });
        }
      }
    }
    // Children pushed last-first, so that they are taken in document order.
    const children: Array<[unknown, Array<string | number>]> = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        if (isScalar(pair.key) && pair.key.value === '<<' && pair.key.type === 'PLAIN')
          hazards.push({ offset: pair.key.range?.[0] ?? 0, path, message: MERGE_KEY });
        children.push([pair.key, path], [pair.value, [...path, key]]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => children.push([item, [...path, index]]));
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  // A merge key is found with its map, before the values of the keys above it.
  return { hazards: hazards.sort((a, b) => a.offset - b.offset), firstAlias, foreignTags, anchors };
}
