import type { ScanLimits } from './prescan.js';

export type ParseLimits = ScanLimits & {
  /** Aliases resolved per document; a billion-laughs file fails fast. Default 100. */
  maxAliasCount: number;
};

/** A manifest nests about 6 levels deep and has about 60 nodes. */
export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxAliasCount: 100,
  maxDepth: 32,
  maxDocuments: 1_000,
  maxNodes: 100_000,
  maxEntries: 1_000,
  maxAnchors: 200,
};
