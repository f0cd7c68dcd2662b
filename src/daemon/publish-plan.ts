import type { AepClient } from '../aep/types.js';
import { renderMarkdown } from '../plan/render/markdown.js';
import { stepOrgs } from '../plan/render/target-note.js';
import type { Plan } from '../plan/schema.js';
import type { StatusBoard } from './status-board.js';
import type { AudienceStatus } from './types.js';

/**
 * Publishes a pass's plan (/status, /plan). Its Markdown names the AEP org of each sandbox its
 * steps go to, as `plan --output markdown` made with credentials does (README, "Plan output"):
 * the controller's named `prod/gold` and no org, in which org's prod? (review 39, L-2). A client
 * without credentials (a dry-run controller) knows no org, and the plan names none. `at`: when it
 * was made, which /plan and /status show with when its pass applied it (plan-outcome.ts).
 * `recorded`: the audiences as the records the plan was made from say (StatusBoard.planned).
 */
export function publishPlan(
  deps: { board: StatusBoard; client: Pick<AepClient, 'orgOf'> },
  revision: string,
  plan: Plan,
  at: Date,
  recorded: readonly AudienceStatus[] = [],
): void {
  const orgs = stepOrgs(plan.steps, (sandbox) => deps.client.orgOf(sandbox)?.orgId);
  deps.board.planned(revision, plan, (marks) => renderMarkdown(plan, { orgs, marks }), at, recorded);
}
