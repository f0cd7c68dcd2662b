import { readYamlSubset, UNHANDLED } from './yaml-subset.js';

/** A document the subset reader read, with the line (in the whole file) of its first content. */
export type SubsetDocument = { value: Record<string, unknown>; line: number };

/** A document start marker alone on its line: `---`, then nothing but spaces. */
const SEPARATOR = /^---( *)$/;
/** A line with no content: blank, or a comment (the subset reader leaves odder ones to the full parser). */
const NO_CONTENT = /^ *(#.*)?$/;

/**
 * Every document of a file of several, `---` between them (how a file holds several
 * manifests), each read by the subset reader (readYamlSubset), or undefined when one is
 * not in its subset. A `---` at the start of a line, followed by nothing but spaces,
 * always starts a document in YAML: no scalar or collection can run across it, and each
 * part is read alone, so the parts are the documents the full parser finds. A part with
 * no content (before the first `---`, or between two) is the empty document the full
 * parser skips (parse-full.ts, isEmptyDocument); any other marker (`...`, `--- a: 1`,
 * `--- # c`, a directive) stays in its part, which the subset reader then leaves to the
 * full parser. Without this, a file of two manifests started a parser thread (~0.2 s of
 * CPU, most of it loading the `yaml` library) in every small plan, apply and validate.
 */
export function readYamlSubsetDocuments(given: string): SubsetDocument[] | undefined {
  // Most files hold one document: no `---` starts a line but the first, which the subset
  // reader reads itself. Not split: a 10,000-file plan parses every file through here.
  if (!given.includes('\n---')) {
    const read = readYamlSubset(given);
    return read && [read];
  }
  // As readYamlSubset reads CRLF line ends, so that a separator's CR is not content.
  const text = given.includes('\r') ? given.replaceAll('\r\n', '\n') : given;
  // Checked on the whole text: a part judged empty here (a comment) is read by no one else.
  if (UNHANDLED.test(text)) return undefined;
  const documents: SubsetDocument[] = [];
  /** Where the current part starts, and the number of lines before it. */
  let partStart = 0;
  let linesBefore = 0;
  let empty = true;
  let number = 0;
  let start = 0;
  const endPart = (end: number): boolean => {
    if (empty) return true;
    const read = readYamlSubset(text.slice(partStart, end));
    if (!read) return false;
    documents.push({ value: read.value, line: read.line + linesBefore });
    return true;
  };
  while (start <= text.length) {
    number += 1;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (SEPARATOR.test(line)) {
      if (!endPart(start)) return undefined;
      partStart = end + 1;
      linesBefore = number;
      empty = true;
    } else if (empty && !NO_CONTENT.test(line)) {
      empty = false;
    }
    start = end + 1;
  }
  if (!endPart(text.length)) return undefined;
  return documents;
}
