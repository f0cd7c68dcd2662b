import path from 'node:path';
import { SYMLINK_NOT_FOLLOWED, type Diagnostic } from '../manifest/diagnostics.js';
import type { SourceFile } from '../manifest/load.js';
import { includeMatcherOf, SKIPPED_DIRS, unfollowedLink, type ReadDirOptions } from '../manifest/read-dir.js';
import { brokenLink, fileDiagnostic } from '../manifest/read-file.js';
import type { CheckoutLink } from '../source/types.js';

/** What the full read of a git checkout makes of its links, as the CLI's walk does of a clone's. */
export type LinksRead = {
  /** Paths of links not followed: their files hold the link's text, never read as a manifest. */
  unread: Set<string>;
  /** Links to nothing the filters would read: broken files (errors that hold every deletion). */
  broken: SourceFile[];
  /** The warnings of links not followed. */
  diagnostics: Diagnostic[];
  /** Targets of the links read: a file left out for a dot is not said to be when a read link names it. */
  linkedTargets: Set<string>;
};

/** The controller follows no link to a folder (its checkout holds files only): said, and what is under it held. */
function folderLink(relative: string): Diagnostic {
  return fileDiagnostic(
    relative,
    'warning',
    SYMLINK_NOT_FOLLOWED,
    'symlink to a folder; the controller does not follow it (audiencectl plan in a clone does): the manifests under it are not read, and the audiences recorded from there are left as they are',
  );
}

/** The links of a git checkout (src/source/git-links.ts) as read-dir.ts's walk meets links on disk. */
export function readLinks(
  links: readonly CheckoutLink[],
  options: ReadDirOptions,
  selected: (file: string) => boolean,
): LinksRead {
  const read: LinksRead = { unread: new Set(), broken: [], diagnostics: [], linkedTargets: new Set() };
  if (links.length === 0) return read;
  const include = includeMatcherOf(options);
  for (const link of links) {
    // The walk never enters these folders (a link there is met by no read).
    if (
      link.path
        .split('/')
        .slice(0, -1)
        .some((part) => SKIPPED_DIRS.has(part))
    )
      continue;
    if (link.kind === 'file') {
      if (selected(link.path)) read.linkedTargets.add(link.target);
      continue;
    }
    read.unread.add(link.path);
    if (link.kind === 'folder') {
      if (include(link.path) || !path.extname(link.path)) read.diagnostics.push(folderLink(link.path));
      continue;
    }
    const said = unfollowedLink(link.path, link.kind, selected, include);
    if (said === 'listed') read.broken.push({ path: link.path, unreadable: brokenLink(link.path) });
    else if (said) read.diagnostics.push(said);
  }
  return read;
}
