// The text a create's 409 with nothing listed under the exact name fails with (prod/gold), as a
// person reads it: written here, not imported from the code under test.

/** What the record keeps of its deleted audience: its name's mark, and `runs` of its runs. */
export function keptNote(runs: number): string {
  if (runs === 0)
    return 'the create is dropped from the record, which keeps the name of its deleted audience';
  const n = runs === 1 ? '1 run' : `${runs} runs`;
  return `the create is dropped from the record, which keeps the name of its deleted audience and its ${n} (of a deleted audience: they count against the daily run budget)`;
}

/** The failure of prod/gold's create of "Audience gold", `deleted` the audience that may hold the name. */
export function heldMessage(deleted: string, kept: string): string {
  return (
    'the service refused a second audience named "Audience gold" in sandbox "prod" (409), and lists no audience under that exact name: ' +
    `the name is held by an audience not listed (one whose name differs only in letter case, the service compares names ignoring case; ${deleted}; or one whose create has not finished); ` +
    `nothing was created (${kept}), and the next apply tries again: the audience is created once the name is free. ` +
    'To use another name, change spec.name in the manifest; if the holder is the audience this manifest means, set spec.name to its exact name, find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory)'
  );
}

/** The deleted audience of a later apply's create, whose id the record no longer holds. */
export const MARKED =
  'the audience this record held under that name, deleted, if the service still holds its name';
