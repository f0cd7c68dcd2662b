/** AEP configuration: environment variables and/or a config file (docs/configuration.md). */
import { createAepClient, type AepHttpClient } from './aep/client.js';
import type { AepClientOptions } from './aep/options.js';
import type { AepConfig } from './config/types.js';

export { loadAepConfig, parseConfigText, type LoadAepConfigOptions } from './config/load.js';
export { resolveAepConfig, DEFAULT_SANDBOX, type ResolveInput } from './config/resolve.js';
export { AEP_ENV_VARS } from './config/env.js';
export { ConfigFile } from './config/schema.js';
export type { AepConfig, AepSandboxConfig, ConfigProblem, ConfigResult } from './config/types.js';

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

/** The configuration with secrets replaced, for `config show`-style output and logs. */
export function describeAepConfig(config: AepConfig): unknown {
  const hide = (sandbox: AepConfig['defaultAccess']) =>
    sandbox && {
      ...sandbox,
      credentials: { ...sandbox.credentials, clientSecret: '[REDACTED]' },
    };
  return {
    ...config,
    sandboxes: Object.fromEntries(
      Object.entries(config.sandboxes).map(([name, sandbox]) => [name, hide(sandbox)]),
    ),
    defaultAccess: hide(config.defaultAccess),
  };
}
