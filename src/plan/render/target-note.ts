/** Sandbox -> the IMS org the configured credentials reach it with (a saved plan's origin.orgs). */
export type PlanOrgs = Readonly<Record<string, string>>;

/**
 * Which org each sandbox of the plan's steps is in, for the renderings a person reviews (the
 * terminal, the pull-request comment): a step names `prod/gold`, and several orgs each have a
 * sandbox named prod (review 38c M-3). Undefined when the plan was made without credentials.
 */
export function targetNote(orgs: PlanOrgs | undefined): string | undefined {
  if (orgs === undefined || Object.keys(orgs).length === 0) return undefined;
  const byOrg = new Map<string, string[]>();
  for (const [sandbox, org] of Object.entries(orgs)) byOrg.set(org, [...(byOrg.get(org) ?? []), sandbox]);
  const where = [...byOrg]
    .map(([org, sandboxes]) => {
      const names = [...sandboxes].sort();
      return `${names.length === 1 ? 'sandbox' : 'sandboxes'} ${names.join(', ')} of AEP org ${org}`;
    })
    .join('; ');
  return `Target: ${where} (as the configured credentials name it).`;
}

/** The org of each sandbox `steps` go to, as `orgOf` names it; undefined when it names none. */
export function stepOrgs(
  steps: readonly { sandbox: string }[],
  orgOf: ((sandbox: string) => string | undefined) | undefined,
): PlanOrgs | undefined {
  if (orgOf === undefined) return undefined;
  const orgs: Record<string, string> = {};
  for (const sandbox of new Set(steps.map((step) => step.sandbox))) {
    const org = orgOf(sandbox);
    if (org !== undefined) orgs[sandbox] = org;
  }
  return Object.keys(orgs).length === 0 ? undefined : orgs;
}
