import { createAepClient, type AepHttpClient } from '../aep/client.js';
import type { AepClientOptions } from '../aep/options.js';
import type { AepConfig } from './types.js';

// Apart from src/config.ts, whose re-exports load the configuration file's reader (the yaml
// library, zod's schema of the file): the CLI makes its client here at its first call, and an
// apply whose credentials are AEP_* variables (a CI job's) has no file to read.

/** What the caller adds to a configuration: logging and metrics hooks. */
export type AepClientExtras = Pick<
  AepClientOptions,
  'logger' | 'onRequest' | 'onRateLimitWait' | 'random' | 'compat'
>;

/** The AepClient options a configuration stands for. */
export function aepClientOptions(config: AepConfig, extras: AepClientExtras = {}): AepClientOptions {
  return {
    baseUrl: config.baseUrl,
    imsUrl: config.imsUrl,
    sandboxes: config.sandboxes,
    defaultAccess: config.defaultAccess,
    timeouts: config.timeouts,
    retry: config.retry,
    ...extras,
    compat: {
      sourceSpecShape: config.sourceSpecShape,
      operationsPath: config.operationsPath,
      deletePath: config.deletePath,
      ...extras.compat,
    },
  };
}

/** The client of a loaded configuration: `createAepClientFromConfig(loadAepConfig({ configFile, env: process.env }))`. */
export function createAepClientFromConfig(config: AepConfig, extras: AepClientExtras = {}): AepHttpClient {
  return createAepClient(aepClientOptions(config, extras));
}
