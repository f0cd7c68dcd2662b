import path from 'node:path';
import type { CredentialHints } from '../aep/credentials.js';
import { DEFAULT_IMS_URL, DEFAULT_SCOPES } from '../aep/ims-defaults.js';
import { DEFAULT_BASE_URL, DEFAULT_TIMEOUTS } from '../aep/options.js';
import { DEFAULT_BUDGET } from '../aep/budget-limits.js';
import { DEFAULT_RETRY } from '../aep/retry-policy.js';
import { DEFAULT_BULK_BATCH } from '../aep/bulk-batch.js';
import { readEnv, splitScopes } from './env.js';
import { envOverrides } from './env-overrides.js';
import { isPlausibleName } from './plausible.js';
import { plainHttpProblems } from './plain-http.js';
import type { CredentialsFile, ConfigFile, SandboxFile } from './schema.js';
import type { AepSandboxConfig, ConfigProblem, ConfigResult } from './types.js';

export const DEFAULT_SANDBOX = 'prod';

export type ResolveInput = {
  /** The validated file, and its path (for messages and relative secret files). */
  file?: { path: string; data: ConfigFile } | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a `clientSecretFile`; throws when it cannot. */
  readSecretFile: (file: string) => string;
  /**
   * `read` (the default): each secret is looked up. `named`: a secret the file names
   * (`clientSecretEnv`, `clientSecretFile`) counts as given, unread, with an empty value: which
   * sandboxes have credentials, and in which org, is written in the file, and a pre-commit hook
   * or a pull request's job has no secrets (validate, plan: cli/configured-orgs.ts). Never
   * connect with such a configuration.
   */
  secrets?: 'read' | 'named' | undefined;
};

type Value = { value: string; hint: string };
/** A secret, and for one read from a file, how to read it again (AepCredentials.rereadSecret). */
type SecretValue = Value & { reread?: () => string };
/**
 * A secret given (clientSecretEnv, clientSecretFile) that could not be had: its own problem
 * says why, and the sandbox is not also said to be missing one.
 */
const BROKEN = 'broken';
type Secret = SecretValue | typeof BROKEN | undefined;
type Layer = { prefix: string; data: CredentialsFile | undefined };
type Own = { prefix: string; data: SandboxFile };

/**
 * The configuration from a validated file and the environment: the file wins, the
 * environment fills in what it leaves out, defaults fill the rest. Pure but for
 * `readSecretFile`; every problem is collected, not only the first.
 */
export function resolveAepConfig(input: ResolveInput): ConfigResult {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const envResult = readEnv(input.env);
  problems.push(...envResult.problems);
  const env = envResult.env;
  const file = input.file?.data ?? {};
  const fileName = input.file?.path;
  const inFile = (key: string): string =>
    fileName === undefined ? key : `${key} in ${path.basename(fileName)}`;

  function secretOf(prefix: string, layer: CredentialsFile | SandboxFile | undefined): Secret {
    if (!layer) return undefined;
    const given = [layer.clientSecret, layer.clientSecretEnv, layer.clientSecretFile].filter(
      (v) => v !== undefined,
    );
    if (given.length > 1) {
      problems.push({
        key: `${prefix}clientSecret`,
        message: 'give only one of clientSecret, clientSecretEnv and clientSecretFile',
      });
      return BROKEN;
    }
    if (input.secrets === 'named' && given.length === 1) {
      return { value: '', hint: inFile(`${prefix}clientSecret`) };
    }
    if (layer.clientSecret !== undefined) {
      warnings.push(
        `${inFile(`${prefix}clientSecret`)}: a secret written in the configuration file; prefer clientSecretEnv or clientSecretFile.`,
      );
      return { value: layer.clientSecret, hint: inFile(`${prefix}clientSecret`) };
    }
    if (layer.clientSecretEnv !== undefined) {
      const value = input.env[layer.clientSecretEnv];
      const hint = `${layer.clientSecretEnv} (named by ${inFile(`${prefix}clientSecretEnv`)})`;
      if (value === undefined || value.trim() === '') {
        const name = layer.clientSecretEnv;
        problems.push({
          key: `${prefix}clientSecretEnv`,
          // A name that could be a secret pasted here by mistake is not repeated.
          message: isPlausibleName(name)
            ? `environment variable ${name} is not set`
            : 'the environment variable it names is not set (the name is not shown: it looks like a secret)',
        });
        return BROKEN;
      }
      return { value: value.trim(), hint };
    }
    if (layer.clientSecretFile !== undefined) {
      const base = fileName === undefined ? '.' : path.dirname(fileName);
      const where = path.resolve(base, layer.clientSecretFile);
      const hint = `the file ${where} (${inFile(`${prefix}clientSecretFile`)})`;
      try {
        const value = input.readSecretFile(where).trim();
        if (value === '') throw new Error('the file is empty');
        return { value, hint, reread: () => input.readSecretFile(where).trim() };
      } catch (error) {
        problems.push(secretFileProblem(`${prefix}clientSecretFile`, error, where, base));
        return BROKEN;
      }
    }
    return undefined;
  }

  /**
   * The environment's client secret: AEP_CLIENT_SECRET, or the file AEP_CLIENT_SECRET_FILE names
   * (a mounted Secret, as the chart gives it), read again when IMS refuses the secret, as a
   * clientSecretFile is: a rotation needs no restart. Not both.
   */
  function envSecretOf(): Secret {
    const name = input.env['AEP_CLIENT_SECRET_FILE']?.trim();
    if (name === undefined || name === '') return env.clientSecret;
    if (env.clientSecret !== undefined) {
      problems.push({
        key: 'AEP_CLIENT_SECRET_FILE',
        message: 'give the client secret either with AEP_CLIENT_SECRET_FILE or AEP_CLIENT_SECRET, not both',
      });
      return BROKEN;
    }
    const where = path.resolve(name);
    const hint = `the file ${where} (AEP_CLIENT_SECRET_FILE)`;
    if (input.secrets === 'named') return { value: '', hint };
    try {
      const value = input.readSecretFile(where).trim();
      if (value === '') throw new Error('the file is empty');
      return { value, hint, reread: () => input.readSecretFile(where).trim() };
    } catch (error) {
      problems.push(secretFileProblem('AEP_CLIENT_SECRET_FILE', error, where, process.cwd()));
      return BROKEN;
    }
  }
  const envSecret = envSecretOf();

  function pick(
    layers: Layer[],
    field: 'clientId' | 'orgId',
    envValue: Value | undefined,
  ): Value | undefined {
    for (const { prefix, data } of layers) {
      const value = data?.[field];
      if (value !== undefined) return { value, hint: inFile(`${prefix}${field}`) };
    }
    return envValue;
  }

  function scopesOf(layers: Layer[]): { scopes: string[]; hint: string } {
    for (const { prefix, data } of layers) {
      if (data?.scopes !== undefined)
        return { scopes: splitScopes(data.scopes), hint: inFile(`${prefix}scopes`) };
    }
    if (env.scopes !== undefined) return { scopes: env.scopes, hint: 'AEP_SCOPES' };
    return { scopes: [...DEFAULT_SCOPES], hint: 'AEP_SCOPES' };
  }

  // Where the file and an AEP_* variable name two targets, the user is told (the org: refused).
  const overrides = envOverrides(file, env, fileName === undefined ? undefined : path.basename(fileName));
  problems.push(...overrides.problems);
  warnings.push(...overrides.warnings);

  const imsUrl = file.imsUrl ?? env.imsUrl ?? DEFAULT_IMS_URL;
  const imsHint = file.imsUrl !== undefined ? inFile('imsUrl') : 'AEP_IMS_URL';
  const baseUrlHint = file.baseUrl !== undefined ? inFile('baseUrl') : 'AEP_BASE_URL';
  const shared: Layer = { prefix: 'credentials.', data: file.credentials };
  const sharedSecret = secretOf('credentials.', file.credentials);

  /** Credentials from `layers` (most specific first), then the environment; undefined if incomplete. */
  function access(name: string, own: Own | undefined, required: boolean): AepSandboxConfig | undefined {
    const layers = own ? [own, shared] : [shared];
    const ownSecret = own ? secretOf(own.prefix, own.data) : undefined;
    const secret: Secret = ownSecret ?? sharedSecret ?? envSecret;
    const clientId = pick(layers, 'clientId', env.clientId);
    const orgId = pick(layers, 'orgId', env.orgId);
    if (!clientId || !secret || secret === BROKEN || !orgId) {
      const missing = required
        ? missingProblem(name, own, { clientId, secret, orgId }, fileName !== undefined)
        : undefined;
      if (missing) problems.push(missing);
      return undefined;
    }
    const { scopes, hint: scopesHint } = scopesOf(layers);
    // The sandbox's client with another layer's org: its own orgId is the key to set.
    const ownOrgId =
      own && own.data.clientId !== undefined && own.data.orgId === undefined
        ? inFile(`${own.prefix}orgId`)
        : undefined;
    const hints: CredentialHints = {
      clientId: clientId.hint,
      clientSecret: secret.hint,
      orgId: orgId.hint,
      scopes: scopesHint,
      imsUrl: imsHint,
      baseUrl: baseUrlHint,
      ...(ownOrgId === undefined ? {} : { ownOrgId }),
      ...(fileName === undefined ? {} : { configFile: path.basename(fileName) }),
    };
    const budget = { ...DEFAULT_BUDGET, ...definedOf(file.budget), ...definedOf(own?.data.budget) };
    return {
      name,
      credentials: {
        clientId: clientId.value,
        clientSecret: secret.value,
        orgId: orgId.value,
        scopes,
        hints,
        ...(secret.reread === undefined ? {} : { rereadSecret: secret.reread }),
      },
      budget,
    };
  }

  const defaultSandbox = file.defaultSandbox ?? env.sandbox ?? DEFAULT_SANDBOX;
  const sandboxes: Record<string, AepSandboxConfig> = {};
  for (const [name, data] of Object.entries(file.sandboxes ?? {})) {
    const resolved = access(name, { prefix: `sandboxes.${name}.`, data: data ?? {} }, true);
    if (resolved) sandboxes[name] = resolved;
  }
  const listed = file.sandboxes !== undefined && Object.keys(file.sandboxes).length > 0;
  const defaultAccess = access(defaultSandbox, undefined, !listed);
  if (
    defaultAccess &&
    !(defaultSandbox in sandboxes) &&
    !(file.sandboxes && defaultSandbox in file.sandboxes)
  ) {
    sandboxes[defaultSandbox] = { ...defaultAccess, name: defaultSandbox };
  }

  const baseUrl = file.baseUrl ?? env.baseUrl ?? DEFAULT_BASE_URL;
  const clients = [...Object.values(sandboxes), ...(defaultAccess ? [defaultAccess] : [])];
  problems.push(
    ...plainHttpProblems(
      [
        { key: file.imsUrl !== undefined ? 'imsUrl' : 'AEP_IMS_URL', url: imsUrl },
        { key: file.baseUrl !== undefined ? 'baseUrl' : 'AEP_BASE_URL', url: baseUrl },
      ],
      clients.map((sandbox) => sandbox.credentials),
    ),
  );

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      baseUrl,
      imsUrl,
      defaultSandbox,
      sandboxes,
      defaultAccess,
      timeouts: { ...DEFAULT_TIMEOUTS, ...definedOf(file.timeouts) },
      retry: { ...DEFAULT_RETRY, ...definedOf(file.retry) },
      sourceSpecShape: file.api?.sourceSpecShape ?? 'auto',
      operationsPath: file.api?.operationsPath ?? 'auto',
      deletePath: file.api?.deletePath ?? 'auto',
      bulkBatchSize: file.api?.bulkBatchSize ?? DEFAULT_BULK_BATCH,
      configFile: fileName,
      warnings,
    },
  };
}

/**
 * Why a clientSecretFile could not be read. A path that names nothing (ENOENT, ENOTDIR)
 * is not repeated, in case a secret was pasted where the path belongs; a path that
 * names something (unreadable, a directory, empty) is shown, since it is a real path.
 */
function secretFileProblem(key: string, error: unknown, where: string, base: string): ConfigProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (
    code === 'ENOENT' ||
    code === 'ENOTDIR' ||
    code === 'ENAMETOOLONG' ||
    code === 'ERR_INVALID_ARG_VALUE'
  ) {
    return {
      key,
      message: `no file at the path it gives (relative paths start at ${base}; the path is not shown, in case it is a secret)`,
    };
  }
  // A FIFO, a directory or a device (refused without reading), or a file over the limit.
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string') return { key, message: `cannot read the secret from ${where}: ${reason}` };
  return { key, message: `cannot read the secret from ${where} (${code ?? (error as Error).message})` };
}

/** What a sandbox lacks; undefined when it lacks nothing but a secret whose own problem is listed. */
function missingProblem(
  name: string,
  own: Own | undefined,
  found: { clientId: unknown; secret: unknown; orgId: unknown },
  hasFile: boolean,
): ConfigProblem | undefined {
  if (!hasFile) {
    const unset = [
      found.clientId ? undefined : 'AEP_CLIENT_ID',
      found.secret ? undefined : 'AEP_CLIENT_SECRET',
      found.orgId ? undefined : 'AEP_ORG_ID',
    ].filter((variable) => variable !== undefined);
    // Only a secret whose own problem is listed (AEP_CLIENT_SECRET_FILE's).
    if (unset.length === 0) return undefined;
    return {
      key: unset.join(', '),
      // The secret's variable may also be its file's (the chart's way): both are named.
      message: `not set: the AEP credentials come from AEP_CLIENT_ID, AEP_CLIENT_SECRET (or AEP_CLIENT_SECRET_FILE) and AEP_ORG_ID, or from a file given with --config`,
    };
  }
  const missing = [
    found.clientId ? undefined : 'a client id (clientId, or AEP_CLIENT_ID)',
    found.secret
      ? undefined
      : 'a client secret (clientSecretEnv, clientSecretFile, AEP_CLIENT_SECRET or AEP_CLIENT_SECRET_FILE)',
    found.orgId ? undefined : 'an org id (orgId, or AEP_ORG_ID)',
  ].filter((item) => item !== undefined);
  if (missing.length === 0) return undefined;
  const list =
    missing.length > 1
      ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1) ?? ''}`
      : (missing[0] ?? '');
  return {
    key: own ? own.prefix.slice(0, -1) : 'credentials',
    message: `sandbox "${name}" is missing ${list}; set it there, under "credentials:", or in the environment`,
  };
}

/** Drops undefined values, so spreading never overwrites a default with undefined. */
function definedOf<T extends object>(value: T | undefined): { [K in keyof T]?: Exclude<T[K], undefined> } {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
