import { SCP_LIKE } from './git-url.js';

/** A repository on a git host, as GitHub compares names: lower-cased, without `.git`. */
export type RepositoryId = { host: string; path: string };

// Schemes a push payload or --repo may spell a hosted repository with.
const NETWORK_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:']);

// GitHub's SSH-over-443 endpoint serves the same repositories as github.com, whose
// name is the one a payload's `ssh_url` gives.
const HOST_ALIASES = new Map([['ssh.github.com', 'github.com']]);

function idOf(host: string, rawPath: string): RepositoryId | undefined {
  const lower = host.toLowerCase().replace(/\.$/, '');
  const path = rawPath
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/i, '')
    .toLowerCase();
  if (lower === '' || path === '') return undefined;
  return { host: HOST_ALIASES.get(lower) ?? lower, path };
}

/**
 * The repository a URL names: https://, ssh://, git:// or scp-like `git@host:owner/name`,
 * whatever its user, port, trailing `.git` or `/`. Undefined for what names no hosted
 * repository (a local path, file://): such a URL cannot be compared with a push's.
 */
export function repositoryIdOf(url: string): RepositoryId | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!NETWORK_SCHEMES.has(parsed.protocol.toLowerCase())) return undefined;
    return idOf(parsed.hostname.replace(/^\[|\]$/g, ''), parsed.pathname);
  }
  const scp = SCP_LIKE.exec(url);
  if (!scp || url.startsWith('/') || url.startsWith('.')) return undefined;
  return idOf((scp[2] ?? '').replace(/^\[|\]$/g, ''), scp[3] ?? '');
}

export function sameRepository(a: RepositoryId, b: RepositoryId): boolean {
  return a.host === b.host && a.path === b.path;
}
