import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { escapeText, quoted } from '../text/safe-text.js';

/** How much of a key is shown: an explicit key (`? ...`) may run to any length. */
const SHOWN_KEY_CHARS = 100;

type Found = { path: string[]; key: string; firstOffset: number };

/** A key of a map as the reader compares keys: scalars by value, others never equal. */
function scalarKey(node: unknown): { value: unknown } | undefined {
  return isScalar(node) ? { value: node.value } : undefined;
}

function pathSegment(key: unknown): string {
  return escapeText(String(key));
}

/** The pair whose key starts at `offset`, with the map path to it and its earlier twin. */
function findAt(node: Node | null | undefined, offset: number, path: string[]): Found | undefined {
  if (isMap(node)) {
    for (const [index, pair] of node.items.entries()) {
      const key = scalarKey(pair.key);
      const range = isScalar(pair.key) ? pair.key.range : undefined;
      if (key && range?.[0] === offset) {
        const first = node.items
          .slice(0, index)
          .find((earlier) => scalarKey(earlier.key)?.value === key.value);
        const firstOffset = isScalar(first?.key) ? first.key.range?.[0] : undefined;
        if (firstOffset !== undefined) return { path, key: String(key.value), firstOffset };
      }
      const inner = findAt(pair.value as Node | null, offset, [
        ...path,
        `${path.length > 0 ? '.' : ''}${pathSegment(key?.value ?? '?')}`,
      ]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const inner = findAt(item as Node | null, offset, [...path, `[${index}]`]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * The message of a key written twice, naming it, the map holding it and the line of the
 * first one: `spec: "name" is written twice (first at line 6; ...)`. The reader's own
 * ('Map keys must be unique') names no key, and a flow map or a long manifest leaves the
 * twin to be found by eye. Undefined when the key is not a plain scalar found at `offset`.
 */
export function duplicateKeyMessage(doc: Document, offset: number, counter: LineCounter): string | undefined {
  const found = findAt(doc.contents, offset, []);
  if (!found) return undefined;
  const key = found.key.length > SHOWN_KEY_CHARS ? `${found.key.slice(0, SHOWN_KEY_CHARS)}…` : found.key;
  const where = found.path.length > 0 ? `${found.path.join('')}: ` : '';
  const { line } = counter.linePos(found.firstOffset);
  return `${where}${quoted(key)} is written twice (first at line ${line}; YAML keys must be unique): keep one`;
}
