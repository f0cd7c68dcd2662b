import { safeUrl } from '../text/safe-url.js';
import type { AepEnv } from './env.js';
import type { ConfigFile } from './schema.js';
import type { ConfigProblem } from './types.js';

/**
 * What the configuration file overrides of the AEP_* variables, where both are set and
 * differ. The file wins over the environment (docs/configuration.md), but silently it sent an
 * apply meant for the org AEP_ORG_ID names to the file's (review 38c H-1): two explicit
 * sources naming two IMS orgs are refused, naming both, since only the user knows which org is
 * meant; the other overrides (API base, IMS, client) are said, as the defaultSandbox one is.
 */
export function envOverrides(
  file: ConfigFile,
  env: AepEnv,
  fileName: string | undefined,
): { problems: ConfigProblem[]; warnings: string[] } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  if (fileName === undefined) return { problems, warnings };
  const fileOrg = file.credentials?.orgId;
  if (fileOrg !== undefined && env.orgId !== undefined && fileOrg !== env.orgId.value) {
    problems.push({
      key: 'credentials.orgId',
      message: `names IMS org ${fileOrg}, but AEP_ORG_ID names ${env.orgId.value}: which org is meant is not clear, so nothing is sent to AEP; make the two agree, or unset AEP_ORG_ID to use the file's`,
    });
  }
  const said = (key: string, fromFile: string, variable: string, fromEnv: string) =>
    `the ${key} ${fromFile} of the configuration file ${fileName} is used, not ${variable} ${fromEnv} (the file wins over the environment)`;
  for (const [key, variable, fromFile, fromEnv] of [
    ['baseUrl', 'AEP_BASE_URL', file.baseUrl, env.baseUrl],
    ['imsUrl', 'AEP_IMS_URL', file.imsUrl, env.imsUrl],
  ] as const) {
    if (fromFile !== undefined && fromEnv !== undefined && sameUrl(fromFile) !== sameUrl(fromEnv))
      warnings.push(said(key, safeUrl(fromFile), variable, safeUrl(fromEnv)));
  }
  const fileClient = file.credentials?.clientId;
  if (fileClient !== undefined && env.clientId !== undefined && fileClient !== env.clientId.value) {
    // Client ids are not repeated here: one pasted into the wrong variable may be a secret.
    warnings.push(
      `credentials.clientId of the configuration file ${fileName} is used, not AEP_CLIENT_ID (the file wins over the environment)`,
    );
  }
  return { problems, warnings };
}

/** A URL as compared: a trailing slash names the same base. */
function sameUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
