import type { DeletePathSetting, OperationsPathSetting, SourceSpecSetting } from '../aep/compat.js';
import type { SandboxAccess, AepTimeouts } from '../aep/options.js';
import type { BudgetSettings } from '../aep/budget-limits.js';
import type { RetryPolicy } from '../aep/retry-policy.js';

/** A configured sandbox: its credentials (with where each came from) and its resolved budget. */
export type AepSandboxConfig = SandboxAccess & { name: string; budget: BudgetSettings };

/** Everything the AEP client needs, resolved from the config file and the environment. */
export type AepConfig = {
  baseUrl: string;
  imsUrl: string;
  /** The sandbox of manifests that name none (AEP_SANDBOX, `defaultSandbox`; default `prod`). */
  defaultSandbox: string;
  /** The sandboxes configured, always including `defaultSandbox` when credentials exist for it. */
  sandboxes: Record<string, AepSandboxConfig>;
  /** Credentials for sandboxes not listed (the shared ones), when complete. */
  defaultAccess: AepSandboxConfig | undefined;
  timeouts: AepTimeouts;
  retry: RetryPolicy;
  /** `api.sourceSpecShape`; default auto. */
  sourceSpecShape: SourceSpecSetting;
  /** `api.operationsPath`; default auto. */
  operationsPath: OperationsPathSetting;
  /** `api.deletePath`; default auto. */
  deletePath: DeletePathSetting;
  /** `api.bulkBatchSize`; default 50. */
  bulkBatchSize: number;
  /** The file read, if any (absolute). */
  configFile: string | undefined;
  /** Things that work but should change (e.g. a secret written in the file). */
  warnings: string[];
};

/** One thing wrong with the configuration: where (file position or env var) and what. */
export type ConfigProblem = {
  /** `sandboxes.prod.clientId`, or an environment variable name. */
  key: string;
  message: string;
  /** 1-based position in the file, when the key is in the file. */
  line?: number;
  column?: number;
};

export type ConfigResult = { ok: true; config: AepConfig } | { ok: false; problems: ConfigProblem[] };
