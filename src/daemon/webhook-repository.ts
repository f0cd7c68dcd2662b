import { z } from 'zod';
import { repositoryIdOf, sameRepository, type RepositoryId } from '../source/repository-id.js';

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
 * True only when the push certainly names a repository other than `configured`: none of
 * its URLs names the configured host and path (or, with no URL, its `full_name` is not
 * the configured path). Whatever cannot be compared (no configured id, no repository in
 * the payload) answers false: a legitimate push is never refused for want of a name.
 */
export function namesOtherRepository(
  configured: RepositoryId | undefined,
  pushed: PushRepository | undefined,
): boolean {
  if (configured === undefined || pushed === undefined) return false;
  const ids: RepositoryId[] = [];
  for (const field of URL_FIELDS) {
    const id = repositoryIdOf(pushed[field] ?? '');
    if (id !== undefined) ids.push(id);
  }
  if (ids.length > 0) return !ids.some((id) => sameRepository(id, configured));
  const fullName = pushed.full_name?.toLowerCase();
  return fullName !== undefined && fullName !== '' && fullName !== configured.path;
}
