import { GitError, GitPluginError } from 'simple-git';
import { SourceSyncError, type SourceSyncErrorCode } from './errors.js';
import { redactSecrets } from './redact.js';

type Rule = { test: RegExp; code: SourceSyncErrorCode; advice: string };

// Matched against git's stderr (LC_ALL=C keeps it in English). First match wins.
const RULES: Rule[] = [
  {
    test: /UNPROTECTED PRIVATE KEY FILE|bad permissions/i,
    code: 'SOURCE_SSH_KEY_PERMISSIONS',
    advice: 'ssh refuses a key readable by others: mount it with mode 0400 (defaultMode: 0400 in Kubernetes)',
  },
  {
    test: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i,
    code: 'SOURCE_SSH_HOST_KEY',
    advice: "the server's host key is not trusted: provide a known_hosts file with its key",
  },
  {
    test: /transport '[^']*' not allowed/i,
    code: 'SOURCE_PROTOCOL_REFUSED',
    advice: 'the transport is not allowed (https and ssh only; file needs --allow-file-urls)',
  },
  {
    test: /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(publickey|returned error: 40[13]|Invalid username or password/i,
    code: 'SOURCE_AUTH_FAILED',
    advice:
      'the server refused the credentials: check the git token or SSH key and its access to the repository',
  },
  {
    test: /couldn't find remote ref|Remote branch .* not found/i,
    code: 'SOURCE_BRANCH_NOT_FOUND',
    advice: 'the branch does not exist in the repository: check the branch setting',
  },
];

const MAX_DETAIL = 600;

/** Git's output, scrubbed of secrets and trimmed to its last lines. */
// Progress lines from `fetch --progress` say nothing about a failure.
const PROGRESS = /^(remote: )?(Enumerating|Counting|Compressing|Receiving|Resolving|Total|Unpacking) /;

function detail(error: unknown, secrets: readonly string[], usernames: readonly string[]): string {
  const raw = error instanceof Error ? error.message : String(error);
  const lines = raw.split(/[\r\n]+/).filter((line) => line.trim() !== '' && !PROGRESS.test(line));
  const text = redactSecrets(lines.join('\n'), secrets, usernames).trim();
  return text.length > MAX_DETAIL ? `...${text.slice(-MAX_DETAIL)}` : text;
}

/**
 * Maps a simple-git failure to a typed error with advice; never keeps the raw error.
 * `usernames` are the user names sent with the secrets (their Basic-auth forms are scrubbed).
 */
export function toSyncError(
  error: unknown,
  action: string,
  secrets: readonly string[],
  usernames: readonly string[] = [],
): SourceSyncError {
  if (error instanceof SourceSyncError) return error;
  if (error instanceof GitPluginError && (error.plugin === 'abort' || error.plugin === 'timeout')) {
    const why = error.plugin === 'abort' ? 'was cancelled' : 'timed out (no output from git)';
    return new SourceSyncError('SOURCE_ABORTED', `git ${action} ${why}`);
  }
  const text = detail(error, secrets, usernames);
  if (error instanceof GitError || error instanceof Error) {
    for (const rule of RULES) {
      if (rule.test.test(text))
        return new SourceSyncError(rule.code, `git ${action} failed: ${rule.advice} (${text})`);
    }
  }
  const code: SourceSyncErrorCode = action === 'fetch' ? 'SOURCE_FETCH_FAILED' : 'SOURCE_CHECKOUT_FAILED';
  return new SourceSyncError(code, `git ${action} failed: ${text}`);
}
