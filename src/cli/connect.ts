import type { Command } from 'commander';
import type { AepHttpClient } from '../aep/client.js';
import { accessOrgOf } from '../aep/credentials.js';
import { lazyAepClient } from '../aep/lazy-client.js';
import type { AepClientExtras } from '../config/client.js';
import { checkAepConfigLazily, loadAepConfigLazily } from '../config/check.js';
import type { AepConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { CompatStore } from '../state/store.js';
import { safeUrl } from '../text/safe-url.js';
import { compatMemory } from './compat-memory.js';
import { emulatorCredentials } from './emulator-credentials.js';
import { orgFinder } from './configured-orgs.js';
import { credentialsAbsent } from './credentials-absent.js';

export type ConnectFlags = { config?: string; emulator?: boolean };

export type Connection = {
  client: AepHttpClient;
  close(): Promise<void>;
  target: string;
  /** `api.bulkBatchSize`, when configured. */
  bulkBatchSize?: number;
};

/**
 * Where a command will send its calls, resolved (and the configuration checked) before
 * anything runs; `open` starts the client.
 */
export type Target = {
  /** The API base URL, or "the embedded emulator". */
  describe: string;
  /** The IMS org whose credentials serve `sandbox`, when known. */
  orgOf(sandbox: string): string | undefined;
  /** Ids per Audiences API bulk-get (`api.bulkBatchSize`); undefined: the client's default. */
  bulkBatchSize: number | undefined;
  /**
   * Starts the client. With `memory` (the state store), it starts from the readings of the
   * API page earlier processes learned for this base URL, and keeps what it learns there;
   * `close` waits for those writes. The embedded emulator is new each time: nothing to keep.
   */
  open(extras?: AepClientExtras, memory?: CompatStore): Promise<Connection>;
};

const EMULATOR_TARGET = 'the embedded emulator';

/**
 * The AEP configuration `flags` name (`--config`, else the `AEP_*` variables), each of its
 * warnings (a secret written in the file) passed to `warn`: every command that reads it
 * (apply, plan --refresh, init) says them the same way. The file's reader (the yaml library,
 * zod's schema) is loaded for a file only: a CI job's credentials are AEP_* variables.
 */
export async function loadConfigFor(
  flags: ConnectFlags,
  warn: (message: string) => void,
): Promise<AepConfig> {
  const config = await loadAepConfigLazily({ configFile: flags.config, env: process.env });
  for (const warning of config.warnings) warn(warning);
  return config;
}

/** How a command that talks to AEP says a configuration warning: one line on standard error. */
export function warnOnStderr(message: string): void {
  process.stderr.write(`Warning: ${message}\n`);
}

/**
 * Resolves the target of a command: the embedded emulator with `--emulator` (the demo
 * credentials, nothing to configure), otherwise AEP as the configuration says. Every
 * configuration problem is reported at once; every warning is passed to `warn`.
 */
export async function resolveTarget(flags: ConnectFlags, warn: (message: string) => void): Promise<Target> {
  if (flags.emulator) {
    let demoOrg: string | undefined;
    return {
      describe: EMULATOR_TARGET,
      orgOf: () => demoOrg,
      bulkBatchSize: undefined,
      open: async (extras = {}) => {
        // Loaded only when asked for: most runs never need an HTTP server.
        const { DEMO_CLIENT, startEmulator } = await import('../emulator/index.js');
        const { createAepClient } = await import('../aep/client.js');
        // Before the emulator starts: the client refuses a bad proxy variable, and the
        // emulator's server would keep the process alive.
        (await import('../aep/proxy-variables.js')).assertProxySettings(process.env);
        demoOrg = DEMO_CLIENT.orgId;
        const emulator = await startEmulator({ port: 0 });
        const client = createAepClient({
          baseUrl: emulator.apiBaseUrl,
          imsUrl: emulator.imsUrl,
          defaultAccess: {
            credentials: emulatorCredentials(DEMO_CLIENT),
            budget: { requests: 50, intervalMs: 1000, concurrency: 8 },
          },
          ...extras,
        });
        return {
          client,
          close: () => emulator.close(),
          target: `${EMULATOR_TARGET} at ${safeUrl(emulator.url)}`,
        };
      },
    };
  }
  const config = await loadConfigFor(flags, warn);
  return {
    describe: safeUrl(config.baseUrl),
    orgOf: orgFinder(config),
    bulkBatchSize: config.bulkBatchSize,
    open: async (extras = {}, memory) => {
      // The HTTP client is loaded only at its first call: plan without --refresh, validate,
      // the state commands and an apply with nothing to do never call the service, and
      // start faster without it. What making it refuses (a proxy variable that is no URL)
      // is refused here, as it was when it was made here.
      const learned = memory && (await compatMemory(memory, config.baseUrl, warn));
      const compat = learned ? { ...extras.compat, ...learned.options } : extras.compat;
      (await import('../aep/proxy-variables.js')).checkProxyVariables(process.env);
      const client = lazyAepClient({
        make: async () => {
          const { createAepClientFromConfig } = await import('../config/client.js');
          return createAepClientFromConfig(config, { ...extras, compat });
        },
        orgOf: (sandbox) => accessOrgOf(sandbox, config.sandboxes, config.defaultAccess),
        remembered: compat?.remembered,
      });
      return {
        client,
        close: () => learned?.settled() ?? Promise.resolve(),
        target: safeUrl(config.baseUrl),
        bulkBatchSize: config.bulkBatchSize,
      };
    },
  };
}

/** The API client for a command (see resolveTarget); warnings go to standard error. */
export async function connect(
  flags: ConnectFlags,
  extras: AepClientExtras = {},
  memory?: CompatStore,
): Promise<Connection> {
  return (await resolveTarget(flags, warnOnStderr)).open(extras, memory);
}

export { credentialsAbsent };

/**
 * The AEP configuration's problems, one line each, for a command that connects to AEP
 * (it has `--config`) and is given credentials at all: reported with bad flags in one pass.
 */
export async function configProblemsFor(command: Command): Promise<string[]> {
  if (!command.options.some((option) => option.long === '--config')) return [];
  const flags = command.opts<ConnectFlags>();
  // The embedded emulator brings its own credentials; an empty --config is reported as empty.
  if (flags.emulator || flags.config === '' || credentialsAbsent(flags)) return [];
  const checked = await checkAepConfigLazily({ configFile: flags.config, env: process.env });
  return checked.ok ? [] : checked.lines;
}

/**
 * A connection for a dry-run controller started without credentials: it plans and
 * publishes, and makes no API call (any call is refused, saying why).
 */
export function offlineConnection(): Connection {
  const refusal = () =>
    new UsageError(
      'NO_CREDENTIALS',
      'this dry-run controller was started without AEP credentials and makes no API call',
    );
  const client = new Proxy({} as AepHttpClient, {
    get: (_target, property) => {
      if (property === 'stats')
        return () => ({
          requests: 0,
          retries: 0,
          rateLimited: 0,
          tokenRequests: 0,
          rateLimitWaitMs: 0,
          byEndpoint: {},
          bySandbox: {},
        });
      if (property === 'then') return undefined;
      // No credentials, no org: nothing to check a store against, nothing to bind it to.
      if (property === 'orgOf') return () => undefined;
      // A reading of what answers showed, not a call: there were none.
      if (property === 'serviceClock') return () => undefined;
      return () => Promise.reject(refusal());
    },
  });
  return { client, close: () => Promise.resolve(), target: 'no AEP (dry-run without credentials)' };
}
