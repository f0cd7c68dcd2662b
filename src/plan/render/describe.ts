import { describeRunFailure } from '../../state/describe.js';
import type { FailedRun, FieldChange, Plan, RunInProgress, Step } from '../schema.js';
import { leftOutByFilters } from '../filter-words.js';

/** Shared wording of the renderers, so text and Markdown never disagree. */
export const SYMBOLS: Record<Step['kind'], string> = {
  create: '+',
  adopt: '<=',
  update: '~',
  replace: '-/+',
  delete: '-',
  forget: '-',
  run: '>',
  move: '!',
};

/**
 * JSON of a value the renderers already escaped (`escapeDeep`): its `\u202E` escapes are
 * shown once, not with the backslash JSON would double.
 */
function quote(value: unknown): string {
  return JSON.stringify(value).replaceAll('\\\\u', '\\u');
}

/**
 * A word of the plan's own syntax: no blank at either end or two in a row, none of `,()[]"`.
 * Shown bare; any other name, tag or label is shown quoted, so that a value cannot read as the
 * line around it: a tag `gold, silver` read as two tags, a field `tier), ssn (string` as a field
 * `ssn` (review secrets-42, L-4).
 */
const PLAIN_WORD = /^[^\s,()[\]"]+(?: [^\s,()[\]"]+)*$/;

/** `text` bare when it is a plain word, else quoted. */
function word(text: string): string {
  return PLAIN_WORD.test(text) ? text : quote(text);
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return `[${value.map(word).join(', ')}]`;
  return quote(value);
}

export function describeChange(change: FieldChange): string {
  // `before` is what was recorded; the service may hold what the interrupted PATCH sent.
  if (change.unknownSince !== undefined)
    return `~ ${change.path}: (unknown) -> ${formatValue(change.after)}  # the service's value is unknown since an interrupted PATCH at ${change.unknownSince}`;
  let note = '';
  if (change.forcesReplacement) note = '  # forces replacement';
  else if (change.outside) note = '  # changed outside audiencectl';
  if (change.before === undefined) return `+ ${change.path}: ${formatValue(change.after)}${note}`;
  if (change.after === undefined) return `- ${change.path}: ${formatValue(change.before)}${note}`;
  return `~ ${change.path}: ${formatValue(change.before)} -> ${formatValue(change.after)}${note}`;
}

/** The lines shown under a create: what the new audience will be. */
export function describeCreate(step: Step): string[] {
  const spec = step.target?.spec;
  if (!spec) return [];
  // Fields as written (identity namespaces in the author's case), in the normalised order.
  const written = new Map(step.create?.fields.map((f) => [f.name, f]));
  const fields = spec.fields
    .map((f) => {
      const identity = written.get(f.name)?.identityNs ?? f.identityNs;
      return `${word(f.name)} (${f.type}${identity ? `, identity ${word(identity)}` : ''})`;
    })
    .join(', ');
  const source = spec.sourceSpec;
  return [
    `name: ${quote(spec.name)}`,
    ...(spec.description ? [`description: ${quote(spec.description)}`] : []),
    `fields: ${fields}`,
    `source: ${source.type} ${word(source.path)}${source.cloudType ? ` (${source.cloudType})` : ''}`,
    `ttlInDays: ${spec.ttlInDays}`,
    ...(spec.labels.length ? [`labels: ${formatValue(spec.labels)}`] : []),
    ...(spec.tags.length ? [`tags: ${formatValue(spec.tags)}`] : []),
  ];
}

export function stepDetails(step: Step): string[] {
  if (step.kind === 'create') return describeCreate(step);
  if (step.kind === 'run' && step.run) {
    const after = step.run.fromLastSuccess ? ', then starts where it ends if it succeeds' : '';
    const waits = step.run.waitsForRunId
      ? `; waits for run ${step.run.waitsForRunId} in progress${after}`
      : '';
    // A pull-request plan knows no run: the apply decides where a run from the last success starts.
    if (step.run.fromLastSuccess && !step.run.waitsForRunId)
      return [
        "dataFilterStartTime: the end of the audience's last successful run, read at the apply (0 if it has none)",
      ];
    return [`dataFilterStartTime: ${step.run.dataFilterStartTime}${waits}`];
  }
  return step.changes.map(describeChange);
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return (
    `Plan: ${s.create} to create, ${s.adopt > 0 ? `${s.adopt} to adopt, ` : ''}${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ` +
    `${s.forget} to forget, ${s.run} run(s) to start` +
    `${s.move > 0 ? `, ${s.move} to move (never applied)` : ''}; ${s.blocked} blocked, ${s.deferred} deferred.`
  );
}

/**
 * The records of other repositories sharing the store that the plan left alone, or undefined
 * when there are none (the plan knows no repository of its own, or the store holds only its).
 */
export function otherRepositoriesNote(plan: Plan): string | undefined {
  const others = plan.otherRepositories;
  if (!others) return undefined;
  const total = others.recorded.reduce((sum, o) => sum + o.count, 0);
  const names = others.recorded.map((o) =>
    others.recorded.length === 1 ? o.repository : `${o.repository} (${o.count})`,
  );
  const which = names.length === 1 ? names[0] : `one of them`;
  return `Other repositories: ${total} recorded audience(s) applied from ${names.join(', ')}, whose manifests this plan, of ${others.planned}, does not read; left alone, never deleted here: a plan in a clone of their repository deletes them when their manifest is removed there. If ${others.planned} is ${which} renamed, restore a removed manifest here and apply (its record then names ${others.planned}), then remove it again.`;
}

/**
 * What a filtered plan leaves out, or undefined when it leaves out no record (no filters,
 * or filters that cover every record: a count of 0 says nothing; the JSON keeps it).
 */
export function scopeNote(plan: Plan, code: (text: string) => string = (text) => text): string | undefined {
  const scope = plan.scope;
  if (!scope || scope.outside === 0) return undefined;
  const where = leftOutByFilters(scope.include, scope.exclude, code);
  return `Out of scope: ${scope.outside} recorded audience(s) whose manifest file is ${where} (or not recorded); left alone, never deleted.`;
}

/** What a refresh read and found, and what it cannot see; undefined without --refresh. */
export function refreshNote(plan: Plan): string[] | undefined {
  const refresh = plan.refresh;
  if (!refresh) return undefined;
  const count = (kind: string) => refresh.drifted.filter((d) => d.kind === kind).length;
  return [
    `Refreshed ${refresh.read} recorded audience(s) from AEP at ${refresh.at}: ${count('deleted')} deleted, ` +
      `${count('changed')} changed, ${count('renamed')} renamed, ${count('deactivated')} deactivated outside audiencectl.`,
    `Not compared (the Audiences API does not show them): ${refresh.unseen.join(', ')}.`,
  ];
}

/** The plan's word on the local clock against AEP's (plan/clock.ts), when it is off. */
export function clockNote(plan: Plan): string | undefined {
  return plan.clock ? `Clock: ${plan.clock.note}.` : undefined;
}

/** A warning: apply would refuse this plan, made from a checkout older than what was applied. */
export function olderCheckoutNote(plan: Plan): string | undefined {
  return plan.olderCheckout ? `Warning: ${plan.olderCheckout.note}.` : undefined;
}

/** The warning of filters that select no file of the directory (src/manifest/read-dir.ts). */
const NOTHING_SELECTED = 'source/include-matched-nothing';

export function isEmptyPlan(plan: Plan): boolean {
  return plan.steps.length === 0;
}

/**
 * What a plan without steps says first: "No changes" only when it has no error, and that the
 * audiences match the manifests only when none is held. With
 * errors it is no clean plan (the files with errors, or the base files it could not read,
 * may hide changes), and saying "No changes" above them read as a green plan.
 */
export function noStepsHeadline(plan: Plan): { clean: boolean; lead: string; rest: string } {
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  const pending = plan.pending?.length ?? 0;
  // Apply's own plan, made after it tried to settle them: those left are ones it could not.
  if (errors === 0 && pending > 0 && plan.afterResume) {
    return {
      clean: false,
      lead: `No steps planned, but ${pending === 1 ? '1 interrupted call' : `${pending} interrupted calls`} could not be settled by this apply;`,
      rest: `${pending === 1 ? 'it is' : 'they are'} kept for the next apply (see "Not settled").`,
    };
  }
  if (errors === 0 && pending > 0) {
    return {
      clean: false,
      lead: `No steps planned, but ${pending === 1 ? '1 interrupted call is' : `${pending} interrupted calls are`} settled first by apply,`,
      rest: 'which may change what it does (see "Pending").',
    };
  }
  // Filters that select no file (read-dir.ts's warning): nothing was compared, so nothing
  // is said to match. Still no change and no error: exit 0, as documented.
  if (errors === 0 && plan.diagnostics.some((d) => d.rule === NOTHING_SELECTED))
    return { clean: true, lead: 'No changes:', rest: 'no manifest was read (the filters select no file).' };
  // Held records were compared with nothing: a plan of the wrong directory (no manifest of
  // theirs read) would say they match, and a CI check read it as green (review-36a M-1).
  const held = plan.held.length;
  if (errors === 0 && held > 0) {
    return {
      clean: false,
      lead: 'No changes planned,',
      rest: `but ${held === 1 ? '1 recorded audience is' : `${held} recorded audiences are`} held (left alone), not compared with any manifest read here (see "Held").`,
    };
  }
  if (errors === 0) return { clean: true, lead: 'No changes.', rest: 'The audiences match the manifests.' };
  return {
    clean: false,
    lead: `No steps planned, but the plan has ${errors} error(s).`,
    rest: 'They are listed under Diagnostics; until they are fixed, what they hide is not planned.',
  };
}

/** The heading of the audiences whose last run failed. */
export function failedRunsHeading(plan: Plan): string | undefined {
  const count = plan.failedRuns?.length ?? 0;
  return count > 0 ? `Last run failed: ${count}` : undefined;
}

/** `prod/gold: run <id> FAILED: <reason>; change ingestion.request to start a new run`. */
export function failedRunLine(failed: FailedRun): string {
  return `${failed.sandbox}/${failed.key}: ${describeRunFailure(failed)}`;
}

/** The heading of the audiences whose run left in progress has not ended (or was not read). */
export function runsInProgressHeading(plan: Plan): string | undefined {
  const count = plan.runsInProgress?.length ?? 0;
  return count > 0 ? `Runs in progress: ${count}` : undefined;
}

/** `prod/gold: run <id> PROCESSING; no run of this audience starts until it has ended`. */
export function runInProgressLine(run: RunInProgress): string {
  const head = `${run.sandbox}/${run.key}: run ${run.runId}`;
  if (run.unread !== undefined)
    return `${head} (recorded ${run.status}): its status could not be read (${run.unread}); no run of this audience starts until it is`;
  return `${head} ${run.status}; no run of this audience starts until it has ended`;
}
