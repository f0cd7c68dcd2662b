import { formatDiagnostic } from '../../manifest/diagnostics.js';
import { escapeDeep } from '../../text/safe-text.js';
import type { Plan, Step } from '../schema.js';
import {
  clockNote,
  olderCheckoutNote,
  failedRunLine,
  failedRunsHeading,
  runInProgressLine,
  runsInProgressHeading,
  isEmptyPlan,
  noStepsHeadline,
  refreshNote,
  otherRepositoriesNote,
  scopeNote,
  stepDetails,
  summaryLine,
  SYMBOLS,
} from './describe.js';
import { pendingHeading, pendingLines } from './pending-lines.js';
import { targetNote, type PlanOrgs } from './target-note.js';

/** `orgs`: the org of each sandbox of the steps, when the plan was made with credentials. */
export type TextOptions = { color: boolean; orgs?: PlanOrgs | undefined };

const CODES = { green: 32, yellow: 33, red: 31, magenta: 35, cyan: 36, bold: 1, dim: 2 } as const;
type Colour = keyof typeof CODES;

const KIND_COLOUR: Record<Step['kind'], Colour> = {
  create: 'green',
  adopt: 'green',
  update: 'yellow',
  replace: 'magenta',
  delete: 'red',
  forget: 'red',
  run: 'cyan',
  move: 'red',
};

type Paint = (colour: Colour, text: string) => string;

function painter(options: TextOptions): Paint {
  return (colour, text) => (options.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}

/** A Terraform-like plan for a terminal or a log; every string of the plan shown escaped. */
export function renderText(given: Plan, options: TextOptions): string {
  const plan = escapeDeep(given);
  const paint = painter(options);
  const lines: string[] = [];

  if (isEmptyPlan(plan)) {
    const { clean, lead, rest } = noStepsHeadline(plan);
    lines.push(paint(clean ? 'green' : 'red', `${lead} ${rest}`));
  } else {
    lines.push('audiencectl will perform the following actions:', '');
    for (const step of plan.steps) {
      const symbol = paint(KIND_COLOUR[step.kind], SYMBOLS[step.kind].padStart(3));
      const source = step.source ? paint('dim', `  (${step.source})`) : '';
      lines.push(
        `${symbol} ${paint('bold', `${step.sandbox}/${step.key}`)} ${step.kind}: ${step.reason}${source}`,
      );
      for (const detail of stepDetails(step)) lines.push(`        ${detail}`);
      if (step.blocked) lines.push(`        ${paint('red', `blocked: ${step.blocked}`)}`);
      if (step.deferred) lines.push(`        ${paint('yellow', `deferred: ${step.deferred}`)}`);
    }
    lines.push('', summaryLine(plan));
    const target = targetNote(options.orgs);
    if (target) lines.push(target);
  }
  lines.push(...noteLines(plan, paint));
  return `${lines.join('\n')}\n`;
}

/**
 * What the text plan shows besides its steps: the refresh, the scope, the clock, an older
 * checkout, pending intents, failed runs, held audiences, diagnostics; each after an empty line. `plan` is escaped.
 */
function noteLines(plan: Plan, paint: Paint): string[] {
  const lines: string[] = [];
  const refresh = refreshNote(plan);
  if (refresh) lines.push('', ...refresh.map((line) => paint('dim', line)));
  const scope = scopeNote(plan);
  if (scope) lines.push('', paint('dim', scope));
  const others = otherRepositoriesNote(plan);
  if (others) lines.push('', paint('dim', others));
  const clock = clockNote(plan);
  if (clock) lines.push('', paint('yellow', clock));
  const older = olderCheckoutNote(plan);
  if (older) lines.push('', paint('red', older));
  const pending = pendingHeading(plan);
  if (pending) {
    lines.push('', paint('yellow', pending));
    for (const line of pendingLines(plan)) lines.push(`  ${line}`);
  }
  const failedHeading = failedRunsHeading(plan);
  if (failedHeading) {
    lines.push('', paint('red', failedHeading));
    for (const failed of plan.failedRuns ?? []) lines.push(`  ${failedRunLine(failed)}`);
  }
  const runningHeading = runsInProgressHeading(plan);
  if (runningHeading) {
    lines.push('', paint('yellow', runningHeading));
    for (const run of plan.runsInProgress ?? []) lines.push(`  ${runInProgressLine(run)}`);
  }
  if (plan.held.length > 0) {
    lines.push('', paint('yellow', `Held (left alone): ${plan.held.length}`));
    for (const held of plan.held) lines.push(`  ${held.sandbox}/${held.key}: ${held.reason}`);
  }
  if (plan.diagnostics.length > 0) {
    lines.push('', 'Diagnostics:');
    for (const d of plan.diagnostics) {
      lines.push(`  ${paint(d.severity === 'error' ? 'red' : 'yellow', formatDiagnostic(d))}`);
    }
  }
  return lines;
}

/**
 * What `plan --out` says beside the file it writes (on stderr): the blocked steps with why,
 * the notes the text plan shows (held audiences, diagnostics, an older checkout apply would
 * refuse...), then the summary line. Without them, a plan that exits 1 for an error said
 * only its summary (review 20b, M3). Every string escaped.
 */
export function renderOutNotes(given: Plan, options: TextOptions): string {
  const plan = escapeDeep(given);
  const paint = painter(options);
  const lines: string[] = [];
  const blocked = plan.steps.filter((step) => step.blocked);
  if (blocked.length > 0) {
    lines.push('', paint('red', `Blocked (not applied): ${blocked.length}`));
    for (const step of blocked) lines.push(`  ${step.sandbox}/${step.key} ${step.kind}: ${step.blocked}`);
  }
  lines.push(...noteLines(plan, paint));
  // Each part opens with an empty line, as in the text plan; the first needs none here.
  if (lines[0] === '') lines.shift();
  lines.push(...(lines.length > 0 ? [''] : []), summaryLine(plan));
  return `${lines.join('\n')}`;
}
