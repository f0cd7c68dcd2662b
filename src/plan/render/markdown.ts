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
  SYMBOLS,
} from './describe.js';
import { pendingHeading, pendingLines } from './pending-lines.js';
import { targetNote, type PlanOrgs } from './target-note.js';

/** GitHub refuses comments over 65,536 characters; the whole document stays under this. */
export const MARKDOWN_LIMIT = 65_000;
/** Held audiences and diagnostics listed at most (the rest is counted). */
const MAX_LISTED = 50;
/** A line longer than this is shortened (a manifest value can be megabytes long). */
const MAX_LINE = 400;
/** Held audiences and diagnostics each get at most this share of the document. */
const LIST_SHARE = 0.25;
/** Room kept for the closing notes that say what was folded. */
const NOTE_RESERVE = 800;

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * GitHub reads `@name` as a mention (the user, or `@org/team` the team, is notified) and `#12` as
 * an issue link after the Markdown is read, so a backslash stops neither (a pull request adding
 * `@acme/admins.yaml` would have the Action's comment notify that team). A zero-width space after the
 * mark stops both; it is written as a character reference, so that /plan read as text shows it
 * and a line clipped there leaves no markup open. An `@` after a letter or digit (an address,
 * an org's `…@AdobeOrg`) mentions nobody and is left as it is.
 */
const MENTION = /(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])/g;
const ISSUE_REFERENCE = /#(?=\d+(?![A-Za-z0-9_]))/g;
/**
 * Links GitHub makes of text, where a word starts, whatever escapes them: `GH-12` (issue 12),
 * and GFM's autolinks `www.host` and `http://` or `https://host`. The same zero-width space
 * after the word (`www&#8203;.host`) leaves neither the shape GitHub looks for.
 */
const AUTOLINK = /(?<![A-Za-z0-9_])(?:gh(?=-\d)|www(?=\.)|https?(?=:\/\/))/gi;
const ZERO_WIDTH_SPACE = '&#8203;';

/**
 * Text from files, flags or the service (a held audience's reason names its file; a failed
 * run's reason is the service's) shown as it is in running text: a file named `<!--.yaml`
 * opened an HTML comment that hid the rest of the review comment, `*`/`_`/`~` made emphasis
 * and `[text](url)` a link. HTML is escaped and Markdown's marks are backslash-escaped.
 */
function escapeInline(text: string): string {
  const unlinked = text
    .replace(MENTION, '$&\u200b')
    .replace(ISSUE_REFERENCE, '$&\u200b')
    .replace(AUTOLINK, '$&\u200b');
  return escapeCell(escapeHtml(unlinked.replaceAll('\\', '\\\\')).replace(/[`*_[\]~#!]/g, '\\$&')).replaceAll(
    '\u200b',
    ZERO_WIDTH_SPACE,
  );
}

/** Step kinds that take an audience away (or re-create it): never folded out of sight. */
const DESTRUCTIVE: ReadonlySet<string> = new Set(['delete', 'replace', 'forget']);

/** What the renderer left out or shortened, for the closing notes. */
type Folded = {
  audiences: number;
  /** Of the folded audiences, those with a delete, replace or forget, and how many of them are named. */
  destructive: number;
  named: number;
  held: number;
  failedRuns: number;
  runsInProgress: number;
  diagnostics: number;
  shortened: number;
};

/** Characters left for the document; a line costs its length plus its newline. */
class Budget {
  constructor(private left: number) {}

  fits(lines: readonly string[]): boolean {
    return cost(lines) <= this.left;
  }

  take(lines: readonly string[]): boolean {
    if (!this.fits(lines)) return false;
    this.left -= cost(lines);
    return true;
  }

  get remaining(): number {
    return this.left;
  }

  /** Sets `size` characters aside (at most what is left); returns how many were. */
  hold(size: number): number {
    const held = Math.max(0, Math.min(size, this.left));
    this.left -= held;
    return held;
  }

  release(size: number): void {
    this.left += size;
  }
}

function cost(lines: readonly string[]): number {
  let total = 0;
  for (const line of lines) total += line.length + 1;
  return total;
}

function clipper(folded: Folded): (text: string) => string {
  return (text) => {
    const flat = text.replaceAll('\n', ' ');
    if (flat.length <= MAX_LINE) return flat;
    folded.shortened += 1;
    return `${flat.slice(0, MAX_LINE)}… (${flat.length - MAX_LINE} more characters)`;
  };
}

/**
 * A plan a controller's pass carried out, as /plan shows it (src/daemon/plan-outcome.ts): lines
 * saying when it was planned and applied, and what became of each step. Without them the steps
 * read as still to do, after the pass had done them (docs M-3).
 */
export type PlanMarks = {
  /** Said first, each `lead` in bold. */
  headlines: ReadonlyArray<{ lead: string; rest: string }>;
  /** What became of each step, by step id; absent while none has an outcome yet. */
  steps?: {
    of: ReadonlyMap<string, { status: string; message: string }>;
    /** The mark of a step the pass did not reach. */
    unreached: string;
  };
};

/** What became of a step, when the plan is marked so. */
function outcomeOf(
  step: Step,
  marks: PlanMarks | undefined,
): { status: string; message: string } | undefined {
  if (!marks?.steps) return undefined;
  return marks.steps.of.get(step.id) ?? { status: marks.steps.unreached, message: '' };
}

function kindsOf(steps: readonly Step[], marks?: PlanMarks): string {
  return steps
    .map((s) => {
      const mark = outcomeOf(s, marks)?.status ?? (s.blocked ? 'blocked' : undefined);
      return `${SYMBOLS[s.kind]} ${s.kind}${mark ? ` (${mark})` : ''}`;
    })
    .join(', ');
}

/** The outcome line under a marked step: its message, unless the plan's own line said it. */
function outcomeLine(step: Step, outcome: { status: string; message: string }): string {
  const said =
    outcome.message === '' ||
    (outcome.status === 'blocked' && outcome.message === step.blocked) ||
    (outcome.status === 'deferred' && outcome.message === step.deferred);
  return `    outcome: ${outcome.status}${said ? '' : `: ${outcome.message}`}`;
}

function isDestructive(steps: readonly Step[]): boolean {
  return steps.some((step) => DESTRUCTIVE.has(step.kind));
}

/** One line naming an audience whose section was folded. */
function compactLine(
  id: string,
  steps: readonly Step[],
  clip: (text: string) => string,
  marks?: PlanMarks,
): string {
  return `- <code>${escapeInline(clip(id))}</code>: ${escapeInline(kindsOf(steps, marks))}`;
}

function audienceSection(
  id: string,
  steps: readonly Step[],
  clip: (text: string) => string,
  marks?: PlanMarks,
): string {
  const kinds = kindsOf(steps, marks);
  const body: string[] = [];
  for (const step of steps) {
    body.push(`${SYMBOLS[step.kind]} ${step.kind}: ${step.reason}`);
    for (const detail of stepDetails(step)) body.push(`    ${detail}`);
    if (step.blocked) body.push(`    blocked: ${step.blocked}`);
    if (step.deferred) body.push(`    deferred: ${step.deferred}`);
    const outcome = outcomeOf(step, marks);
    if (outcome) body.push(outcomeLine(step, outcome));
  }
  return [
    `<details><summary><code>${escapeHtml(clip(id))}</code>: ${escapeHtml(kinds)}</summary>`,
    '',
    '```diff',
    ...body.map((line) => clip(line).replaceAll('```', "'''")),
    '```',
    '</details>',
    '',
  ].join('\n');
}

/** Lists `items` under `header` while they fit their share; returns the lines and how many were left out. */
function listBlock(
  header: string[],
  items: readonly string[],
  footer: string[],
  budget: Budget,
): { lines: string[]; folded: number } {
  const share = new Budget(Math.min(budget.remaining, Math.floor(MARKDOWN_LIMIT * LIST_SHARE)));
  if (items.length === 0 || !share.take([...header, ...footer])) return { lines: [], folded: items.length };
  const shown: string[] = [];
  for (const item of items.slice(0, MAX_LISTED)) {
    if (!share.take([item])) break;
    shown.push(item);
  }
  const lines = [...header, ...shown, ...footer];
  budget.take(lines);
  return { lines, folded: items.length - shown.length };
}

/**
 * The interrupted calls apply settles first, deletes first, within their share of the document
 * (review 24, M2: listed whole, ~260 of them took the comment past GitHub's limit, and the
 * Action's fitting then cut away every delete step). The heading counts them all; those not
 * listed are counted in a line pointing to the JSON plan, which has them all.
 */
function pendingBlock(plan: Plan, budget: Budget, clip: (text: string) => string): string[] {
  const heading = pendingHeading(plan);
  if (!heading) return [];
  const lines = pendingLines(plan);
  const intents = plan.pending ?? [];
  const items = [
    ...lines.filter((_, index) => intents[index]?.kind === 'delete'),
    ...lines.filter((_, index) => intents[index]?.kind !== 'delete'),
  ].map((line) => `- ${clip(escapeInline(line))}`);
  const more = (count: number) =>
    `_${count} more pending interrupted call(s) not listed to stay under GitHub's comment limit; run the plan with \`--output json\` for all of them._`;
  const header = [`**${heading}**`, ''];
  // The heading and the count line are always shown (a few hundred characters, after a head of
  // a few clipped lines): room for them at their longest is taken first.
  const frame = cost([...header, more(items.length), '']);
  const share = new Budget(
    Math.max(frame, Math.min(budget.remaining, Math.floor(MARKDOWN_LIMIT * LIST_SHARE))),
  );
  share.take([...header, more(items.length), '']);
  const shown: string[] = [];
  for (const item of items) {
    if (!share.take([item])) break;
    shown.push(item);
  }
  const unlisted = items.length - shown.length;
  const block = [...header, ...shown, ...(unlisted > 0 ? [more(unlisted)] : []), ''];
  budget.hold(cost(block));
  return block;
}

function notes(folded: Folded): string[] {
  const lines: string[] = [];
  const fold = (count: number, what: string) =>
    `_${count} more ${what} folded to stay under GitHub's comment limit; run the plan with \`--output json\` for all of it._`;
  if (folded.audiences > 0) {
    const unnamed = folded.destructive - folded.named;
    const destructive =
      folded.destructive === 0
        ? 'None of them deletes, replaces or forgets an audience.'
        : `${folded.destructive} of them delete, replace or forget an audience: ` +
          (unnamed === 0
            ? 'listed by name above.'
            : `${folded.named} listed by name above, ${unnamed} not named.`);
    lines.push(`${fold(folded.audiences, 'audience(s)').slice(0, -1)} ${destructive}_`);
  }
  if (folded.held > 0) lines.push(fold(folded.held, 'held audience(s)'));
  if (folded.failedRuns > 0) lines.push(fold(folded.failedRuns, 'failed run(s)'));
  if (folded.runsInProgress > 0) lines.push(fold(folded.runsInProgress, 'run(s) in progress'));
  if (folded.diagnostics > 0) lines.push(fold(folded.diagnostics, 'diagnostic(s)'));
  if (folded.shortened > 0)
    lines.push(`_${folded.shortened} long line(s) shortened; the JSON plan has them whole._`);
  return lines.length > 0 ? [...lines, ''] : [];
}

/**
 * A pull-request comment: summary table, one collapsible section per audience, held
 * audiences and diagnostics. Whatever the plan holds, the document stays under
 * MARKDOWN_LIMIT: long lines are shortened, and what does not fit is folded and counted.
 */
export function renderMarkdown(
  given: Plan,
  options: { orgs?: PlanOrgs | undefined; marks?: PlanMarks | undefined } = {},
): string {
  // Every string of the plan shown escaped: a PR comment is reviewed like a terminal plan.
  const plan = escapeDeep(given);
  const marks = options.marks && escapeMarks(options.marks);
  const folded: Folded = {
    audiences: 0,
    destructive: 0,
    named: 0,
    held: 0,
    failedRuns: 0,
    runsInProgress: 0,
    diagnostics: 0,
    shortened: 0,
  };
  const clip = clipper(folded);
  const budget = new Budget(MARKDOWN_LIMIT - NOTE_RESERVE);
  const s = plan.summary;
  const head: string[] = ['### audiencectl plan', ''];
  if (isEmptyPlan(plan)) {
    const { lead, rest } = noStepsHeadline(plan);
    head.push(`**${lead}** ${rest}`, '');
  }
  // After the plan's own headline: /plan heads as `plan --output markdown` does.
  for (const { lead, rest } of marks?.headlines ?? [])
    head.push(clip(`**${escapeInline(lead)}** ${escapeInline(rest)}`), '');
  head.push(
    '| create | adopt | update | replace | delete | forget | run | move | blocked | deferred |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.create} | ${s.adopt} | ${s.update} | ${s.replace} | ${s.delete} | ${s.forget} | ${s.run} | ${s.move} | ${s.blocked} | ${s.deferred} |`,
    '',
  );
  const target = targetNote(options.orgs);
  if (target) head.push(clip(escapeInline(target)), '');
  for (const line of refreshNote(plan) ?? []) head.push(clip(escapeInline(line)), '');
  const scope = scopeNote(plan, (text) => `\`${text.replaceAll('`', "'")}\``);
  if (scope) head.push(clip(escapeCell(scope)), '');
  const others = otherRepositoriesNote(plan);
  if (others) head.push(clip(escapeInline(others)), '');
  const clock = clockNote(plan);
  if (clock) head.push(clip(escapeInline(clock)), '');
  const older = olderCheckoutNote(plan);
  if (older) head.push(clip(escapeInline(older)), '');
  budget.take(head);

  // Audiences that lose (or re-create) an audience come first, and room is set aside to at
  // least name them, before anything else is listed: what a long plan folds is updates,
  // creates and runs, never a delete.
  const groups = new Map<string, Step[]>();
  for (const step of plan.steps) {
    const id = `${step.sandbox}/${step.key}`;
    groups.set(id, [...(groups.get(id) ?? []), step]);
  }
  const ordered = [
    ...[...groups].filter(([, steps]) => isDestructive(steps)),
    ...[...groups].filter(([, steps]) => !isDestructive(steps)),
  ];
  const compactHeader = ['**Deleted, replaced or forgotten (details folded):**', ''];
  const estimate = clipper({ ...folded });
  const reserved = budget.hold(
    Math.min(
      Math.floor(MARKDOWN_LIMIT * LIST_SHARE),
      cost([...compactHeader, '']) +
        ordered
          .filter(([, steps]) => isDestructive(steps))
          .reduce((sum, [id, steps]) => sum + cost([compactLine(id, steps, estimate, marks)]), 0),
    ),
  );

  const pending = pendingBlock(plan, budget, clip);

  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  const diagnostics = listBlock(
    [`**Diagnostics:** ${errors} error(s), ${plan.diagnostics.length - errors} warning(s)`, '', '```'],
    plan.diagnostics.map((d) => clip(formatDiagnostic(d)).replaceAll('```', "'''")),
    ['```', ''],
    budget,
  );
  folded.diagnostics = diagnostics.folded;
  const held = listBlock(
    [`**Held (left alone): ${plan.held.length}**`, ''],
    plan.held.map(
      (h) => `- \`${clip(`${h.sandbox}/${h.key}`).replaceAll('`', "'")}\`: ${clip(escapeInline(h.reason))}`,
    ),
    [''],
    budget,
  );
  folded.held = held.folded;
  const failedHeading = failedRunsHeading(plan);
  const failed = listBlock(
    failedHeading ? [`**${failedHeading}**`, ''] : [],
    (plan.failedRuns ?? []).map((f) => `- ${clip(escapeInline(failedRunLine(f)))}`),
    [''],
    budget,
  );
  folded.failedRuns = failed.folded;
  const runningHeading = runsInProgressHeading(plan);
  const running = listBlock(
    runningHeading ? [`**${runningHeading}**`, ''] : [],
    (plan.runsInProgress ?? []).map((r) => `- ${clip(escapeInline(runInProgressLine(r)))}`),
    [''],
    budget,
  );
  folded.runsInProgress = running.folded;

  const sections: string[] = [];
  const unshown: string[] = [];
  for (const [id, steps] of ordered) {
    const section = folded.audiences > 0 ? undefined : audienceSection(id, steps, clip, marks);
    if (section !== undefined && budget.take([section])) {
      sections.push(section);
      continue;
    }
    folded.audiences += 1;
    if (isDestructive(steps)) {
      folded.destructive += 1;
      unshown.push(compactLine(id, steps, clip, marks));
    }
  }
  budget.release(reserved);
  const compact: string[] = [];
  if (unshown.length > 0 && budget.take([...compactHeader, ''])) {
    for (const line of unshown) {
      if (!budget.take([line])) break;
      compact.push(line);
    }
    folded.named = compact.length;
    compact.unshift(...compactHeader);
    compact.push('');
  }
  return [
    ...head,
    ...pending,
    ...sections,
    ...compact,
    ...notes(folded),
    ...failed.lines,
    ...running.lines,
    ...held.lines,
    ...diagnostics.lines,
  ].join('\n');
}

/** The marks' text escaped as the plan's is (a step's outcome quotes the service). */
function escapeMarks(marks: PlanMarks): PlanMarks {
  const headlines = escapeDeep(marks.headlines);
  if (!marks.steps) return { headlines };
  const of = new Map([...marks.steps.of].map(([id, outcome]) => [id, escapeDeep(outcome)]));
  return { headlines, steps: { of, unreached: marks.steps.unreached } };
}
