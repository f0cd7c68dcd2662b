import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { RefusedFileError, readRegularTextSync } from '../files/read-regular.js';
import { registerSecret } from '../text/secrets.js';
import { MAX_SECRET_FILE_BYTES } from './file-secrets.js';
import { isPlausibleName } from './plausible.js';
import { ConfigFile, SandboxName } from './schema.js';
import { readEnv } from './env.js';
import { resolveAepConfig } from './resolve.js';
import type { AepConfig, ConfigProblem } from './types.js';

export type LoadAepConfigOptions = {
  /** `--config <file>`: YAML or JSON. Optional: the environment alone is enough. */
  configFile?: string | undefined;
  /** Usually process.env. */
  env: Readonly<Record<string, string | undefined>>;
};

/** The position of a dotted key in the file, for problems found after validation. */
export type Locate = (key: string) => { line: number; column: number } | undefined;

type Parsed = { ok: true; data: ConfigFile; locate: Locate } | { ok: false; problems: ConfigProblem[] };

/** Validates the text of a config file (YAML or JSON) with positions; pure. */
export function parseConfigText(text: string): Parsed {
  const lineCounter = new LineCounter();
  // logLevel 'error': the library's warnings (a collection used as a key) go to stderr with
  // the key's text, around our own problem list; a key of this file may be a secret.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { key: '(syntax)', message: error.message.split('\n')[0] ?? error.message, line, column: col };
      }),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
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
  const shown = fullPath.map((key) =>
    isPlausibleName(key) || SandboxName.safeParse(key).success ? key : '(not shown)',
  );
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

/** One line per problem: `file:line:col key: message`, or `VAR: message` for the environment. */
function problemLines(name: string | undefined, problems: ConfigProblem[]): string[] {
  return problems.map((problem) => {
    const envKey = /^[A-Z][A-Z0-9_]*(, [A-Z][A-Z0-9_]*)*$/.test(problem.key);
    const place =
      envKey || name === undefined
        ? ''
        : `${name}${problem.line === undefined ? '' : `:${problem.line}:${problem.column ?? 1}`} `;
    return `${place}${problem.key}: ${problem.message}`;
  });
}

function invalid(name: string | undefined, lines: string[]): UsageError {
  // One problem, one line: it names its own place (file:line:col, or the variable).
  if (lines.length === 1) return new UsageError('CONFIG_INVALID', `Invalid AEP configuration: ${lines[0]}`);
  const where = name === undefined ? 'the environment' : `${name} and the environment`;
  return new UsageError(
    'CONFIG_INVALID',
    `Invalid AEP configuration (from ${where}):\n${lines.map((line) => `  ${line}`).join('\n')}`,
  );
}

/**
 * Why a configuration file cannot be read: `(ENOENT)`, or `: it is a named pipe (FIFO),
 * not a regular file` (read without blocking: a FIFO or /dev/zero hung the command).
 */
function unreadableReason(error: unknown): string {
  if (error instanceof RefusedFileError) return `: ${error.reason}`;
  return ` (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
}

/** A checked configuration, or every problem found: as lines, and as the error to throw. */
export type CheckedAepConfig =
  { ok: true; config: AepConfig } | { ok: false; lines: string[]; error: UsageError };

/**
 * Reads and checks the AEP configuration without throwing. A file that cannot be read
 * or validated stops resolution, but the environment is still checked, so one pass
 * reports the file's problems and the environment's together.
 */
export function checkAepConfig(options: LoadAepConfigOptions): CheckedAepConfig {
  let file: { path: string; data: ConfigFile } | undefined;
  let locate: Locate = () => undefined;
  const name = options.configFile;
  if (name !== undefined) {
    const filePath = path.resolve(name);
    const envLines = () => problemLines(undefined, readEnv(options.env).problems);
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
    file = { path: filePath, data: parsed.data };
    locate = parsed.locate;
  }
  const result = resolveAepConfig({
    file,
    env: options.env,
    readSecretFile: (secretFile) => readRegularTextSync(secretFile, { maxBytes: MAX_SECRET_FILE_BYTES }),
  });
  if (!result.ok) {
    const placed = result.problems.map((problem) => ({ ...locate(problem.key), ...problem }));
    const lines = problemLines(name, placed);
    return { ok: false, lines, error: invalid(name, lines) };
  }
  return { ok: true, config: result.config };
}

/**
 * The validated keys of a configuration file, credentials left unresolved. Throws a
 * UsageError, naming the file and place, when it cannot be read or is invalid.
 */
function readConfigFile(configFile: string): ConfigFile {
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
  return readConfigFile(configFile).defaultSandbox;
}

/**
 * The `state:` of a configuration file, a directory resolved against the file's own
 * directory; undefined when the file sets none. Throws a UsageError, naming the file and
 * place, when the file cannot be read or is invalid (no state is guessed from a broken file).
 */
export function stateOfConfigFile(configFile: string): string | undefined {
  const state = readConfigFile(configFile).state;
  if (state === undefined || /^postgres(ql)?:\/\//i.test(state)) return state;
  return path.resolve(path.dirname(path.resolve(configFile)), state);
}

/**
 * Reads and checks the AEP configuration: `configFile` (YAML or JSON) if given, the AEP_*
 * variables of `env` for what it leaves out, defaults for the rest. Registers every secret
 * with the logger's redaction. Throws a UsageError (exit code 1) listing every problem,
 * each with its file position or environment variable.
 */
export function loadAepConfig(options: LoadAepConfigOptions): AepConfig {
  const checked = checkAepConfig(options);
  if (!checked.ok) throw checked.error;
  const { config } = checked;
  for (const sandbox of Object.values(config.sandboxes)) registerSecret(sandbox.credentials.clientSecret);
  registerSecret(config.defaultAccess?.credentials.clientSecret);
  return config;
}
