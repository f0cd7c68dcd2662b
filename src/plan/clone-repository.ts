import { sameRepository } from '../manifest/source-root.js';
import type { RecordedState } from '../state/schema.js';

/**
 * What a clone's remotes name (source/work-tree-repository.ts, workTreeRemotes): `repository`,
 * the one it is a clone of (`origin`, else its only remote), and the repositories its other
 * remotes name (`upstream` in the fork workflow).
 */
export type CloneRemotes = {
  repository?: string;
  others: readonly { remote: string; repository: string }[];
};

/**
 * The repository a plan of a clone is made as: its own (`repository`, none when unknown), or
 * another remote's, with the clone's own (`origin`) and why (`note`, one line to say). Made as
 * another's, it is a guess from remote names: a removal its history does not show is held
 * (read-elsewhere.ts, `upstream-repository`).
 */
export type CloneRepository =
  | { repository?: string; origin?: undefined; note?: undefined }
  | { repository: string; origin: string; note: string };

/** The repositories a store knows: its records' and its sandboxes' marks', kept ones too. */
function knownRepositories(recorded: RecordedState): string[] {
  const known = new Set<string>();
  for (const record of recorded.audiences) if (record.repository !== undefined) known.add(record.repository);
  for (const mark of Object.values(recorded.meta?.revisions ?? {})) {
    if (mark.repository !== undefined) known.add(mark.repository);
    for (const other of mark.otherRepositories ?? []) known.add(other.repository);
  }
  return [...known];
}

/**
 * The repository a clone's records and sandbox marks are those of (README, "Several repositories,
 * one store"): the one it is a clone of, unless the store knows it not (no record and no mark,
 * kept ones included, names it) and knows one its other remotes name: the clone is then that
 * one's (a fork's clone, `upstream` naming the repository applied), so that it is checked against
 * that repository's marks and owns its records. `upstream` is preferred; other remotes naming
 * several known repositories leave the clone its own (no guess). A repository that has applied
 * to the store is never taken for another: two repositories sharing a store keep apart.
 */
export function cloneRepository(remotes: CloneRemotes, recorded: RecordedState): CloneRepository {
  const { repository } = remotes;
  if (repository === undefined) return {};
  if (remotes.others.length === 0) return { repository };
  const known = knownRepositories(recorded);
  const knows = (name: string) => known.some((other) => sameRepository(other, name));
  if (knows(repository)) return { repository };
  const candidates = remotes.others.filter((other) => knows(other.repository));
  const upstream = candidates.find((other) => other.remote === 'upstream');
  const distinct = new Set(candidates.map((other) => other.repository));
  const chosen = upstream ?? (distinct.size === 1 ? candidates[0] : undefined);
  if (chosen === undefined) return { repository };
  return {
    repository: chosen.repository,
    origin: repository,
    note: `planned as ${chosen.repository}, the repository remote ${chosen.remote} names: this store has no record or sandbox mark of origin's ${repository}`,
  };
}
