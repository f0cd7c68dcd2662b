import { formatDiagnostic } from '../../manifest/diagnostics.js';
import type { Plan, Step } from '../schema.js';
import { isEmptyPlan, scopeNote, stepDetails, SYMBOLS } from './describe.js';

/** GitHub refuses comments over 65,536 characters; keep a margin. */
export const MARKDOWN_LIMIT = 65_000;
const MAX_DIAGNOSTICS = 50;

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function audienceSection(id: string, steps: readonly Step[]): string {
  const kinds = steps.map((s) => `${SYMBOLS[s.kind]} ${s.kind}${s.blocked ? ' (blocked)' : ''}`).join(', ');
  const body: string[] = [];
  for (const step of steps) {
    body.push(`${SYMBOLS[step.kind]} ${step.kind}: ${step.reason}`);
    for (const detail of stepDetails(step)) body.push(`    ${detail}`);
    if (step.blocked) body.push(`    blocked: ${step.blocked}`);
    if (step.deferred) body.push(`    deferred: ${step.deferred}`);
  }
  return [
    `<details><summary><code>${escapeHtml(id)}</code>: ${escapeHtml(kinds)}</summary>`,
    '',
    '```diff',
    ...body.map((line) => line.replaceAll('```', "'''")),
    '```',
    '</details>',
    '',
  ].join('\n');
}

/** A pull-request comment: summary table, one collapsible section per audience, diagnostics. */
export function renderMarkdown(plan: Plan): string {
  const s = plan.summary;
  const head: string[] = ['### audiencectl plan', ''];
  if (isEmptyPlan(plan)) head.push('**No changes.** The audiences match the manifests.', '');
  head.push(
    '| create | update | replace | delete | forget | run | move | blocked | deferred |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.create} | ${s.update} | ${s.replace} | ${s.delete} | ${s.forget} | ${s.run} | ${s.move} | ${s.blocked} | ${s.deferred} |`,
    '',
  );
  const scope = scopeNote(plan, (text) => `\`${text.replaceAll('`', "'")}\``);
  if (scope) head.push(escapeCell(scope), '');

  const tail: string[] = [];
  if (plan.held.length > 0) {
    tail.push(`**Held (left alone): ${plan.held.length}**`, '');
    for (const held of plan.held.slice(0, MAX_DIAGNOSTICS)) {
      tail.push(`- \`${held.sandbox}/${held.key}\`: ${escapeCell(held.reason)}`);
    }
    if (plan.held.length > MAX_DIAGNOSTICS) tail.push(`- … and ${plan.held.length - MAX_DIAGNOSTICS} more`);
    tail.push('');
  }
  if (plan.diagnostics.length > 0) {
    const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
    tail.push(
      `**Diagnostics:** ${errors} error(s), ${plan.diagnostics.length - errors} warning(s)`,
      '',
      '```',
    );
    for (const d of plan.diagnostics.slice(0, MAX_DIAGNOSTICS))
      tail.push(formatDiagnostic(d).replaceAll('```', "'''"));
    if (plan.diagnostics.length > MAX_DIAGNOSTICS)
      tail.push(`… and ${plan.diagnostics.length - MAX_DIAGNOSTICS} more`);
    tail.push('```', '');
  }

  const groups = new Map<string, Step[]>();
  for (const step of plan.steps) {
    const id = `${step.sandbox}/${step.key}`;
    groups.set(id, [...(groups.get(id) ?? []), step]);
  }
  const headText = head.join('\n');
  const tailText = tail.join('\n');
  const reserve = 200; // room for the folding note
  let used = headText.length + tailText.length + reserve;
  const sections: string[] = [];
  let folded = 0;
  for (const [id, steps] of groups) {
    const section = audienceSection(id, steps);
    if (folded > 0 || used + section.length > MARKDOWN_LIMIT) {
      folded += 1;
      continue;
    }
    sections.push(section);
    used += section.length;
  }
  const note =
    folded > 0
      ? [
          `_${folded} more audience(s) folded to stay under GitHub's comment limit; run the plan with \`--output json\` for all of it._`,
          '',
        ]
      : [];
  return [headText, ...sections, ...note, tailText].join('\n');
}
