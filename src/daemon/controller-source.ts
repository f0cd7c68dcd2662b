import { displayUrl } from '../source/git-url.js';
import type { ControllerOptions } from './controller-options.js';

/**
 * What a controller reconciles, in one line: its repository, branch and path (or its directory),
 * its filters and its default sandbox. Replicas of one controller (one Deployment's pods) give the
 * same line; two controllers of different sources on one PostgreSQL schema do not. The leader
 * records it with the store's lock, so that a controller of another source finding the lock held
 * can say it will never lead, rather than stand by for ever as a healthy replica does (review 33,
 * L-5). The URL is shown without user info or secret query values.
 */
export function controllerSource(options: Pick<ControllerOptions, 'source' | 'settings'>): string {
  const { source, settings } = options;
  const parts =
    source.kind === 'git'
      ? [
          `repository ${displayUrl(source.options.url)}`,
          `branch ${source.options.branch ?? 'main'}`,
          `path ${source.options.path || '(top)'}`,
        ]
      : [`directory ${source.dir}`];
  // Quoted as JSON: a glob may hold blanks or commas.
  if (settings.read.include?.length) parts.push(`include ${JSON.stringify(settings.read.include)}`);
  if (settings.read.exclude?.length) parts.push(`exclude ${JSON.stringify(settings.read.exclude)}`);
  parts.push(`sandbox ${settings.defaultSandbox}`);
  return parts.join(', ');
}
