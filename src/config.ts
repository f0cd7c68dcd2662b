/** AEP configuration: environment variables and/or a config file (docs/configuration.md). */
import type { AepConfig } from './config/types.js';

export { aepClientOptions, createAepClientFromConfig, type AepClientExtras } from './config/client.js';
export { loadAepConfig, parseConfigText, type LoadAepConfigOptions } from './config/load.js';
export { resolveAepConfig, DEFAULT_SANDBOX, type ResolveInput } from './config/resolve.js';
export { AEP_ENV_VARS } from './config/env.js';
export { ConfigFile } from './config/schema.js';
export type { AepConfig, AepSandboxConfig, ConfigProblem, ConfigResult } from './config/types.js';

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
