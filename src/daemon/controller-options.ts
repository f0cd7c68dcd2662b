import type { AepClient } from '../aep/types.js';
import type { AepClientExtras } from '../config.js';
import type { Logger } from '../log.js';
import type { GitSourceInput } from '../source/git-options.js';
import type { StateLocation } from '../state/location.js';
import type { CompatStore } from '../state/store.js';
import type { OpenOptions } from '../state/open.js';
import type { HttpToken } from './http-auth.js';
import type { CurrentSecret } from './reread-secret-file.js';
import type { BackoffPolicy } from './backoff.js';
import type { ReconcileSettings } from './pass.js';
import type { Reconciler } from './reconciler.js';

// What `startController` (controller.ts) is given and what it returns.

export type ControllerSource =
  | { kind: 'git'; options: GitSourceInput }
  /** A local directory, watched (development). */
  | { kind: 'dir'; dir: string; debounceMs: number };

/** An AEP client and how to let it go (the embedded emulator closes with it). */
export type ControllerConnection = {
  client: AepClient;
  close(): Promise<void>;
  target: string;
  /** Ids per Audiences API bulk-get (`api.bulkBatchSize`), when configured. */
  bulkBatchSize?: number;
};

export type ControllerOptions = {
  source: ControllerSource;
  /** Only pushes to this branch trigger a sync through the webhook. */
  branch: string;
  /**
   * HMAC secret of POST /webhook, or what its file holds now (webhookSecretGiven); without it
   * there is no webhook (404).
   */
  webhookSecret: string | CurrentSecret | undefined;
  listen: { host: string; port: number };
  /**
   * Serve POST /webhook on this address instead, alone, so only it need be exposed;
   * the main listener then has no /webhook. Needs `webhookSecret`.
   */
  webhookListen?: { host: string; port: number } | undefined;
  /**
   * When set, /status, /plan and /metrics need `Authorization: Bearer <token>`: the token, or
   * what its file holds now (httpTokenFile).
   */
  httpToken?: string | HttpToken | undefined;
  /** The state store: a directory, or PostgreSQL (then replicas elect a leader through its lock). */
  state: StateLocation;
  /**
   * Where `state` came from (locateState's `from`): a refusal of the location names the setting
   * that gave it (the image sets AUDIENCECTL_STATE_DIR), not `--state`.
   */
  stateFrom?: string | undefined;
  /** `--state-password-file`, `--state-connect-timeout`, `--state-query-timeout`. */
  stateAccess?: OpenOptions | undefined;
  /**
   * Builds the AEP client with the metrics hooks. `memory` is the controller's own store, where
   * the client's learned readings of the API page are kept: a leader that lost its lock cuts
   * every connection of that store at once, so no such write holds its exit.
   */
  connect: (extras: AepClientExtras, memory: CompatStore) => Promise<ControllerConnection>;
  logger: Logger;
  settings: ReconcileSettings;
  intervalMs: number;
  resyncIntervalMs: number;
  /** Read the recorded audiences back from AEP this often, and correct drift; 0 never. */
  refreshIntervalMs: number;
  requeueAfterMs: number;
  backoff: BackoffPolicy;
  /** Time from stop() to everything closed; calls in flight are cut short before it ends. Default 25 000 ms. */
  shutdownGraceMs: number;
  /** How often a standby replica tries to become the leader (PostgreSQL store). Default 1 000 ms. */
  electionPollMs?: number;
};

export type RunningController = {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Where the webhook listener listens, with `webhookListen`. */
  webhookUrl: string | undefined;
  reconciler: Reconciler;
  /**
   * Stops taking new steps, lets calls in flight finish (cut short shortly before the
   * grace period ends), releases the state lock and closes everything. Resolves true
   * when that took less than the grace period. Calling it again returns the same promise.
   */
  stop(reason: string): Promise<boolean>;
  /**
   * Resolves if this replica led and lost the state lock (its database connection
   * failed): it must stop, as a Kubernetes controller does when it loses its lease,
   * and come back as a standby. Never resolves with a directory store.
   */
  deposed: Promise<Error>;
};
