import { Writable } from 'node:stream';
import { createAepClient } from '../../../src/aep/client.js';
import type { AepClientExtras } from '../../../src/config.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL } from '../../../src/apply/clock.js';
import { offlineConnection } from '../../../src/cli/connect.js';
import type { ControllerOptions } from '../../../src/daemon/controller-options.js';
import type { ReconcileSettings } from '../../../src/daemon/pass.js';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../../src/emulator/index.js';
import { createLogger, type Logger } from '../../../src/log.js';
import type { StateLocation } from '../../../src/state/location.js';
import type { LogLine } from './controller.js';

const HOUR = 3_600_000;

/**
 * `startController`'s options for a spec that runs it in this process: `run --dir <dir>` on
 * `state`, a dry run without credentials, silent, and no timer due within a test (every
 * interval an hour). `overrides` and `settings` set what the spec is about.
 */
export function controllerOptions(
  dir: string,
  state: StateLocation,
  overrides: Partial<Omit<ControllerOptions, 'settings'>> = {},
  settings: Partial<ReconcileSettings> = {},
): ControllerOptions {
  return {
    source: { kind: 'dir', dir, debounceMs: 300 },
    branch: 'main',
    webhookSecret: undefined,
    listen: { host: '127.0.0.1', port: 0 },
    state,
    connect: () => Promise.resolve(offlineConnection()),
    logger: createLogger({ level: 'silent' }),
    intervalMs: HOUR,
    resyncIntervalMs: HOUR,
    refreshIntervalMs: 0,
    requeueAfterMs: HOUR,
    backoff: { baseMs: HOUR, maxMs: HOUR },
    shutdownGraceMs: 25_000,
    ...overrides,
    settings: {
      dryRun: true,
      read: {},
      defaultSandbox: DEMO_SANDBOX,
      // As `run` sets it for a dry run without credentials (src/cli/commands/run.ts): no
      // sandbox is reached, so none is held for lacking them.
      holdSandboxesWithoutCredentials: false,
      planOptions: (now) => ({ now, allowReplace: false, allowMassDelete: false, allowEmptySource: false }),
      lockTimeoutMs: 0,
      operationPoll: DEFAULT_OPERATION_POLL,
      runPoll: DEFAULT_RUN_POLL,
      ...settings,
    },
  };
}

/**
 * A client of the emulator at `urls` with the demo credentials, a budget no spec's pass reaches
 * (100 requests a second) and `extras` (the controller's metrics hooks, a retry policy): what
 * `run` builds, for a Reconciler made in this process.
 */
export function demoClient(
  urls: { apiBaseUrl: string; imsUrl: string },
  extras: Partial<Parameters<typeof createAepClient>[0]>,
): ReturnType<typeof createAepClient> {
  return createAepClient({
    baseUrl: urls.apiBaseUrl,
    imsUrl: urls.imsUrl,
    defaultAccess: { credentials: DEMO_CLIENT, budget: { requests: 100, intervalMs: 1000, concurrency: 8 } },
    ...extras,
  });
}

/** A logger whose JSON lines are parsed into `logs`. */
export function collectingLogger(logs: LogLine[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return createLogger({ level: 'info', destination });
}

/**
 * The demo client of the emulator at `urls`, allowed two requests an hour: a pass of creates
 * sends its reading of AEP's clock (one audience listed: no run step read it) and its first
 * create; every other call of the pass waits in the client's budget, as calls do behind a busy
 * budget or a 429's Retry-After.
 */
export function twoRequestsAnHour(
  urls: { apiBaseUrl: string; imsUrl: string },
  extras: AepClientExtras,
): ReturnType<typeof createAepClient> {
  return createAepClient({
    baseUrl: urls.apiBaseUrl,
    imsUrl: urls.imsUrl,
    defaultAccess: { credentials: DEMO_CLIENT, budget: { requests: 2, intervalMs: HOUR, concurrency: 4 } },
    ...extras,
  });
}
