import path from 'node:path';
import { UsageError } from '../errors.js';
import { holdUnreachableSandboxes, SANDBOX_WITHOUT_CREDENTIALS } from '../manifest/hold-sandboxes.js';
import type { LoadResult } from '../manifest/load.js';
import { compareText } from '../text/compare.js';
import { checkedConfig } from './configured-orgs.js';

type Flags = { config?: string | undefined; emulator?: boolean | undefined };

/**
 * `desired` with each file that has a manifest of a sandbox the configured credentials do not
 * reach failed (its audiences held) and an error at that manifest saying how to fix it: the
 * controller's step (manifest/hold-sandboxes.ts), with the CLI's advice. Said by validate and
 * plan, and by apply before any call: otherwise the first call for that sandbox failed the whole
 * apply naming no file (fix-sandbox-cli-37). Without credentials (a plan that makes no call), or
 * with a configuration that does not check out (reported where it is loaded), nothing is said.
 */
export async function holdUnconfiguredSandboxes<T extends LoadResult>(desired: T, flags: Flags): Promise<T> {
  // The configuration file's reader (yaml, zod) only for a file: validate and plan start
  // without it, and credentials in the environment alone (a CI job's) need none of it.
  const config = await checkedConfig(flags);
  if (!config) return desired;
  if (config.defaultAccess) return desired;
  const configured = Object.keys(config.sandboxes).sort(compareText);
  const file = flags.config ?? 'the config file';
  const to = configured.length === 0 ? '' : ` (${configured.join(', ')})`;
  return holdUnreachableSandboxes(
    desired,
    (sandbox) => config.sandboxes[sandbox] !== undefined,
    `add it under "sandboxes:" in ${file}, or set metadata.sandbox to a configured sandbox${to}`,
  );
}

/**
 * apply's refusal, before any call, when a manifest names a sandbox without credentials: one
 * line per such manifest (its file under `dir`, the manifests directory as given, and line),
 * nothing applied.
 */
export async function assertSandboxesConfigured(
  desired: LoadResult,
  flags: Flags,
  dir: string,
): Promise<void> {
  const lines = (await holdUnconfiguredSandboxes(desired, flags)).diagnostics
    .filter((d) => d.rule === SANDBOX_WITHOUT_CREDENTIALS)
    .map((d) => `${path.join(dir, d.file)}:${d.line}: ${d.message}`);
  if (lines.length === 0) return;
  const nothing = 'nothing was sent to AEP or applied';
  throw new UsageError(
    'SANDBOX_WITHOUT_CREDENTIALS',
    lines.length === 1
      ? `${lines[0]}; ${nothing}`
      : `manifests name sandboxes without credentials; ${nothing}:\n${lines.map((line) => `  ${line}`).join('\n')}`,
  );
}
