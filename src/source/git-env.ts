import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SourceConfigError } from './errors.js';
import type { CheckedGitUrl } from './git-url.js';
import type { GitSourceOptions } from './git-options.js';

/**
 * Git-prefixed variables simple-git must let through. None of them is in its list
 * of dangerous variables (so no allowUnsafe* flag is needed): they only restrict git.
 */
export const ALLOWED_GIT_ENV = [
  'GIT_TERMINAL_PROMPT',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_ALLOW_PROTOCOL',
  'GIT_INDEX_FILE',
  'GIT_CEILING_DIRECTORIES',
];

// Names under which the token reaches the credential helper; not GIT_-prefixed, and
// never in argv (visible in `ps`) or in a file.
const TOKEN_VAR = 'AUDIENCECTL_GIT_TOKEN';
const USER_VAR = 'AUDIENCECTL_GIT_USERNAME';
const PASSTHROUGH = [
  'PATH',
  'TMPDIR',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** A value in a git config file: quoted, with git's two escapes. */
function configValue(value: string): string {
  if (/[\n\r\0]/.test(value)) {
    throw new SourceConfigError('SOURCE_OPTIONS_INVALID', 'git settings must not contain line breaks');
  }
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A file path inside a shell command (core.sshCommand runs through sh). */
function shellPath(file: string): string {
  if (/['\n\r\0]/.test(file)) {
    throw new SourceConfigError(
      'SOURCE_OPTIONS_INVALID',
      `file path ${JSON.stringify(file)} must not contain quotes`,
    );
  }
  return `'${path.resolve(file)}'`;
}

export function sshCommand(options: GitSourceOptions, homeDir: string): string {
  const knownHosts = options.knownHostsFile ?? path.join(homeDir, 'known_hosts');
  const parts = [
    'ssh',
    // -F /dev/null: ignore ~/.ssh/config and /etc/ssh/ssh_config, so the host's
    // settings cannot redirect or proxy the connection.
    '-F /dev/null',
    '-o BatchMode=yes',
    `-o StrictHostKeyChecking=${options.sshStrictHostKeyChecking}`,
    `-o UserKnownHostsFile=${shellPath(knownHosts)}`,
  ];
  if (options.sshKeyFile) parts.push(`-i ${shellPath(options.sshKeyFile)}`, '-o IdentitiesOnly=yes');
  return parts.join(' ');
}

// Prints the token only for `get`; `store` and `erase` are no-ops. printf, not echo:
// dash's echo would interpret backslashes in the token.
const HELPER = `!f() { test "$1" = get || return 0; printf 'username=%s\\npassword=%s\\n' "$${USER_VAR}" "$${TOKEN_VAR}"; }; f`;

/**
 * The whole configuration git sees. simple-git 4 refuses `core.sshCommand`,
 * `credential.helper` and `protocol.*` on the command line or in GIT_* variables
 * unless allowUnsafe* flags are set; rather than open those flags, git gets a private
 * HOME whose .gitconfig we write from validated settings, and no system config.
 * It holds no secret: the token stays in the environment, the key in its own file.
 */
export function gitConfigText(options: GitSourceOptions, url: CheckedGitUrl, homeDir: string): string {
  const lines = [
    '[core]',
    // Symlinks are checked out as plain files: a manifest repo must not point outside.
    '\tsymlinks = false',
    '\tautocrlf = false',
    `\thooksPath = ${configValue(path.join(homeDir, 'no-hooks'))}`,
    `\tsshCommand = ${configValue(sshCommand(options, homeDir))}`,
    '[fetch]',
    '\trecurseSubmodules = false',
    '[submodule]',
    '\trecurse = false',
    '[protocol]',
    '\tallow = never',
    '[credential]',
    '\thelper = ',
  ];
  if (options.caFile) lines.push('[http]', `\tsslCAInfo = ${configValue(path.resolve(options.caFile))}`);
  if ((options.token || options.tokenFile) && url.origin) {
    // Scoped to the repository's origin: a redirect elsewhere never receives the token.
    lines.push(`[credential ${configValue(url.origin)}]`, `\thelper = ${configValue(HELPER)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function allowedProtocols(options: GitSourceOptions): string {
  return options.allowFileUrls ? 'https:ssh:file' : 'https:ssh';
}

/** Writes the private HOME (0700) and returns the environment for every git process. */
export async function prepareGitEnv(
  options: GitSourceOptions,
  configText: string,
  homeDir: string,
): Promise<Record<string, string>> {
  await mkdir(homeDir, { recursive: true, mode: 0o700 });
  await mkdir(path.join(homeDir, 'no-hooks'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(homeDir, '.gitconfig'), configText, { mode: 0o600 });
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    HOME: homeDir,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    // Overrides protocol.*.allow from any config: only these transports may run.
    GIT_ALLOW_PROTOCOL: allowedProtocols(options),
  });
  if (options.token) env[TOKEN_VAR] = options.token;
  if (options.token || options.tokenFile) env[USER_VAR] = options.tokenUsername;
  return env;
}

/** `env` with `token` where the credential helper reads it (a token file's, read again). */
export function withToken(env: Record<string, string>, token: string): void {
  env[TOKEN_VAR] = token;
}
