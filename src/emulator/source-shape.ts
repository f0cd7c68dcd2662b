import type { SourceParams, SourceSpec } from './schema.js';

/** The page accepts `sourceSpec` wrapped in `params` and answers it flat (PATCH sample). */
export function flatSource(spec: SourceSpec): SourceParams {
  return 'params' in spec ? spec.params : spec;
}
