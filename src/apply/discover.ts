import type { AepClient, AudienceReads } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import { claims, describeFound, matchAdoptable, type AdoptMatch } from '../plan/adopt.js';
import { alikeName } from '../plan/name-alike.js';
import { normaliseSpec } from '../plan/normalise.js';
import { holdsAudienceRecord, holdsOnlyFormerRuns, runsTakenOver } from '../state/current-runs.js';
import { formerAudienceNote } from '../state/describe.js';
import { newRecord } from '../state/record-changes.js';
import { dropTaken, runsHeldElsewhere, takenRunsNotes } from '../state/runs-elsewhere.js';
import { recordId } from '../state/record-id.js';
import type { FoundAudience } from '../plan/schema.js';
import type { AppliedRevision } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { holdsNoAudience } from '../state/waiting.js';
import { readAdoptView } from './adopt-read.js';
import { readInactive, withInactive } from './discover-inactive.js';
import { importedRunsCount } from './import-runs-count.js';

export type DiscoverRow = {
  sandbox: string;
  key: string;
  /**
   * `waiting`: its record holds no audience and waits for its create; never matched.
   * `look-alike`: no audience of its exact name, but one of a name like it (lookAlikeRow).
   */
  outcome: 'matched' | 'missing' | 'ambiguous' | 'waiting' | 'look-alike';
  audienceId?: string;
  /** What the sandbox holds under the name, when not matched. */
  detail: string;
  /**
   * Matched over a runs-only record (formerAudienceNote): whether the audience is the one its
   * key recorded before; and the runs taken from runs-only records of other keys (takenRunsNotes).
   */
  notes?: string[];
};

export type DiscoverResult = {
  rows: DiscoverRow[];
  /** Sandboxes whose inactive audiences the service would not list, and what it said. */
  inactiveUnlisted: Map<string, string>;
};

/**
 * A manifest whose record waits for its create (holdsNoAudience: no create under way, not blocked) is looked up and reported, never
 * matched: its record says no create of it is under way, so an audience now listed under its
 * name is not one it made (the next apply's create, refused 409, blocks on it as someone
 * else's). Recording it would point the record at that audience, and drop the mark of the
 * deleted audience's name. A person who knows it is theirs imports it with `--audience-id`,
 * which keeps the record's runs.
 */
function waitingRow(
  base: { sandbox: string; key: string },
  found: readonly FoundAudience[],
  unlisted: string,
): DiscoverRow {
  const listed = found
    .slice(0, 5)
    .map((audience) => describeFound(audience))
    .join(', ');
  return {
    ...base,
    outcome: 'waiting',
    detail: listed === '' ? `no audience of that name${unlisted}` : listed,
  };
}

/**
 * No audience of the manifest's exact name, but one whose name the service takes for it
 * (letter case, surrounding blanks: the next apply's create is refused 409) or that shows the
 * same (another space, Unicode normalisation: the create makes a look-alike): never missing,
 * never matched (adoption takes the exact name, and so does `state import`).
 */
function lookAlikeRow(
  base: { sandbox: string; key: string },
  match: Exclude<AdoptMatch, { kind: 'one' }>,
  name: string,
): DiscoverRow | undefined {
  const alike = match.candidates.filter((audience) => alikeName(name, audience.name) !== undefined);
  if (alike.length === 0) return undefined;
  return {
    ...base,
    outcome: 'look-alike',
    detail: match.listed,
    notes: [
      `not recorded: no audience is named exactly "${name}" (its spec.name); if ${alike.length === 1 ? `audience ${alike[0]?.audienceId ?? ''} is` : 'one of these is'} this manifest's, set spec.name to its name exactly and discover again, else give the manifest another spec.name`,
    ],
  };
}

/**
 * `state import --discover`: every manifest without a record (of `sandbox`, when given) is
 * matched by the adoption rule (exactly one external audience of its exact name and origin,
 * recorded for no other key) among the audiences its name lookup finds and the sandbox's
 * inactive ones (discover-inactive.ts), and, unless `dryRun`, recorded as imported. A manifest
 * whose record waits for its create is looked up too, and reported as `waiting`, never
 * recorded (waitingRow). Call it under the store's lock.
 */
export async function discoverRecords(
  desired: LoadResult,
  store: StateStore,
  client: Pick<AudienceReads, 'findAudiencesByName' | 'findAudiencesNameContains' | 'listInactiveAudiences'> &
    Pick<AepClient, 'listRuns'>,
  options: {
    sandbox?: string | undefined;
    dryRun: boolean;
    now: number;
    /**
     * Epoch seconds (asked once the lookups have read AEP's clock): a runs-only record's runs begun
     * at or before it no longer count against the daily run budget, and a match over it drops
     * them (runsTakenOver).
     */
    budgetHorizon: () => number;
    /** The commit of the manifests (cli/import-revision.ts), recorded with each match. */
    revision?: AppliedRevision | undefined;
    /** The directory of the manifests (AudienceRecord.sourceRoot), and its repository, recorded with each match. */
    sourceRoot?: string | undefined;
    repository?: string | undefined;
    /**
     * Ends the lookups in flight (`state import --discover`'s Ctrl-C): it then writes nothing
     * (cli/state-interrupt.ts). Without it a Ctrl-C waited the call out (review 38v, L-2).
     */
    signal?: AbortSignal | undefined;
  },
): Promise<DiscoverResult> {
  const records = (await store.readAll()).audiences;
  const known = new Map(records.map((record) => [recordId(record.sandbox, record.key), record]));
  // A runs-only record (its manifest removed, its audience forgotten) is matched as no record is
  // (holdsAudienceRecord): its audience may well be the one to find, and the match keeps its runs
  // (runsTakenOver).
  const waiting = (id: string) => {
    const record = known.get(id);
    return record !== undefined && holdsNoAudience(record) && !holdsOnlyFormerRuns(record);
  };
  const manifests = desired.manifests.filter((m) => {
    const id = recordId(m.sandbox, m.key);
    return (
      (!holdsAudienceRecord(known, id) || waiting(id)) &&
      (options.sandbox === undefined || m.sandbox === options.sandbox)
    );
  });
  const inactive = await readInactive(manifests, client, options.signal);
  const named = await readAdoptView(manifests, client, {
    now: options.now,
    signal: options.signal,
    exactKnown: (m) => (inactive.found.get(m.sandbox) ?? []).some((a) => a.name === m.manifest.spec.name),
  });
  const view = withInactive(named, manifests, inactive);
  const claimed = claims(records);
  const at = new Date(options.now).toISOString();
  const rows: DiscoverRow[] = [];
  for (const manifest of manifests) {
    const id = recordId(manifest.sandbox, manifest.key);
    const base = { sandbox: manifest.sandbox, key: manifest.key };
    const unlisted = inactive.refused.has(manifest.sandbox) ? ' (inactive ones not listed)' : '';
    if (waiting(id)) {
      rows.push(waitingRow(base, view.byKey[id] ?? [], unlisted));
      continue;
    }
    const match = matchAdoptable(view.byKey[id] ?? [], normaliseSpec(manifest.manifest.spec), claimed);
    const alike = match.kind === 'none' ? lookAlikeRow(base, match, manifest.manifest.spec.name) : undefined;
    if (alike !== undefined) {
      rows.push(alike);
      continue;
    }
    if (match.kind !== 'one') {
      const outcome = match.kind === 'several' ? 'ambiguous' : 'missing';
      rows.push({
        ...base,
        outcome,
        detail: match.listed === '' ? `no audience of that name${unlisted}` : match.listed,
      });
      continue;
    }
    const audienceId = match.audience.audienceId;
    claimed.set(audienceId, id);
    // As adoption says it (plan/adopt.ts, apply/steps/adopt.ts): which audience the key now holds.
    const former = formerAudienceNote(known.get(id), match.audience);
    const row: DiscoverRow = { ...base, outcome: 'matched', audienceId, detail: '' };
    rows.push(row);
    if (former !== '') row.notes = [`audience ${audienceId}${former}`];
    const since = options.budgetHorizon();
    const own = runsTakenOver(known.get(id), audienceId, since);
    const elsewhere = runsHeldElsewhere([...known.values()], base, audienceId, since, own);
    if (options.dryRun) {
      const would = takenRunsNotes(elsewhere, true);
      if (would.length > 0) row.notes = [...(row.notes ?? []), ...would];
      continue;
    }
    const request = manifest.manifest.ingestion.request;
    // As a plain import counts them: the runs past a cut page are its history (hidden-runs.ts).
    const counted = await importedRunsCount(client, manifest.sandbox, audienceId, Date.now, options.signal);
    await store.put({
      ...newRecord(manifest.sandbox, manifest.key, manifest.manifest.metadata.deletionPolicy),
      runs: elsewhere.runs,
      audienceId,
      manifestFile: manifest.file,
      ...(options.sourceRoot === undefined ? {} : { sourceRoot: options.sourceRoot }),
      ...(options.repository === undefined ? {} : { repository: options.repository }),
      imported: {
        at: counted?.at ?? at,
        ...(request === undefined ? {} : { ingestionRequest: request }),
        ...(options.revision === undefined ? {} : { revision: options.revision }),
        ...(counted === undefined ? {} : { runsCounted: counted.runsCounted }),
      },
      observed: { source: 'audiences', at, body: { ...match.audience } },
    });
    const dropped = await dropTaken(store, elsewhere);
    for (const { from, rest } of dropped.sources) {
      const fromId = recordId(from.sandbox, from.key);
      if (rest) known.set(fromId, rest);
      else known.delete(fromId);
    }
    const taken = takenRunsNotes(dropped);
    if (taken.length > 0) row.notes = [...(row.notes ?? []), ...taken];
  }
  return { rows, inactiveUnlisted: inactive.refused };
}
