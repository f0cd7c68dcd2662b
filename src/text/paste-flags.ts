import path from 'node:path';
import { isSecretParameter } from './safe-url.js';
import { shellQuote } from './shell-quote.js';

/**
 * The flags a command printed for a person to paste must carry to reach the store and the
 * configuration this process used: those its user gave on the command line, shell-quoted and
 * ready to append (` --state ./stores/prod`). What the environment or the defaults chose is
 * left out: the pasted command, run from the same shell, inherits it the same way.
 */
export type PasteFlags = {
  /** ` --state <dir|url>`, or ''. A URL never holds its password (see stateWords). */
  readonly state: string;
  /** ` --state-password-file <file>` and ` --config <file>`, or ''. */
  readonly access: string;
  /** The process used the embedded emulator (`--emulator`). */
  readonly emulator: boolean;
  /** The manifests directory as the command was given it, shell-quoted; absent where unknown. */
  readonly dir?: string;
  /**
   * ` --sandbox <name>` of the manifests that name none, for a printed `apply` or `plan` of the
   * manifests (manifestsCommand): typed, or a saved plan's where the pasted command would place
   * them elsewhere; absent where the pasted command places them as this one did.
   */
  readonly sandbox?: string;
  /**
   * ` --include <glob> --exclude <glob>` the command was given, for a printed `apply` or `plan`
   * of the manifests: without them, a pasted apply read the manifests the plan left out and
   * created them (a wider scope than the plan the person read). Absent where none were given.
   */
  readonly filters?: string;
};

/**
 * What a printed command names where no directory is known: one word a shell passes on as it
 * is (a `<manifests dir>` was read as redirections), which audiencectl refuses as no directory.
 */
const MANIFESTS_DIR = 'MANIFESTS_DIR';

/** The manifests directory a printed command names: the one given, else a placeholder to fill in. */
export function manifestsDirWord(flags: PasteFlags | undefined): string {
  return flags?.dir ?? MANIFESTS_DIR;
}

/**
 * What follows a printed command naming the placeholder (manifestsDirWord): what to put there,
 * and the notes `more` of its other placeholders (`AUDIENCE_ID: its id from AEP`); else ''.
 */
export function manifestsDirNote(flags: PasteFlags | undefined, ...more: string[]): string {
  const notes = [
    ...(flags?.dir === undefined ? [`${MANIFESTS_DIR}: your manifests directory`] : []),
    ...more,
  ];
  return notes.length === 0 ? '' : ` (${notes.join('; ')})`;
}

/** The placeholder of an audience id a person finds in AEP, in a printed command. */
export const AUDIENCE_ID = 'AUDIENCE_ID';

/** `flags` with the manifests directory `dir` (as typed) for the commands they print. */
export function withManifestsDir(flags: PasteFlags, dir: string): PasteFlags {
  return { ...flags, dir: shellQuote(dir) };
}

/** A process whose store and configuration came from the environment or the defaults. */
export const NO_PASTE_FLAGS: PasteFlags = { state: '', access: '', emulator: false };

/** What the user gave on the command line (never what came from a variable). */
export type GivenFlags = {
  state?: string | undefined;
  statePasswordFile?: string | undefined;
  config?: string | undefined;
  emulator?: boolean | undefined;
  sandbox?: string | undefined;
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
};

/** The placeholder printed for the password file's path: the person replaces it with theirs. */
export const PASSWORD_FILE_PLACEHOLDER = 'PASSWORD_FILE';

/** Where the person finds how to pass a password this command does not print. */
const PASSWORD_POINTER = `--state-password-file ${PASSWORD_FILE_PLACEHOLDER}`;

/** The placeholder of a PostgreSQL URL not known: audiencectl refuses it (it names no database). */
const UNKNOWN_URL = 'postgres://POSTGRES_URL';

/**
 * `--state <url>` without what is secret in it: the password and any secret-looking query
 * parameter (`?password=`, `?sslpassword=`) are dropped, never masked (a `***` would be sent
 * as the password). When one was dropped and no password file was given, a placeholder says
 * where the password goes: the command cannot run as printed, and must not print it.
 */
function urlWords(text: string, passwordFile: boolean): string {
  // An "@" after the host: a password not percent-encoded, read as host, port and path (location.ts refuses it).
  const rest = text.trim().replace(/^[^:]*:\/\//, '');
  const hostEnd = rest.search(/[/?#]/);
  if (hostEnd >= 0 && rest.slice(hostEnd).includes('@')) return ` --state ${UNKNOWN_URL}`;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    // Never a bare word: `--state POSTGRES_URL` is a directory, which `init` creates. A URL
    // naming no database is refused by every command (location.ts).
    return ` --state ${UNKNOWN_URL}`;
  }
  let dropped = url.password !== '';
  url.password = '';
  for (const name of [...url.searchParams.keys()]) {
    if (!isSecretParameter(name)) continue;
    url.searchParams.delete(name);
    dropped = true;
  }
  const pointer = dropped && !passwordFile ? ` ${PASSWORD_POINTER}` : '';
  return ` --state ${shellQuote(url.href)}${pointer}`;
}

function stateWords(given: GivenFlags): string {
  if (given.state === undefined || given.state === '') return '';
  if (/^postgres(ql)?:\/\//i.test(given.state.trim()))
    return urlWords(given.state, given.statePasswordFile !== undefined);
  return ` --state ${shellQuote(given.state)}`;
}

/** The flags of `given` a pasted command carries. */
export function pasteFlags(given: GivenFlags): PasteFlags {
  const access = [
    given.statePasswordFile ? ` --state-password-file ${shellQuote(given.statePasswordFile)}` : '',
    given.config ? ` --config ${shellQuote(given.config)}` : '',
  ].join('');
  const flags = withFilters({ state: stateWords(given), access, emulator: given.emulator === true }, given);
  return given.sandbox ? withSandbox(flags, given.sandbox) : flags;
}

/** `flags` whose printed `apply` and `plan` of the manifests read only the files `filters` select. */
export function withFilters(
  flags: PasteFlags,
  filters: { include?: readonly string[] | undefined; exclude?: readonly string[] | undefined },
): PasteFlags {
  const words = [
    ...(filters.include ?? []).map((glob) => ` --include ${shellQuote(glob)}`),
    ...(filters.exclude ?? []).map((glob) => ` --exclude ${shellQuote(glob)}`),
  ].join('');
  return words === '' ? flags : { ...flags, filters: words };
}

/** What a printed `apply` or `plan` of the manifests names after the command: the directory and the filters. */
export function manifestsScope(flags: PasteFlags | undefined): string {
  return `${manifestsDirWord(flags)}${flags?.filters ?? ''}`;
}

/** `flags` whose printed `apply` and `plan` of the manifests place those that name none in `sandbox`. */
export function withSandbox(flags: PasteFlags, sandbox: string): PasteFlags {
  return { ...flags, sandbox: ` --sandbox ${shellQuote(sandbox)}` };
}

/**
 * What a printed command of `command` appends: every command that opens the store takes
 * `--state`, `--state-password-file` and `--config`; `apply` and `init` also `--emulator`.
 * `withState: false` for a command that names its store itself (`init --state <dir>`).
 */
export function pastedFlags(
  flags: PasteFlags | undefined,
  command: 'plan' | 'apply' | 'init' | 'state',
  options: { withState?: boolean } = {},
): string {
  if (!flags) return '';
  const emulator = flags.emulator && (command === 'apply' || command === 'init') ? ' --emulator' : '';
  return `${options.withState === false ? '' : flags.state}${flags.access}${emulator}`;
}

/** The `state forget` a printed hint names to drop the record of `key` in `sandbox`, with the flags `flags` carry. */
export function forgetCommand(key: string, sandbox: string, flags: PasteFlags | undefined): string {
  // Quoted: a record made outside audiencectl may have any key (`Bad Key`, stray-record.ts).
  return `audiencectl state forget ${shellQuote(key)} --sandbox ${shellQuote(sandbox)}${pastedFlags(flags, 'state')}`;
}

/**
 * The `state import` a printed hint names to record audience `id` (default the AUDIENCE_ID
 * placeholder) for `key` in `sandbox`: in the manifests directory `flags` name (else the
 * MANIFESTS_DIR placeholder: follow it with manifestsDirNote), with the flags they carry.
 */
export function stateImportCommand(
  key: string,
  sandbox: string,
  flags: PasteFlags | undefined,
  id = AUDIENCE_ID,
): string {
  return `audiencectl state import ${key} ${manifestsDirWord(flags)} --sandbox ${sandbox} --audience-id ${shellQuote(id)}${pastedFlags(flags, 'state')}`;
}

/**
 * The `audiencectl apply` or `plan` a printed hint names: of the manifests directory `flags`
 * name (else the MANIFESTS_DIR placeholder: follow it with manifestsDirNote; without a
 * directory it would plan the current one's manifests), with their filters, in their sandbox,
 * with the flags they carry.
 */
export function manifestsCommand(command: 'apply' | 'plan', flags: PasteFlags | undefined): string {
  return `audiencectl ${command} ${manifestsScope(flags)}${flags?.sandbox ?? ''}${pastedFlags(flags, command)}`;
}

/**
 * The `init` that creates or migrates the PostgreSQL store at `url` (which may hold a password:
 * it is dropped, as from a typed --state), with the other flags `flags` carry. `passwordFile`:
 * the process was given one (typed: `flags` carry it; else the pasted command inherits it).
 * `url` undefined: it came from the environment or the configuration file, which the pasted
 * command inherits too (password and all): it names only the flags typed.
 */
export function pgInitCommand(
  url: string | undefined,
  flags: PasteFlags | undefined,
  passwordFile: boolean,
): string {
  const state = url === undefined ? '' : urlWords(url, passwordFile);
  return `audiencectl init${state}${pastedFlags(flags, 'init', { withState: false })}`;
}

/**
 * The flags the commands a PostgreSQL store's messages print carry to reach it: its URL
 * (`url`, its password dropped as pgInitCommand's) and the other flags `flags` carry. `url`
 * undefined: it came from the environment or the configuration file, which the pasted
 * command inherits (password and all), so only the flags typed are named.
 */
export function pgStoreFlags(
  url: string | undefined,
  flags: PasteFlags | undefined,
  passwordFile: boolean,
): PasteFlags {
  return { ...NO_PASTE_FLAGS, ...flags, state: url === undefined ? '' : urlWords(url, passwordFile) };
}

/**
 * What the commands of a JSON plan of `dir` carry: the directory, absolute, and no flag. Made by
 * `plan --output json`, and again by `apply plan.json` to compare its steps word for word.
 */
export function savedPlanPaste(dir: string): PasteFlags {
  return withManifestsDir(NO_PASTE_FLAGS, path.resolve(dir));
}
