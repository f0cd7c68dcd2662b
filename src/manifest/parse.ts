import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { parseWithoutFullParser } from './parse-fast.js';
import { parseFull } from './parse-full.js';
import type { FileParseResult } from './parse-result.js';

export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
export { parseFull } from './parse-full.js';
export {
  NOT_A_MANIFEST,
  type FileParseResult,
  type ParsedManifest,
  type SalvagedKey,
} from './parse-result.js';

/** Parses and validates one file's text. Pure: never throws, every problem is a diagnostic. */
export function parseManifestFile(
  file: string,
  text: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): FileParseResult {
  return parseWithoutFullParser(file, text, limits) ?? parseFull(file, text, limits);
}
