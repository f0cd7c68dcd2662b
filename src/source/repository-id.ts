import { userInfoMisread } from '../text/safe-url.js';
import { SCP_LIKE, SCP_SECRET } from './git-url.js';

/** The `;name=value` parameters of a URL path's segments (text/safe-url.ts masks their secrets). */
const PATH_PARAMETERS = /;[^/]*/g;

// Schemes a push payload or --repo may spell a hosted repository with.
const NETWORK_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:']);

function pathOf(host: string, rawPath: string): string | undefined {
  const path = rawPath
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/i, '')
    .toLowerCase();
  return host === '' || path === '' ? undefined : path;
}

/**
 * The path of the hosted repository a URL names (`acme/audiences`, `group/sub/repo`), as
 * GitHub compares names: lower-cased, without `.git` or slashes at its ends; https://, ssh://,
 * git:// or scp-like `git@host:owner/name`, whatever its user (so never a credential), port or
 * host, and a URL's without its segments' `;` parameters (`;jsessionid=…`). Undefined for
 * what names no hosted repository (a local path, file://): such a URL cannot be compared with
 * a push's; and for a URL whose password would be read into its path.
 */
export function repositoryPathOf(url: string): string | undefined {
  // A password the parser reads as host (`deploy:TOKEN@github.com:acme/a`, as git does: host
  // `deploy`) or as port and path (`https://u:2024/pw@host/…`) would be kept in the path: the
  // records and other repositories' plans ("Other repositories") showed it, lower-cased, which
  // no scrubbing finds. Neither names a repository git could fetch.
  if (SCP_SECRET.test(url) || userInfoMisread(url)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!NETWORK_SCHEMES.has(parsed.protocol.toLowerCase())) return undefined;
    // A segment's `;name=value` parameters are no part of the repository's name: a servlet
    // host's `;jsessionid=` (a session, another for each clone) was kept in the path, in the
    // records and every other repository's plan, past the URL scrubbing that masks it.
    return pathOf(parsed.hostname, parsed.pathname.replace(PATH_PARAMETERS, ''));
  }
  const scp = SCP_LIKE.exec(url);
  if (!scp || url.startsWith('/') || url.startsWith('.')) return undefined;
  return pathOf(scp[2] ?? '', scp[3] ?? '');
}

/**
 * The repository a URL names as records keep it (AudienceRecord.repository): its path
 * (repositoryPathOf) without Azure DevOps' `_git` segment, which its https URLs have and its ssh
 * ones do not (`org/project/_git/repo`, `v3/org/project/repo`).
 */
export function recordedRepositoryOf(url: string): string | undefined {
  return repositoryPathOf(url)?.replace(/(^|\/)_git\//, '$1');
}

/**
 * Whether a push's repository path names the configured one: the same path, or its end after
 * a `/` (a proxy or mirror that serves it under a prefix). Hosts are not compared: the
 * controller may reach the server under another name than its pushes give (an in-cluster or
 * internal name, an address, a proxy), and a push taken for another repository's is ignored
 * with every one after it, where one taken for ours costs a fetch of the configured one.
 */
export function namesConfiguredPath(configured: string, pushed: string): boolean {
  return configured === pushed || configured.endsWith(`/${pushed}`);
}
