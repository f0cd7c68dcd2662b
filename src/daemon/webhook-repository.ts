import { z } from 'zod';
import { namesConfiguredPath, repositoryPathOf } from '../source/repository-id.js';

const Name = z.string().optional().catch(undefined);

/** A push payload's `repository`, read loosely: only the names compared, a wrong type read as absent. */
export const PushRepository = z.object({
  full_name: Name,
  clone_url: Name,
  ssh_url: Name,
  git_url: Name,
  html_url: Name,
});
export type PushRepository = z.infer<typeof PushRepository>;

// Not `url`: since April 2025 a push's is the API address (api.github.com/repos/...),
// which names no clone, and older deliveries repeat `html_url` there.
const URL_FIELDS = ['clone_url', 'ssh_url', 'git_url', 'html_url'] as const;

/**
 * True only when the push certainly names a repository other than the `configured` path
 * (repositoryPathOf of --repo): none of its URLs names that path (namesConfiguredPath), or,
 * with no URL, its `full_name` does not. Whatever cannot be compared (no configured path, no
 * repository in the payload) answers false: a legitimate push is never refused for want of a name.
 */
export function namesOtherRepository(
  configured: string | undefined,
  pushed: PushRepository | undefined,
): boolean {
  if (configured === undefined || pushed === undefined) return false;
  const paths: string[] = [];
  for (const field of URL_FIELDS) {
    const path = repositoryPathOf(pushed[field] ?? '');
    if (path !== undefined) paths.push(path);
  }
  const fullName = pushed.full_name?.toLowerCase();
  if (paths.length === 0 && fullName) paths.push(fullName);
  return paths.length > 0 && !paths.some((path) => namesConfiguredPath(configured, path));
}
