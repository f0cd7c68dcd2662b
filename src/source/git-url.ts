import { safeUrl, secretParameterIn, userInfoMisread } from '../text/safe-url.js';
import { SourceConfigError } from './errors.js';

export type GitTransport = 'https' | 'ssh' | 'file';

export type CheckedGitUrl = {
  url: string;
  transport: GitTransport;
  /** `https://host[:port]` for https URLs: the only origin a token is offered to. */
  origin?: string;
};

// `<helper>::<address>` hands the URL to git-remote-<helper>; `ext::` runs a command.
const TRANSPORT_HELPER = /^[A-Za-z0-9+.-]*::/;
/** scp-like syntax `[user@]host:path`, as git reads it: a colon before any slash. */
export const SCP_LIKE =
  /^(?:([A-Za-z0-9._~-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;
/** `user:secret@host:path`: scp-like with a password, which SCP_LIKE reads as host `user`. */
export const SCP_SECRET = /^[^/@:]+:[^/@]+@[^/:]+:/;
// Control characters would let a URL smuggle a second line into git's config or logs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function refuse(reason: string): never {
  throw new SourceConfigError('SOURCE_URL_REFUSED', `repository URL refused: ${reason}`);
}

/** The URL without user info or secret query values, safe to log and to put in messages. */
export function displayUrl(url: string): string {
  return safeUrl(url);
}

/**
 * git sends the query with every request and keeps the URL, fragment included, on its
 * command line (`ps` shows it to every user of the host) and in the clone's config, so a
 * token there leaks however we log. Pairs split at `;` as at `&`, as the log masking does.
 * A path's `;name=value` parameters the same: git sends the path as written
 * (`/a.git;token=…/info/refs`), and servlet hosts read `;jsessionid=` there as a session.
 */
function refuseSecretParameter(raw: string): void {
  const secret = secretParameterIn(raw);
  if (secret === undefined) return;
  refuse(
    `its ${secret.part} carries a credential (${JSON.stringify(secret.name)}); pass the token through AUDIENCECTL_GIT_TOKEN instead`,
  );
}

function checkUrlObject(raw: string, transport: GitTransport): CheckedGitUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // Most often a password whose `?`, `#` or `/` ends the host early (`https://x:pa?ss@host`).
    const why = raw.includes('@')
      ? ' (if it embeds a password or token, pass the token through AUDIENCECTL_GIT_TOKEN instead)'
      : '';
    return refuse(`${displayUrl(raw)} is not a valid URL${why}`);
  }
  // `https://x:2024/token@host/…`: a password or token not percent-encoded, read as host and port.
  if (parsed.password !== '')
    refuse('it embeds a password or token; pass the token through AUDIENCECTL_GIT_TOKEN instead');
  // Which of the two it is cannot be told from the URL: both ways out are said.
  if (userInfoMisread(raw))
    refuse(
      'it holds "@" after its host and port, as a password or token not percent-encoded does (pass the token through AUDIENCECTL_GIT_TOKEN instead); an "@" in the path is written %40',
    );
  refuseSecretParameter(raw);
  if (parsed.hostname.startsWith('-') || parsed.username.startsWith('-')) {
    refuse('a host or user name starting with "-" could be read as an option');
  }
  if (transport === 'https') {
    if (parsed.username !== '') refuse('put the user name in the token settings, not in the URL');
    return { url: raw, transport, origin: parsed.origin };
  }
  return { url: raw, transport };
}

/**
 * Accepts https://, ssh:// and scp-like `git@host:org/repo.git` URLs; `file://` and
 * local paths only with `allowFileUrls` (a path would read anything on the node).
 * Refuses transport helpers (`ext::`, `fd::`), option-looking URLs and embedded
 * credentials, which would end up in logs.
 */
export function checkGitUrl(raw: string, options: { allowFileUrls: boolean }): CheckedGitUrl {
  if (raw.length === 0) refuse('the URL is empty');
  if (CONTROL.test(raw)) refuse('it contains control characters');
  if (raw.startsWith('-')) refuse('a URL starting with "-" could be read as a git option');
  if (TRANSPORT_HELPER.test(raw)) refuse('transport helpers such as ext:: and fd:: are not allowed');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'https') return checkUrlObject(raw, 'https');
  if (scheme === 'ssh') return checkUrlObject(raw, 'ssh');
  if (scheme === 'file') {
    if (!options.allowFileUrls) refuse('file:// URLs need --allow-file-urls (development and tests only)');
    return { url: raw, transport: 'file' };
  }
  if (scheme !== undefined) refuse(`the ${scheme}:// scheme is not allowed; use https:// or ssh://`);
  const scp = SCP_LIKE.exec(raw);
  if (scp && !raw.startsWith('/') && !raw.startsWith('.')) {
    if (scp[3]?.startsWith('-')) refuse('a repository path starting with "-" could be read as an option');
    // `deploy:token@github.com:org/repo.git`: git reads host `deploy`, and every failed
    // sync would log the token in the path. Not repeated here.
    if (SCP_SECRET.test(raw))
      refuse(
        'it reads as user:password@host:path, which embeds a password or token; use an ssh key, or an https:// URL with the token in AUDIENCECTL_GIT_TOKEN',
      );
    refuseSecretParameter(raw);
    return { url: raw, transport: 'ssh' };
  }
  if (!options.allowFileUrls) refuse('local paths need --allow-file-urls (development and tests only)');
  if (!raw.startsWith('/')) refuse('a local repository must be an absolute path');
  return { url: raw, transport: 'file' };
}
