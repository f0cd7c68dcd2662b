import { compareDiagnostics, formatDiagnostic, type Diagnostic, type Note } from '../manifest/diagnostics.js';
import { escapeJsonText, escapeText } from '../text/safe-text.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';
export const DIAGNOSTIC_FORMATS: readonly DiagnosticFormat[] = ['text', 'json', 'github'];

/** One diagnostic as `validate --output json` prints it; line and col are 0 for a whole file. */
export type JsonDiagnostic = {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning' | 'note';
  code: string;
  message: string;
};

export function toJson(d: Diagnostic | Note): JsonDiagnostic {
  return {
    file: d.file,
    line: d.line,
    col: d.column,
    severity: d.severity,
    code: d.rule,
    message: d.message,
  };
}

/** GitHub's escaping of a workflow command's message (`%`, CR, LF). */
function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** ... and of a property value, where `:` and `,` separate too. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

const COMMAND = { error: 'error', warning: 'warning', note: 'notice' } as const;

/**
 * `::error file=a.yaml,line=3,col=5,title=schema/unknown-key::message`, a GitHub Actions
 * annotation. Manifest text in it is made visible first (`escapeText`), as in the text format.
 */
export function githubAnnotation(d: Diagnostic | Note): string {
  const properties = [`file=${escapeProperty(escapeText(d.file))}`];
  if (d.line > 0) properties.push(`line=${d.line}`, `col=${d.column}`);
  properties.push(`title=${escapeProperty(d.rule)}`);
  return `::${COMMAND[d.severity]} ${properties.join(',')}::${escapeData(escapeText(d.message))}`;
}

/** Every diagnostic and note in one order (file, line, column), in the format asked for. */
export function renderDiagnostics(
  items: ReadonlyArray<Diagnostic | Note>,
  format: DiagnosticFormat,
  summary: string,
): string {
  const sorted = [...items].sort(compareDiagnostics);
  if (format === 'json') return `${escapeJsonText(JSON.stringify(sorted.map(toJson), null, 2))}\n`;
  const lines = sorted.map(format === 'github' ? githubAnnotation : formatDiagnostic);
  return `${[...lines, summary].join('\n')}\n`;
}
