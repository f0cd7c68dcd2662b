/**
 * Default ids per bulk-get: the page publishes no limit, so batches stay modest. A module of its
 * own: the configuration's reader (config/resolve.ts) takes it without the client's transport and
 * its request queue (p-queue), which a plan given --config does not load.
 */
export const DEFAULT_BULK_BATCH = 50;
