import path from 'node:path';
import { LineCounter, parseAllDocuments, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { RefusedFileError, readRegularTextSync } from '../files/read-regular.js';
import { isPlausibleName } from './plausible.js';
import { ConfigFile, SandboxName } from './schema.js';
import { readEnv } from './env.js';
import {
  aliasBombMessage,
  isEmptyDocument,
  isMisreadWarning,
  yamlErrorMessage,
  yamlHazards,
} from '../text/yaml-hazards.js';
import type { ConfigProblem } from './types.js';
import { invalid, problemLines } from './problem-lines.js';

export { invalid, problemLines };

// The configuration file read and validated, without resolving credentials: what every
// command given the file checks (plan and the state commands load no HTTP client for it).

/** The environment, usually process.env. */
type Env = Readonly<Record<string, string | undefined>>;

/** The position of a dotted key in the file, for problems found after validation. */
export type Locate = (key: string) => { line: number; column: number } | undefined;

type Parsed = { ok: true; data: ConfigFile; locate: Locate } | { ok: false; problems: ConfigProblem[] };

/** Validates the text of a config file (YAML or JSON) with positions; pure. */
export function parseConfigText(text: string): Parsed {
  const lineCounter = new LineCounter();
  // logLevel 'error': the library's warnings (a collection used as a key) go to stderr with
  // the key's text, around our own problem list; a key of this file may be a secret.
  const options = { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' } as const;
  const stream = parseAllDocuments(text, options);
  const documents = 'empty' in stream ? [] : stream;
  // A document with no content (a trailing `---`, common in copied snippets) is nothing, as
  // in manifests; a file of two documents with keys is refused (which one would be meant?).
  const filled = documents.filter((document) => document.errors.length > 0 || !isEmptyDocument(document));
  if (filled.length > 1) {
    const { line, col } = lineCounter.linePos(filled[1]!.range[0]);
    const message = `a configuration file holds one YAML document; this one has ${filled.length}: merge them into one`;
    return { ok: false, problems: [{ key: '(syntax)', message, line, column: col }] };
  }
  const doc = filled[0] ?? documents[0] ?? parseDocument(text, options);
  // Each message says what is wrong and the fix, never the text read (it may be a secret).
  const misread = [...doc.errors, ...doc.warnings.filter(isMisreadWarning)];
  if (misread.length > 0) {
    return {
      ok: false,
      problems: misread
        .sort((a, b) => a.pos[0] - b.pos[0])
        .map((error) => {
          const { line, col } = lineCounter.linePos(error.pos[0]);
          return { key: '(syntax)', message: yamlErrorMessage(error), line, column: col };
        }),
    };
  }
  // An alias to no anchor (toJS would throw, quoting it), an anchor with no value, a merge key.
  const { hazards, firstAlias } = yamlHazards(doc, text);
  if (hazards.length > 0) {
    return {
      ok: false,
      problems: hazards.map(({ offset, path, message }) => hazardProblem(offset, path, message, lineCounter)),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch {
    // Only an alias bomb is left to throw (aliases to no anchor were found above).
    const { offset, path } = firstAlias ?? { offset: 0, path: [] };
    return {
      ok: false,
      problems: [hazardProblem(offset, path, aliasBombMessage(MAX_ALIAS_COUNT), lineCounter)],
    };
  }
  const result = ConfigFile.safeParse(raw);
  if (result.success) {
    return {
      ok: true,
      data: result.data,
      locate: (key) => positionOf(doc, key.split('.'), false, lineCounter),
    };
  }
  const problems = result.error.issues.map((issue) => problemOf(issue, doc, lineCounter));
  return {
    ok: false,
    problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
  };
}

/** Aliases a configuration file may expand; more is refused as an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** A key of the file as a problem shows it: a name, a sandbox or an index; else not shown. */
function shownKey(key: string | number): string {
  if (typeof key === 'number') return String(key);
  return isPlausibleName(key) || SandboxName.safeParse(key).success ? key : '(not shown)';
}

function hazardProblem(
  offset: number,
  path: Array<string | number>,
  message: string,
  lineCounter: LineCounter,
): ConfigProblem {
  const { line, col } = lineCounter.linePos(offset);
  return { key: path.map(shownKey).join('.') || '(top level)', message, line, column: col };
}

/**
 * `unknown key "sandboxs"`; a key that could be a secret is counted, not named:
 * `1 unknown key (its name is not shown: it may hold a secret)`,
 * `unknown keys "a" and 2 more (their names are not shown: they may hold a secret)`.
 */
function unknownKeys(names: string[], hidden: number): string {
  const why =
    hidden === 1
      ? '(its name is not shown: it may hold a secret)'
      : '(their names are not shown: they may hold a secret)';
  if (names.length === 0) return `${hidden} unknown key${hidden === 1 ? '' : 's'} ${why}`;
  const shown = `unknown key${names.length + hidden > 1 ? 's' : ''} ${names.join(', ')}`;
  return hidden === 0 ? shown : `${shown} and ${hidden} more ${why}`;
}

function problemOf(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): ConfigProblem {
  const fullPath = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.filter(isPlausibleName).map((key) => `"${key}"`);
    message = unknownKeys(names, issue.keys.length - names.length);
  } else if (issue.code === 'invalid_key') {
    const name = fullPath.at(-1) ?? '';
    const reason = issue.issues[0]?.message ?? issue.message;
    // An invalid name that could be a secret written as a key is not repeated.
    message = isPlausibleName(name)
      ? `invalid name "${name}": ${reason}`
      : `invalid name (not shown): ${reason}`;
  }
  const shown = fullPath.map(shownKey);
  const problem: ConfigProblem = { key: shown.join('.') || '(top level)', message };
  const lookup = issue.code === 'unrecognized_keys' ? [...fullPath, issue.keys[0] ?? ''] : fullPath;
  const position = positionOf(
    doc,
    lookup,
    issue.code === 'unrecognized_keys' || issue.code === 'invalid_key',
    lineCounter,
  );
  return position ? { ...problem, ...position } : problem;
}

/** Where the value (or, for key problems, the key) at `keys` starts. */
function positionOf(doc: Document, keys: string[], atKey: boolean, lineCounter: LineCounter) {
  const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
  let offset: number | undefined;
  if (atKey && parent && typeof parent === 'object' && 'items' in parent && Array.isArray(parent.items)) {
    const pair = (parent.items as Array<{ key?: unknown }>).find(
      (item) => isNode(item.key) && String(item.key.toJSON()) === keys.at(-1),
    );
    if (pair && isNode(pair.key)) offset = pair.key.range?.[0];
  }
  if (offset === undefined) {
    const node: unknown = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    offset = isNode(node) ? node.range?.[0] : undefined;
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Why a configuration file cannot be read: `(ENOENT)`, or `: it is a named pipe (FIFO),
 * not a regular file` (read without blocking: a FIFO or /dev/zero hung the command).
 */
function unreadableReason(error: unknown): string {
  if (error instanceof RefusedFileError) return `: ${error.reason}`;
  return ` (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
}

type ReadFile =
  | { ok: true; file: { path: string; data: ConfigFile }; locate: Locate }
  | { ok: false; lines: string[]; error: UsageError };

/**
 * Reads and validates the configuration file `name`, with no credentials resolved. On
 * failure, every problem of the file, then those of the environment's AEP_* variables
 * (one pass reports both), as lines and as the error to throw.
 */
export function readConfigFile(name: string, env: Env): ReadFile {
  const filePath = path.resolve(name);
  const envLines = () => problemLines(undefined, readEnv(env).problems);
  let text: string;
  try {
    text = readRegularTextSync(filePath);
  } catch (error) {
    const reason = unreadableReason(error);
    const others = envLines();
    const message = `Cannot read the configuration file ${name}${reason}.`;
    return {
      ok: false,
      lines: [`${name}: cannot read the configuration file${reason}`, ...others],
      error: new UsageError(
        'CONFIG_UNREADABLE',
        others.length === 0 ? message : `${message}\n${others.map((line) => `  ${line}`).join('\n')}`,
      ),
    };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) {
    const lines = [...problemLines(name, parsed.problems), ...envLines()];
    return { ok: false, lines, error: invalid(name, lines) };
  }
  return { ok: true, file: { path: filePath, data: parsed.data }, locate: parsed.locate };
}

/**
 * The problems of the configuration file itself (unreadable, not YAML, a key or value the
 * schema refuses), as apply reports them, for a command that reads the file only in part
 * (plan without --refresh, the state commands): it refuses the file apply would refuse.
 * No credential is resolved: an unset variable a clientSecretEnv names is no file error.
 */
export function checkConfigFile(
  name: string,
  env: Env,
): { ok: true } | { ok: false; lines: string[]; error: UsageError } {
  const read = readConfigFile(name, env);
  return read.ok ? { ok: true } : read;
}

/**
 * The validated keys of a configuration file, credentials left unresolved. Throws a
 * UsageError, naming the file and place, when it cannot be read or is invalid.
 */
function configFileData(configFile: string): ConfigFile {
  let text: string;
  try {
    text = readRegularTextSync(configFile);
  } catch (error) {
    const reason = unreadableReason(error);
    throw new UsageError('CONFIG_UNREADABLE', `Cannot read the configuration file ${configFile}${reason}.`);
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw invalid(configFile, problemLines(configFile, parsed.problems));
  return parsed.data;
}

/**
 * The `defaultSandbox` of a configuration file, undefined when it sets none: read without
 * its credentials, for the commands that read manifests without connecting (plan, validate).
 * Throws as stateOfConfigFile does (no sandbox is guessed from a broken file).
 */
export function defaultSandboxOfConfigFile(configFile: string): string | undefined {
  return configFileData(configFile).defaultSandbox;
}

/**
 * The keys a configuration file sets, validated as every reader validates it (a broken file
 * throws as stateOfConfigFile does): what `--emulator` would ignore (cli/emulator-config.ts).
 */
export function configFileKeys(configFile: string): string[] {
  return Object.keys(configFileData(configFile));
}

/**
 * The `state:` of a configuration file, a directory resolved against the file's own
 * directory; undefined when the file sets none. Throws a UsageError, naming the file and
 * place, when the file cannot be read or is invalid (no state is guessed from a broken file).
 */
export function stateOfConfigFile(configFile: string): string | undefined {
  const state = configFileData(configFile).state;
  if (state === undefined || /^postgres(ql)?:\/\//i.test(state)) return state;
  return path.resolve(path.dirname(path.resolve(configFile)), state);
}
