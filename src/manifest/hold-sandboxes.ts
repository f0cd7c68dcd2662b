import { compareDiagnostics, type Diagnostic } from './diagnostics.js';
import type { HeldKey, LoadResult } from './load.js';
import { compareText } from '../text/compare.js';

/** Rule of the error for a manifest whose sandbox no configured credentials reach. */
export const SANDBOX_WITHOUT_CREDENTIALS = 'config/sandbox-without-credentials';

const CONTROLLER_ADVICE =
  'this file\'s audiences are held until the sandbox is added under "sandboxes:" in the config file (or AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_ORG_ID are set for all sandboxes), or metadata.sandbox names a configured one';

/**
 * `desired` with every file that defines an audience of a sandbox no credentials reach
 * (`reachable` false) failed as a broken file is: its audiences held (neither applied nor
 * deleted), an error at each such manifest naming the sandbox. The controller's way (review
 * 37a, M-2): a sandbox not set up yet, or a typo in `metadata.sandbox`, stops that file, not
 * every other team's changes. Pure: the caller knows the credentials.
 */
export function holdUnreachableSandboxes<T extends LoadResult>(
  desired: T,
  reachable: (sandbox: string) => boolean,
  /** How to fix it, after the sandbox and audience: the CLI's is its own (cli/unconfigured-sandboxes.ts). */
  advice: string = CONTROLLER_ADVICE,
): T {
  const unreachable = desired.manifests.filter((manifest) => !reachable(manifest.sandbox));
  if (unreachable.length === 0) return desired;
  const files = new Set(unreachable.map((manifest) => manifest.file));
  const diagnostics: Diagnostic[] = unreachable.map((manifest) => ({
    severity: 'error',
    file: manifest.file,
    line: manifest.line,
    column: 1,
    rule: SANDBOX_WITHOUT_CREDENTIALS,
    message: `no AEP credentials for sandbox "${manifest.sandbox}" (audience "${manifest.key}"): ${advice}`,
  }));
  // One audience that cannot be reached spoils its file, as one broken document does.
  const spoiled = desired.manifests.filter((manifest) => files.has(manifest.file));
  const held: HeldKey[] = [
    ...desired.held,
    ...spoiled.map(({ sandbox, key, file }) => ({ sandbox, key, file })),
  ].sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
  return {
    ...desired,
    manifests: desired.manifests.filter((manifest) => !files.has(manifest.file)),
    diagnostics: [...desired.diagnostics, ...diagnostics].sort(compareDiagnostics),
    failedFiles: [...new Set([...desired.failedFiles, ...files])].sort(compareText),
    held,
  };
}
