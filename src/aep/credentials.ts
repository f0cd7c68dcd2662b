/** Where to look when a credential is refused: an environment variable or a config file key. */
export type CredentialHints = {
  clientId: string;
  clientSecret: string;
  orgId: string;
  scopes: string;
  imsUrl: string;
  /** The API base (`baseUrl in aep.yaml` when the file set it: it wins over AEP_BASE_URL). */
  baseUrl: string;
  /**
   * A sandbox's own `orgId` key (`sandboxes.partner.orgId in aep.yaml`), unset, when its client
   * is its own and its org is not (`orgId` above is where it came from: the shared key or
   * AEP_ORG_ID, another client's org): the key to set for that client's org.
   */
  ownOrgId?: string;
  /** The configuration file's name (`aep.yaml`), for a key a message asks to add; none without one. */
  configFile?: string;
  /**
   * The org is no setting a user can change (the embedded emulator's demo client, --emulator):
   * `orgId` above names where it comes from, and a refusal asks to set nothing.
   */
  orgFixed?: true;
};

/** The environment variables, for credentials that came from the environment. */
export const CREDENTIAL_HINTS: CredentialHints = {
  clientId: 'AEP_CLIENT_ID',
  clientSecret: 'AEP_CLIENT_SECRET',
  orgId: 'AEP_ORG_ID',
  scopes: 'AEP_SCOPES',
  imsUrl: 'AEP_IMS_URL',
  baseUrl: 'AEP_BASE_URL',
};

/** An OAuth server-to-server client of the Adobe Developer Console, and the org it belongs to. */
export type AepCredentials = {
  clientId: string;
  clientSecret: string;
  /** `x-gw-ims-org-id`, e.g. `ABC123@AdobeOrg`. */
  orgId: string;
  /** Default DEFAULT_SCOPES (ims-token.ts). */
  scopes?: readonly string[] | undefined;
  /** Names of the settings these came from, for error messages. Default the environment variables. */
  hints?: Partial<CredentialHints> | undefined;
  /**
   * Reads the secret again from where it came: a `clientSecretFile`, which the kubelet updates in
   * place when its Secret is rotated. Asked when IMS refuses the secret held (ims-token.ts).
   * Absent for a secret given once (a variable, the file's own text).
   */
  rereadSecret?: (() => string) | undefined;
};

export function hintsOf(credentials: AepCredentials): CredentialHints {
  return { ...CREDENTIAL_HINTS, ...credentials.hints };
}

/**
 * The IMS org the calls for a sandbox go to (`x-gw-ims-org-id`) and the setting that named it.
 * `own`, when that setting is shared (changing it would move other sandboxes too): what to set
 * for this sandbox alone, its `orgId` left unset beside a client of its own, or its entry
 * under `sandboxes`, missing, so that the shared credentials reach it.
 */
export type ImsOrg = {
  orgId: string;
  setting: string;
  own?: { kind: 'orgId' | 'entry'; setting: string };
  /** `setting` cannot be changed (CredentialHints.orgFixed): a refusal asks for another store. */
  fixed?: true;
};

/** The org of `sandbox`'s calls under `credentials`; `unlisted`: they are the shared ones, for want of its own entry. */
export function imsOrgOf(sandbox: string, credentials: AepCredentials, unlisted: boolean): ImsOrg {
  const hints = hintsOf(credentials);
  const org = { orgId: credentials.orgId, setting: hints.orgId };
  if (hints.orgFixed) return { ...org, fixed: true };
  if (unlisted) {
    const file = hints.configFile ?? 'a configuration file (--config)';
    return { ...org, own: { kind: 'entry', setting: `sandboxes.${sandbox} in ${file}` } };
  }
  return hints.ownOrgId === undefined ? org : { ...org, own: { kind: 'orgId', setting: hints.ownOrgId } };
}

/**
 * The org the calls for `sandbox` go to (AepClient.orgOf): its own credentials, else the shared
 * ones, which reach a sandbox the configuration does not list; undefined when none reach it.
 */
export function accessOrgOf(
  sandbox: string,
  sandboxes: Readonly<Record<string, { credentials: AepCredentials }>> | undefined,
  defaultAccess: { credentials: AepCredentials } | undefined,
): ImsOrg | undefined {
  const listed = sandboxes?.[sandbox];
  const access = listed ?? defaultAccess;
  if (!access) return undefined;
  return imsOrgOf(sandbox, access.credentials, sandboxes !== undefined && listed === undefined);
}
