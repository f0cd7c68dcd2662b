import { isRecordOnly } from '../plan/step-builders.js';
import type { ApplyReport } from '../apply/types.js';
import { UsageError } from '../errors.js';
import { readRegularText } from '../files/read-regular.js';
import type { Plan, Step } from '../plan/schema.js';
import { jsonErrorAt } from '../text/json-error-at.js';
import { version as releaseVersion } from './version.js';

/** Why a file could not be read: its errno code (EACCES, EISDIR), not a stack. */
function reasonOf(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : String((cause as Error | undefined)?.message ?? cause);
}

/** A plan saved with `plan --output json --out`, checked. */
export async function readSavedPlan(file: string): Promise<Plan> {
  let json: unknown;
  let text: string | undefined;
  try {
    text = await readRegularText(file);
    json = JSON.parse(text);
  } catch (cause) {
    // A FIFO or a device is said to be one (read, it was waited on, or read forever).
    if (cause instanceof UsageError) throw cause;
    if (text === undefined)
      throw new UsageError('PLAN_UNREADABLE', `cannot read ${file}: ${reasonOf(cause)}`, { cause });
    // Where the JSON breaks (a plan cut short by a full disk, a merge conflict's markers).
    const broken = jsonErrorAt(text);
    const where = broken
      ? `: it is not JSON at line ${broken.line}, column ${broken.column} (${broken.problem})`
      : '';
    throw new UsageError(
      'PLAN_UNREADABLE',
      `${file} is not a plan saved with \`plan --output json --out\`${where}`,
      {
        cause,
      },
    );
  }
  // Loaded for a saved plan only: its schema (plan/schema.ts) costs an apply of a directory.
  const { checkSavedPlan } = await import('./saved-plan-problem.js');
  const checked = checkSavedPlan(json);
  if (!checked.ok) throw new UsageError('PLAN_INVALID', invalidPlanMessage(file, json, checked.problem));
  return checked.plan;
}

/** The formatVersion of the plans this release saves and applies (plan/schema.ts Plan). */
const FORMAT_VERSION = 1;

/**
 * A plan of a newer formatVersion is told so, with its version and the two ways on (it said only
 * "not a plan of this version (formatVersion 1)": neither the file's version, nor that a plan
 * saved again by this release, or this release upgraded, applies). Any other formatVersion (0,
 * 1.5: none that a release writes) is a damaged field, as a plan of this version that does not
 * read is told its first bad field (a hand edit, a damaged copy, or a plan of another release).
 */
function invalidPlanMessage(file: string, json: unknown, problem: string): string {
  const version =
    typeof json === 'object' && json !== null
      ? (json as { formatVersion?: unknown }).formatVersion
      : undefined;
  if (typeof version === 'number' && Number.isInteger(version) && version > FORMAT_VERSION) {
    return `${file} is a plan of formatVersion ${version}, saved by a newer audiencectl; this release (${releaseVersion}) applies plans of formatVersion ${FORMAT_VERSION} only: nothing was sent to AEP or written. Plan again with this release (\`audiencectl plan --output json --out\`) and apply that plan, or upgrade audiencectl to the release that saved it`;
  }
  const first =
    typeof version === 'number' && version !== FORMAT_VERSION
      ? `formatVersion must be ${FORMAT_VERSION}`
      : problem;
  return `${file} is not a plan saved with \`plan --output json --out\`: ${first} (edited since, or saved by another audiencectl version)`;
}

/** Steps apply would act on: not blocked by a guard, not deferred to a later apply. */
export function actionableSteps(plan: Plan): Step[] {
  return plan.steps.filter((step) => !step.blocked && !step.deferred);
}

/**
 * The confirmation question: how many steps, and which sandboxes of which AEP org they
 * change, so nobody applies to production thinking it is dev.
 */
export function confirmQuestion(
  steps: readonly Step[],
  target: string,
  orgOf: (sandbox: string) => string | undefined,
): string {
  const ask = `Apply these ${steps.length} step(s)? Only "yes" is accepted: `;
  return `\n${targetLine(steps, target, orgOf)}\n${ask}`;
}

/**
 * Which sandboxes of which AEP org `steps` change (the question's first line). Said without
 * the question under --auto-approve too: a pipeline's log otherwise named only the base URL,
 * not the org it changed (review 38c H-2).
 */
export function targetLine(
  steps: readonly Step[],
  target: string,
  orgOf: (sandbox: string) => string | undefined,
): string {
  const byOrg = new Map<string, Set<string>>();
  for (const step of steps) {
    const org = orgOf(step.sandbox) ?? 'unknown org';
    const sandboxes = byOrg.get(org) ?? new Set<string>();
    sandboxes.add(step.sandbox);
    byOrg.set(org, sandboxes);
  }
  const where = [...byOrg]
    .map(([org, sandboxes]) => {
      const names = [...sandboxes].sort();
      return `${names.length === 1 ? 'sandbox' : 'sandboxes'} ${names.join(', ')} of AEP org ${org}`;
    })
    .join('; ');
  // Record-only steps (a directory recorded: every audience once after an upgrade) send nothing.
  const recordOnly = steps.filter(isRecordOnly).length;
  if (recordOnly === steps.length)
    return `This writes only audiencectl's records of ${where} (${target}): nothing is sent to AEP.`;
  const some = recordOnly > 0 ? `; ${recordOnly} of the steps only writes audiencectl's records` : '';
  return `This changes ${where} (${target})${some}.`;
}

export function summary(report: ApplyReport): string {
  const c = report.counts;
  return `Apply: ${c.applied} applied, ${c.started} run(s) still running, ${c.failed} failed, ${c.blocked} blocked, ${c.deferred} deferred, ${c.skipped} skipped.`;
}

/**
 * After an interrupted apply: what was left, and what the next apply does with it. `next`,
 * for a saved plan, says the way on: the same file is stale now (its state moved on), so
 * "the next apply" is of a new plan (review 20b, L4). `why`: what stopped it, when not the
 * person (Ctrl-C, SIGTERM) but, say, a lost state lock.
 */
export function stoppedNote(report: ApplyReport, next?: string, why?: string): string {
  const c = report.counts;
  const running = c.started > 0 ? ` ${c.started} run(s) started and still running are recorded;` : '';
  const way = next ?? 'the next apply picks up where this one stopped';
  const reason = why === undefined ? '' : ` (${why})`;
  return `Stopped before the end${reason}: ${c.skipped} step(s) not started;${running} ${way}.`;
}
