import path from 'node:path';
import { z } from 'zod';
import { SourceConfigError } from './errors.js';

/** Settings of a git source, as read from flags, environment or the chart. */
export const GitSourceOptions = z.object({
  /** Repository URL: https://, ssh:// or `git@host:org/repo.git`. */
  url: z.string().min(1),
  /** Branch to follow. Default `main`. */
  branch: z.string().default('main'),
  /** Directory inside the repository holding the manifests. Default: the root. */
  path: z.string().default(''),
  /** Where the source keeps its repository and checkouts (writable, private). */
  workDir: z.string().min(1),
  /** HTTPS token, offered only to the repository's own origin. */
  token: z.string().min(1).optional(),
  /**
   * A file holding the HTTPS token (a mounted Secret), read at each fetch: a token rotated in it
   * is used without a restart. Not together with `token`.
   */
  tokenFile: z.string().min(1).optional(),
  /** User name sent with the token. Default `x-access-token` (GitHub; GitLab accepts any). */
  tokenUsername: z.string().min(1).default('x-access-token'),
  /** Private key file for ssh URLs (mount it with mode 0400). */
  sshKeyFile: z.string().min(1).optional(),
  /** known_hosts file for ssh URLs; without it only the system-wide file is trusted. */
  knownHostsFile: z.string().min(1).optional(),
  /** `yes` (default) refuses unknown hosts; `accept-new` trusts a host on first use. */
  sshStrictHostKeyChecking: z.enum(['yes', 'accept-new']).default('yes'),
  /** CA bundle for https servers signed by a private CA. */
  caFile: z.string().min(1).optional(),
  /** Allow `file://` URLs and local paths. Default false: development and tests only. */
  allowFileUrls: z.boolean().default(false),
  /** Shallow fetch depth; unset fetches full history. */
  depth: z.number().int().positive().optional(),
  /** Kill a git process silent for this long. Default 120 000 ms. */
  timeoutMs: z.number().int().positive().default(120_000),
});
export type GitSourceOptions = z.infer<typeof GitSourceOptions>;
export type GitSourceInput = z.input<typeof GitSourceOptions>;

// A subset of git-check-ref-format: enough to keep a branch from being read as an
// option or a revision expression, and to keep it inside refs/heads/.
// eslint-disable-next-line no-control-regex
const BAD_REF_CHARS = /[\u0000-\u0020\u007f~^:?*[\\]/;

export function checkBranch(branch: string): string {
  const bad =
    branch.length === 0 ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    branch === '@' ||
    BAD_REF_CHARS.test(branch) ||
    branch.split('/').some((part) => part.startsWith('.'));
  if (bad) {
    throw new SourceConfigError(
      'SOURCE_BRANCH_INVALID',
      `branch ${JSON.stringify(branch)} is not a valid branch name; give its short name, e.g. "main"`,
    );
  }
  return branch;
}

/** Normalises the sub-path and keeps it inside the checkout (`root`: what it is relative to). */
export function checkSubPath(subPath: string, root = 'the repository root'): string {
  const normal = path.posix.normalize(subPath.replaceAll('\\', '/')).replace(/\/+$/, '');
  if (normal === '.' || normal === '') return '';
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new SourceConfigError(
      'SOURCE_PATH_INVALID',
      `path ${JSON.stringify(subPath)} must be relative to ${root} and stay inside it`,
    );
  }
  return normal;
}

/** Parses options; messages name the setting, never its value (it may be a secret). */
export function parseGitSourceOptions(input: GitSourceInput): GitSourceOptions {
  const parsed = GitSourceOptions.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new SourceConfigError(
      'SOURCE_OPTIONS_INVALID',
      `invalid git source settings: ${problems.join('; ')}`,
    );
  }
  return {
    ...parsed.data,
    branch: checkBranch(parsed.data.branch),
    path: checkSubPath(parsed.data.path),
  };
}
