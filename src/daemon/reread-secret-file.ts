import { statSync, type Stats } from 'node:fs';
import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';

/** A token or secret as it is now: asked at each use, so that a rotated file is taken. */
export type CurrentSecret = () => string;

/** What a reread says in the log, fixed text per kind of secret (never the secret). */
export type RereadMessages = {
  /** The file now holds another valid value, taken. */
  taken: string;
  /** The file changed and holds nothing usable: the value read before is kept. */
  kept: string;
};

/** What tells a file's content changed without reading it: a swapped link, a rewrite. */
function versionOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/** The file's version, or undefined when it cannot be stat'ed (read, and refused, then). */
function statVersion(file: string): string | undefined {
  try {
    return versionOf(statSync(file));
  } catch {
    return undefined;
  }
}

/**
 * A secret given as a file (`--http-token-file`, `--webhook-secret-file`), read now by `read`
 * (which throws a UsageError naming the setting: a bad file refuses the start) and again
 * whenever the file changes: the kubelet updates a mounted Secret in place (the `..data` link
 * swapped), and a rotated secret must be taken, and the old one refused, without a restart. A
 * stat per use, a read only when the stat differs. A file that then cannot be read, or holds
 * nothing valid (a rewrite caught half done), keeps the value read before, logged once per
 * version of the file. Every value read is registered for scrubbing; none is ever logged.
 */
export function rereadSecretFile(given: {
  file: string;
  read: () => string;
  logger: Logger;
  messages: RereadMessages;
}): CurrentSecret {
  const { file, read, logger, messages } = given;
  // Stat before reading: a change between the two is read again at the next use.
  let version = statVersion(file);
  let secret = read();
  registerSecret(secret);
  return () => {
    const now = statVersion(file);
    if (now === version) return secret;
    version = now;
    try {
      const fresh = read();
      registerSecret(fresh);
      if (fresh !== secret) logger.info({ file }, messages.taken);
      secret = fresh;
    } catch (error) {
      logger.warn({ file, reason: (error as Error).message }, messages.kept);
    }
    return secret;
  };
}
