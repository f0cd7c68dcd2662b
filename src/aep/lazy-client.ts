import type { AepHttpClient } from './client.js';
import type { CompatChoices } from './compat-schema.js';
import type { ImsOrg } from './credentials.js';
import { StatsRecorder } from './stats.js';

export type LazyClientParts = {
  /** Makes the client: called once, at the first call (and only then are got, p-queue, pino loaded). */
  make: () => Promise<AepHttpClient>;
  /** As the client's orgOf, which makes no call. */
  orgOf: (sandbox: string) => ImsOrg | undefined;
  /** The readings the client starts from (its compat option's `remembered`). */
  remembered: CompatChoices | undefined;
};

/**
 * An AepHttpClient made at its first call. An apply with nothing to do (and a plan, a refresh
 * of nothing) makes none: loading the HTTP client (got, p-queue, pino, the API's schemas) was
 * most of such an apply's CPU. Until then it answers as a new client does: no stats, no
 * reading of the service's clock, the readings it was given. Each call's signal is the real
 * client's to honour, as before.
 */
export function lazyAepClient(parts: LazyClientParts): AepHttpClient {
  let made: Promise<AepHttpClient> | undefined;
  let client: AepHttpClient | undefined;
  const real = async (): Promise<AepHttpClient> => {
    made ??= parts.make().then((value) => (client = value));
    return made;
  };
  return {
    orgOf: (sandbox) => parts.orgOf(sandbox),
    createAudience: async (...args) => (await real()).createAudience(...args),
    getOperation: async (...args) => (await real()).getOperation(...args),
    patchAudience: async (...args) => (await real()).patchAudience(...args),
    startRun: async (...args) => (await real()).startRun(...args),
    getRun: async (...args) => (await real()).getRun(...args),
    listRuns: async (...args) => (await real()).listRuns(...args),
    deleteAudience: async (...args) => (await real()).deleteAudience(...args),
    authenticate: async (...args) => (await real()).authenticate(...args),
    listAudiences: async (...args) => (await real()).listAudiences(...args),
    getAudience: async (...args) => (await real()).getAudience(...args),
    bulkGetAudiences: async (...args) => (await real()).bulkGetAudiences(...args),
    findAudiencesByName: async (...args) => (await real()).findAudiencesByName(...args),
    findAudiencesNameContains: async (...args) => (await real()).findAudiencesNameContains(...args),
    listInactiveAudiences: async (...args) => (await real()).listInactiveAudiences(...args),
    stats: () => client?.stats() ?? new StatsRecorder().snapshot(0, {}),
    compat: () => client?.compat() ?? structuredClone(parts.remembered ?? {}),
    serviceClock: () => client?.serviceClock(),
    askedWait: (sandbox) => client?.askedWait(sandbox),
  } satisfies AepHttpClient;
}
