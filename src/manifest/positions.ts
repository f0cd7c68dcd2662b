import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Position = { line: number; column: number };
export type PathKey = string | number | symbol;

function childOf(node: unknown, key: PathKey): unknown {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    return pair?.value ?? undefined;
  }
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  return undefined;
}

/** The key node of `key` inside the map at `path`, for errors about a key itself. */
function keyNodeAt(doc: Document, path: readonly PathKey[], key: PathKey): unknown {
  const parent = nodeAt(doc, path).node;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
  return pair?.key;
}

/** The deepest existing node along `path` (a missing key points at its parent). */
function nodeAt(doc: Document, path: readonly PathKey[]): { node: unknown; exact: boolean } {
  let node: unknown = doc.contents;
  for (const key of path) {
    const next = childOf(node, key);
    if (!isNode(next)) return { node, exact: false };
    node = next;
  }
  return { node, exact: true };
}

function startOf(node: unknown, counter: LineCounter): Position {
  const range = isNode(node) || isScalar(node) ? (node as Node).range : undefined;
  const { line, col } = counter.linePos(range?.[0] ?? 0);
  return { line, column: col };
}

/** Where a validation issue at `path` should point; `key` for issues about a map key. */
export function positionOf(
  doc: Document,
  counter: LineCounter,
  path: readonly PathKey[],
  key?: PathKey,
): Position {
  if (key !== undefined) {
    const keyNode = keyNodeAt(doc, path, key);
    if (keyNode) return startOf(keyNode, counter);
  }
  return startOf(nodeAt(doc, path).node, counter);
}

/** Nesting depth of a document, computed without recursion so hostile input cannot overflow the stack. */
export function depthOf(doc: Document): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[doc.contents, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (isMap(node)) for (const pair of node.items) stack.push([pair.value, depth + 1]);
    else if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
  }
  return max;
}

/**
 * Where `char` is written inside the node at `path`: the exact place of a refused
 * character when it is written as itself, else (written as an escape such as "\u202E")
 * the start of the value.
 */
export function charPositionOf(
  doc: Document,
  counter: LineCounter,
  text: string,
  path: readonly PathKey[],
  char: string,
): Position {
  const { node, exact } = nodeAt(doc, path);
  const range = exact && isNode(node) ? (node as Node).range : undefined;
  if (range) {
    const offset = text.slice(range[0], range[1]).indexOf(char);
    if (offset >= 0) {
      const { line, col } = counter.linePos(range[0] + offset);
      return { line, column: col };
    }
  }
  return startOf(node, counter);
}
