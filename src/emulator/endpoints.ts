/** Names of the emulated endpoints (the operationIds of specs/external-audiences.openapi.yaml). */
export const ENDPOINTS = [
  'imsToken',
  'createAudience',
  'getOperation',
  'patchAudience',
  'deleteAudience',
  'startRun',
  'getRun',
  'listRuns',
  'extendTtl',
  'listAudiences',
  'getAudience',
  'bulkGetAudiences',
  'unknown',
] as const;
export type EndpointName = (typeof ENDPOINTS)[number];

/** Endpoints that change state: the only ones whose response can be "lost" after the change. */
export const MUTATING_ENDPOINTS: ReadonlySet<EndpointName> = new Set<EndpointName>([
  'createAudience',
  'patchAudience',
  'deleteAudience',
  'startRun',
  'extendTtl',
]);
