import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { BLANK_AROUND, readDuration, type DurationUnit } from '../config/duration.js';
import { quoted } from '../text/safe-text.js';
import { redactText } from '../text/secrets.js';

/**
 * Options whose value is a duration, a count or a boolean. Commander keeps them as the
 * text given (flag, environment variable or default); `readTypedOptions` converts them all
 * before the command's action runs, so every problem is reported at once, each naming
 * the flag or the environment variable it came from.
 */
type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

type Kind =
  | { kind: 'duration'; unit: DurationUnit; positive: boolean }
  | { kind: 'count'; zero: boolean; max: number }
  | { kind: 'bool' }
  | { kind: 'number'; read: (text: string) => Checked<number> }
  | { kind: 'text'; check: (text: string, source: string | undefined) => Checked<string> };

const kinds = new WeakMap<Option, Kind>();

/** A duration option (`30s`, `5m`, `1h30m`; a plain number is in `unit`); its value becomes milliseconds. */
export function durationOption(
  flags: string,
  description: string,
  unit: DurationUnit,
  options: { positive?: boolean } = {},
): Option {
  const option = new Option(flags, description);
  kinds.set(option, { kind: 'duration', unit, positive: options.positive ?? false });
  return option;
}

/** A whole-number option; 0 only where it means something (`zero: true`); at most `max`. */
export function countOption(
  flags: string,
  description: string,
  options: { zero?: boolean; max?: number } = {},
): Option {
  const option = new Option(flags, description);
  kinds.set(option, {
    kind: 'count',
    zero: options.zero ?? false,
    max: options.max ?? Number.MAX_SAFE_INTEGER,
  });
  return option;
}

/**
 * A number option of its own spelling (a probability, a rate, a signed offset), read by `read`
 * and checked with the other options, its problem naming the flag.
 */
export function numberOption(
  flags: string,
  description: string,
  read: (text: string) => Checked<number>,
): Option {
  const option = new Option(flags, description);
  kinds.set(option, { kind: 'number', read });
  return option;
}

/**
 * `text` has a blank or a line break around it: quoted wrongly, or read from a file with its
 * newline. Such a number or duration is refused, not trimmed (BLANK_AROUND).
 */
export function blankAround(text: string): boolean {
  return text !== text.trim() && text.trim() !== '';
}

/** `--flag [bool]`: absent is false, `--flag` is true, `--flag false` and `VAR=false` are false. */
export function boolOption(flags: string, description: string): Option {
  const option = new Option(`${flags} [bool]`, description).preset('true').default(false);
  kinds.set(option, { kind: 'bool' });
  return option;
}

/** A text option checked with the others (a sandbox name, say): `check` returns the value to keep. */
export function checkedOption(
  flags: string,
  description: string,
  check: (text: string, source: string | undefined) => Checked<string>,
): Option {
  const option = new Option(flags, description);
  kinds.set(option, { kind: 'text', check });
  return option;
}

/**
 * One of `choices`, checked with the other options (commander's own `.choices()` stops at the
 * first bad flag); help still lists the choices.
 */
export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  const option = checkedOption(flags, description, (text) =>
    choices.includes(text)
      ? { ok: true, value: text }
      : // Typed before any secret is registered: a URL's password pasted here is not shown.
        { ok: false, message: `${quoted(redactText(text))} is not one of ${choices.join(', ')}` },
  );
  // Shown by --help; the check above is what refuses.
  option.argChoices = [...choices];
  return option;
}

/** Environment variables of options, by long flag (`--max-deletes`: AUDIENCECTL_MAX_DELETES). */
export type EnvNames = Readonly<Record<string, string>>;

/**
 * `option` with its environment variable from `env`, if it has one. Given before the
 * option is added: commander listens for an option's variable only if it has one then.
 */
export function withEnv(option: Option, env: EnvNames): Option {
  const name = option.long === undefined ? undefined : env[option.long];
  return name === undefined ? option : option.env(name);
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

/** `true`/`false` (also 1/0, yes/no, on/off), as flags and environment variables give them. */
export function readBoolean(text: string): { ok: true; value: boolean } | { ok: false; message: string } {
  const value = text.trim().toLowerCase();
  if (TRUE.has(value)) return { ok: true, value: true };
  if (FALSE.has(value)) return { ok: true, value: false };
  return { ok: false, message: `${quoted(text)} is not true or false` };
}

function countWanted(zero: boolean, max: number): string {
  if (max < Number.MAX_SAFE_INTEGER) return `a whole number from ${zero ? 0 : 1} to ${max}`;
  return zero ? 'a whole number (0 or more)' : 'a positive whole number';
}

export function readCount(
  text: string,
  zero: boolean,
  max = Number.MAX_SAFE_INTEGER,
): { ok: true; value: number } | { ok: false; message: string } {
  if (blankAround(text)) return { ok: false, message: `${quoted(text)} ${BLANK_AROUND}` };
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max || (!zero && value === 0)) {
    return { ok: false, message: `${quoted(text)} is not ${countWanted(zero, max)}` };
  }
  return { ok: true, value };
}

function convert(kind: Kind, text: string, source: string | undefined): Checked<number | boolean | string> {
  if (kind.kind === 'text') return kind.check(text, source);
  if (kind.kind === 'duration') {
    const result = readDuration(text, kind.unit, kind.positive);
    return result.ok ? { ok: true, value: result.ms } : result;
  }
  if (kind.kind === 'count') return readCount(text, kind.zero, kind.max);
  if (kind.kind === 'number') return kind.read(text);
  return readBoolean(text);
}

const emptyAllowed = new WeakSet<Option>();

/** An option whose empty value means something (`--path ''`: the repository's top). */
export function allowEmpty(option: Option): Option {
  emptyAllowed.add(option);
  return option;
}

const EMPTY = 'the value is empty (an unset shell variable?)';

/** An empty text, or a list (a repeatable flag) holding one. */
function isEmpty(value: unknown): boolean {
  return value === '' || (Array.isArray(value) && value.includes(''));
}

/** Arguments given empty (`apply "$PLAN"` with PLAN unset): named as such, not as a missing path. */
function emptyArgumentProblems(command: Command): string[] {
  return command.registeredArguments
    .filter((argument, index) => isEmpty(command.processedArgs[index]))
    .map((argument) => `<${argument.name()}>: ${EMPTY}`);
}

const givenTexts = new WeakMap<Option, string>();

/** What a converted option was given as (`10m`, not 600000), for a message that quotes it. */
export function givenText(option: Option): string | undefined {
  return givenTexts.get(option);
}

/** Problems of the typed options of `command`, each naming where the value came from. */
export function typedOptionProblems(command: Command): string[] {
  const problems: string[] = [];
  for (const option of command.options) {
    const kind = kinds.get(option);
    const key = option.attributeName();
    const value: unknown = command.getOptionValue(key);
    const source = command.getOptionValueSource(key);
    // Given on the command line, an empty value is a mistake: commander keeps it, and
    // `--out ""` wrote nowhere, `--include ""` failed inside the glob matcher. An empty
    // environment variable is how a deployment leaves a setting unset: each option reads
    // those itself.
    if (source === 'cli' && isEmpty(value) && kind?.kind !== 'bool' && !emptyAllowed.has(option)) {
      // What to give instead: `<file>` from `--out <file>`.
      problems.push(
        `${option.long ?? key}: ${EMPTY}; give ${/<[^>]+>/.exec(option.flags)?.[0] ?? 'a value'}`,
      );
      continue;
    }
    if (!kind || typeof value !== 'string') continue;
    const result = convert(kind, value, source);
    if (result.ok) {
      command.setOptionValueWithSource(key, result.value, source);
      givenTexts.set(option, value);
    } else {
      const name = source === 'env' && option.envVar ? option.envVar : (option.long ?? key);
      problems.push(`${name}: ${result.message}`);
    }
  }
  return problems;
}

const checks = new WeakMap<Command, ((command: Command) => string[])[]>();

/**
 * Adds a check of what commander cannot check itself (an environment variable a command
 * reads on its own), so its problems are reported with the options', in one pass.
 */
export function addProblemCheck(command: Command, check: (command: Command) => string[]): Command {
  checks.set(command, [...(checks.get(command) ?? []), check]);
  return command;
}

/** Problems of the typed options of `command` and of its own checks. */
export function commandProblems(command: Command): string[] {
  return [
    ...emptyArgumentProblems(command),
    ...typedOptionProblems(command),
    ...(checks.get(command) ?? []).flatMap((check) => check(command)),
  ];
}

/** `problems`, and those of `more` whose flag or variable is not named yet. */
export function withOthers(problems: readonly string[], more: readonly string[]): string[] {
  const named = new Set(problems.map((problem) => problem.split(':')[0]));
  return [...problems, ...more.filter((problem) => !named.has(problem.split(':')[0]))];
}

/** Throws one UsageError listing every problem, if there is any. */
export function reportProblems(problems: readonly string[]): void {
  if (problems.length === 1) throw new UsageError('BAD_FLAG', problems[0] ?? '');
  if (problems.length > 1)
    throw new UsageError('BAD_FLAG', `${problems.length} problems:\n  ${problems.join('\n  ')}`);
}
