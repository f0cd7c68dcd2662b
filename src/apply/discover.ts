import type { AudienceReads } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import { claims, matchAdoptable } from '../plan/adopt.js';
import { normaliseSpec } from '../plan/normalise.js';
import { newRecord } from '../state/record-changes.js';
import { recordId } from '../state/record-id.js';
import type { AppliedRevision } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { readAdoptView } from './adopt-read.js';
import { readInactive, withInactive } from './discover-inactive.js';

export type DiscoverRow = {
  sandbox: string;
  key: string;
  outcome: 'matched' | 'missing' | 'ambiguous';
  audienceId?: string;
  /** What the sandbox holds under the name, when not matched. */
  detail: string;
};

export type DiscoverResult = {
  rows: DiscoverRow[];
  /** Sandboxes whose inactive audiences the service would not list, and what it said. */
  inactiveUnlisted: Map<string, string>;
};

/**
 * `state import --discover`: every manifest without a record (of `sandbox`, when given) is
 * matched by the adoption rule (exactly one external audience of its exact name and origin,
 * recorded for no other key) among the audiences its name lookup finds and the sandbox's
 * inactive ones (discover-inactive.ts), and, unless `dryRun`, recorded as imported. Call it
 * under the store's lock.
 */
export async function discoverRecords(
  desired: LoadResult,
  store: StateStore,
  client: Pick<AudienceReads, 'findAudiencesByName' | 'listInactiveAudiences'>,
  options: {
    sandbox?: string | undefined;
    dryRun: boolean;
    now: number;
    /** The commit of the manifests (cli/import-revision.ts), recorded with each match. */
    revision?: AppliedRevision | undefined;
  },
): Promise<DiscoverResult> {
  const records = (await store.readAll()).audiences;
  const known = new Set(records.map((record) => recordId(record.sandbox, record.key)));
  const manifests = desired.manifests.filter(
    (m) =>
      !known.has(recordId(m.sandbox, m.key)) &&
      (options.sandbox === undefined || m.sandbox === options.sandbox),
  );
  const named = await readAdoptView(manifests, client, { now: options.now });
  const inactive = await readInactive(manifests, client);
  const view = withInactive(named, manifests, inactive);
  const claimed = claims(records);
  const at = new Date(options.now).toISOString();
  const rows: DiscoverRow[] = [];
  for (const manifest of manifests) {
    const id = recordId(manifest.sandbox, manifest.key);
    const match = matchAdoptable(view.byKey[id] ?? [], normaliseSpec(manifest.manifest.spec), claimed);
    const base = { sandbox: manifest.sandbox, key: manifest.key };
    if (match.kind !== 'one') {
      const outcome = match.kind === 'several' ? 'ambiguous' : 'missing';
      const unlisted = inactive.refused.has(manifest.sandbox) ? ' (inactive ones not listed)' : '';
      rows.push({
        ...base,
        outcome,
        detail: match.listed === '' ? `no audience of that name${unlisted}` : match.listed,
      });
      continue;
    }
    const audienceId = match.audience.audienceId;
    claimed.set(audienceId, id);
    rows.push({ ...base, outcome: 'matched', audienceId, detail: '' });
    if (options.dryRun) continue;
    const request = manifest.manifest.ingestion.request;
    await store.put({
      ...newRecord(manifest.sandbox, manifest.key, manifest.manifest.metadata.deletionPolicy),
      audienceId,
      manifestFile: manifest.file,
      imported: {
        at,
        ...(request === undefined ? {} : { ingestionRequest: request }),
        ...(options.revision === undefined ? {} : { revision: options.revision }),
      },
      observed: { source: 'audiences', at, body: { ...match.audience } },
    });
  }
  return { rows, inactiveUnlisted: inactive.refused };
}
