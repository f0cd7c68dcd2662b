import { git } from './git-run.js';
import { recordedRepositoryOf } from './repository-id.js';

/**
 * The hosted repository the git work tree holding `dir` is a clone of, as records keep it
 * (AudienceRecord.repository): the path its `origin` remote names (`acme/audiences`, as
 * recordedRepositoryOf reads it: a shallow CI checkout and a developer's clone say the same),
 * else that of its only remote. Undefined outside git, with no remote or one that is a local
 * path, or when git cannot be asked: nothing is then recorded or compared.
 */
export async function workTreeRepository(dir: string): Promise<string | undefined> {
  // Exit 1: no remote at all.
  const answer = await git(dir, ['config', '--local', '--get-regexp', '^remote\\..+\\.url$'], '', 1);
  if (!answer.ok) return undefined;
  const urls = new Map<string, string>();
  for (const line of answer.out.split('\n')) {
    const match = /^remote\.(.+)\.url (.+)$/.exec(line.trim());
    // A remote with several URLs (pushurl aside) is read by its first.
    if (match?.[1] !== undefined && match[2] !== undefined && !urls.has(match[1]))
      urls.set(match[1], match[2]);
  }
  const url = urls.get('origin') ?? (urls.size === 1 ? [...urls.values()][0] : undefined);
  return url === undefined ? undefined : recordedRepositoryOf(url);
}

/** workTreeRepository as an options field: none when unknown. */
export async function repositoryField(dir: string): Promise<{ repository?: string }> {
  const repository = await workTreeRepository(dir);
  return repository === undefined ? {} : { repository };
}
