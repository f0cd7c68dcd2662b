import type { AepConfig } from '../config/types.js';
import { credentialsAbsent } from './credentials-absent.js';

type Flags = { config?: string | undefined; emulator?: boolean | undefined };

/** The IMS org of the credentials that serve a sandbox, in `config`. */
export function orgFinder(config: AepConfig): (sandbox: string) => string | undefined {
  return (sandbox) => (config.sandboxes[sandbox] ?? config.defaultAccess)?.credentials.orgId ?? undefined;
}

/**
 * The configuration as `flags` name it, checked, for the commands that only read it (validate,
 * plan): the environment alone without the configuration file's reader (the `yaml` library,
 * zod's schema; ~0.08 s of CPU in a CI job whose credentials are AEP_* variables), a file
 * through it. Undefined without credentials, or when it does not check out (reported where a
 * command connects, never by a command that makes no call). The secrets a file names are not
 * read (their values are empty here): which sandboxes have credentials, and the org of each,
 * do not depend on them, and a pre-commit hook or a pull request's job has none (review
 * cli-40: validate said nothing of a sandbox without credentials there).
 */
export async function checkedConfig(flags: Flags): Promise<AepConfig | undefined> {
  if (flags.emulator || credentialsAbsent(flags)) return undefined;
  const checked =
    flags.config === undefined
      ? (await import('../config/resolve-env.js')).resolveWithSecretFiles(undefined, process.env)
      : (await import('../config/load.js')).checkAepConfig({
          configFile: flags.config,
          env: process.env,
          secrets: 'named',
        });
  return checked.ok ? checked.config : undefined;
}

/**
 * The org the configured credentials name for each sandbox, known before (or without)
 * connecting (a saved plan records it); undefined without credentials, or when the
 * configuration does not check out: a plan that makes no call does not fail on it.
 */
export async function configuredOrgs(
  flags: Flags,
): Promise<((sandbox: string) => string | undefined) | undefined> {
  const config = await checkedConfig(flags);
  return config && orgFinder(config);
}
