import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import type { EmulatorContext } from './context.js';
import { createControl, type EmulatorControl } from './control.js';
import { Recorder } from './counters.js';
import { FaultInjector } from './faults.js';
import type { EmulatorClient, EmulatorOptions } from './options.js';
import type { HeldLock } from '../state/lock.js';
import { lockDataDir, makeDataDir } from './data-dir.js';
import { loadState, StateWriter, sweepStateTemps } from './persistence.js';
import { TokenBuckets } from './rate-limit.js';
import { API_PREFIX, buildServer } from './server.js';
import { resolveSettings } from './settings.js';
import { checkStartOptions } from './start-options.js';
import { Store } from './store.js';
import { TokenSigner } from './tokens.js';

export type RunningEmulator = {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** `${url}/data/core/ais` */
  apiBaseUrl: string;
  /** `${url}/ims/token/v3` */
  imsUrl: string;
  /** The clients IMS accepts. */
  clients: EmulatorClient[];
  /** Stops listening, closes open connections and writes the data directory. Idempotent. */
  close(): Promise<void>;
  control: EmulatorControl;
};

/** Starts the External Audiences API + IMS emulator on `host:port` (default 127.0.0.1, a free port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const clients = checkStartOptions(options);
  if (options.dataDir === undefined) return serve(options, clients, undefined);
  await makeDataDir(options.dataDir);
  // Held until close(): one emulator per data directory.
  const lock = await lockDataDir(options.dataDir);
  try {
    await sweepStateTemps(options.dataDir);
    return await serve(options, clients, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The emulator of startEmulator, its options checked and its data directory (if any) locked. */
async function serve(
  options: EmulatorOptions,
  clients: EmulatorClient[],
  lock: HeldLock | undefined,
): Promise<RunningEmulator> {
  const settings = resolveSettings(options);
  const store = new Store();
  const savedKey = options.dataDir === undefined ? undefined : await loadState(options.dataDir, store);
  const signer = new TokenSigner(savedKey);
  const context: EmulatorContext = {
    observers: new Set(),
    runtime: {
      store,
      settings,
      faults: new FaultInjector(settings.faults),
      storageRoot: options.storageRoot,
    },
    signer,
    clients: new Map(clients.map((client) => [client.clientId, client])),
    buckets: new TokenBuckets(settings.rateLimit),
    recorder: new Recorder(options.requestLogSize ?? 1000),
  };

  let writer: StateWriter | undefined;
  if (options.dataDir !== undefined) {
    const dataDir = options.dataDir;
    const stateWriter = new StateWriter(dataDir, store, signer.key, (error) => {
      // A failed write is retried with the next change; say so even when request logging is off.
      process.stderr.write(`audiencectl emulator: cannot write ${dataDir}: ${(error as Error).message}\n`);
    });
    await stateWriter.init();
    store.onChange(() => stateWriter.schedule());
    writer = stateWriter;
  }
  const flush = async (): Promise<void> => writer?.flush();
  const control = createControl(context, flush);
  const app = await buildServer(context, control, {
    admin: options.admin ?? false,
    logger: options.logger ?? false,
    defaultOrgId: clients[0]?.orgId ?? '',
  });

  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    // A busy port, an address that is not this machine's, a host that does not resolve.
    if (
      code &&
      ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL'].includes(code)
    ) {
      throw new UsageError('EMULATOR_LISTEN', listenProblem(code, host, options.port ?? 0), { cause: error });
    }
    throw error;
  }

  const { port } = app.server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    apiBaseUrl: `${url}${API_PREFIX}`,
    imsUrl: `${url}/ims/token/v3`,
    clients: clients.map((client) => ({ ...client })),
    close: () => {
      closing ??= (async () => {
        await app.close();
        await flush();
        await lock?.release();
      })();
      return closing;
    },
    control,
  };
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** What to change when the emulator cannot listen: `--port` (busy, privileged) or `--host`. */
function listenProblem(code: string, host: string, port: number): string {
  const where = `cannot listen on ${host}:${port}`;
  if (code === 'EADDRINUSE')
    return `--port: ${where}: the port is in use (EADDRINUSE); pick another, or 0 for a free one.`;
  if (code === 'EACCES') return `--port: ${where}: not allowed (EACCES); a port below 1024 needs privileges.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `--host: ${where} (${code}: no such host).`;
  if (code === 'EADDRNOTAVAIL') return `--host: ${where} (EADDRNOTAVAIL: not an address of this machine).`;
  return `--host: ${where} (${code}).`;
}
