import type { Command } from 'commander';
import { readRegularTextSync } from '../files/read-regular.js';
import { escapeText, quoted } from '../text/safe-text.js';
import { DEFAULT_SANDBOX, envSandbox } from './sandbox-option.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `--config`, else AUDIENCECTL_CONFIG (empty, it is unset). */
export function configFileOf(config: unknown, env: Env): string | undefined {
  if (typeof config === 'string' && config !== '') return config;
  return env.AUDIENCECTL_CONFIG || undefined;
}

/**
 * Whether a key of `text` could be defaultSandbox: written out, or spelled with escapes in a
 * quoted key (`"default\x53andbox"`).
 */
export function mayGiveDefaultSandbox(text: string): boolean {
  return text.includes('defaultSandbox') || text.includes('\\');
}

/**
 * The `defaultSandbox` of the configuration file `--config` or AUDIENCECTL_CONFIG names, if
 * any. Its reader (the yaml library, zod) is loaded only for a file that may set one: a
 * plan's start-up pays for neither otherwise (test/cli/plan-start-up-loads.spec.ts). A file
 * that cannot be read is reported by that reader: no sandbox is guessed without it.
 */
async function fileDefaultSandbox(config: unknown, env: Env): Promise<string | undefined> {
  const file = configFileOf(config, env);
  if (file === undefined) return undefined;
  let text: string | undefined;
  try {
    text = readRegularTextSync(file);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !mayGiveDefaultSandbox(text)) return undefined;
  return (await import('../config/read-file.js')).defaultSandboxOfConfigFile(file);
}

/**
 * The default sandbox a configuration file's `defaultSandbox` (if it has one) gives: it,
 * else AEP_SANDBOX, else `prod`. The one order, for the working tree's file and for the
 * `plan --base` commit's (base-sandbox.ts).
 */
export function defaultSandboxFrom(fromFile: string | undefined, env: Env): string {
  return fromFile ?? envSandbox(env) ?? DEFAULT_SANDBOX;
}

/**
 * The sandbox of manifests that name none: `--sandbox`, else the configuration file's
 * `defaultSandbox`, else AEP_SANDBOX, else `prod`. The file wins over the environment, as
 * for every key it has (docs/configuration.md), and as the credentials' default sandbox
 * is resolved (config/resolve.ts). No credentials are read.
 */
export async function manifestSandboxOf(
  options: { sandbox?: string | undefined; config?: string | undefined },
  env: Env = process.env,
): Promise<string> {
  if (options.sandbox !== undefined) return options.sandbox;
  return defaultSandboxFrom(await fileDefaultSandbox(options.config, env), env);
}

/**
 * The preAction hook of the commands that read manifests (source-options.ts) and of the
 * state commands given a key (state.ts): their `--sandbox` (AEP_SANDBOX, default `prod`)
 * gives way to the configuration file's `defaultSandbox` unless typed, so that every reader
 * of the flags (loaders, the saved plan's origin, the controller, the key's record) sees the
 * one resolution of manifestSandboxOf.
 */
export async function applyFileDefaultSandbox(command: Command): Promise<void> {
  if (command.getOptionValueSource('sandbox') === 'cli') return;
  const options = command.optsWithGlobals();
  // With --emulator the configuration file is not read (refuseInvalidConfigFile), nor this key.
  if (options.emulator === true) return;
  const fromFile = await fileDefaultSandbox(options.config, process.env);
  if (fromFile === undefined) return;
  command.setOptionValueWithSource('sandbox', fromFile, 'config');
  const fromEnv = process.env.AEP_SANDBOX;
  if (fromEnv && fromEnv !== fromFile) {
    // Earlier releases used AEP_SANDBOX here: the change of sandbox is said, once per command.
    const file = configFileOf(options.config, process.env) ?? '';
    process.stderr.write(
      `Warning: the defaultSandbox ${quoted(fromFile)} of the configuration file ${escapeText(file)} is used, not AEP_SANDBOX ${quoted(fromEnv)} (the file wins over the environment)\n`,
    );
  }
}
