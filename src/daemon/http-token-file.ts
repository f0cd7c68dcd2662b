import { statSync, type Stats } from 'node:fs';
import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';
import { readHttpToken, type HttpToken } from './http-auth.js';

/** What tells a file's content changed without reading it: a swapped link, a rewrite. */
function versionOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/**
 * The HTTP token of `audiencectl run` as given: the token itself, or `--http-token-file`, read
 * again when it changes (httpTokenFile); both, or a bad one, refused at start in one line
 * naming them (readHttpToken). Undefined when neither is given.
 */
export function httpTokenOf(
  given: { token: string | undefined; file: string | undefined; fileName: string; tokenName: string },
  logger: Logger,
): HttpToken | undefined {
  if (given.file === undefined || given.token !== undefined) {
    const token = readHttpToken(given);
    registerSecret(token);
    return token === undefined ? undefined : () => token;
  }
  return httpTokenFile({ file: given.file, label: given.fileName, logger });
}

/**
 * The HTTP token of `--http-token-file`, read now (a bad file refuses the start, as before)
 * and again whenever the file changes: the kubelet updates a mounted Secret in place (the
 * `..data` link swapped), and a rotated token must be taken, and the old one refused, without
 * a restart. A stat per guarded request, a read only when the stat differs. A file that then
 * cannot be read, or holds no valid token (a rewrite caught half done), keeps the token read
 * before, logged once per version of the file; the token itself is never shown.
 */
export function httpTokenFile(given: { file: string; label: string; logger: Logger }): HttpToken {
  const { file, label, logger } = given;
  // Stat before reading: a change between the two is read again at the next request.
  let version = statVersion(file);
  let token = readHttpToken({ file, fileName: label }) ?? '';
  registerSecret(token);
  return () => {
    const now = statVersion(file);
    if (now === version) return token;
    version = now;
    try {
      const fresh = readHttpToken({ file, fileName: label }) ?? '';
      registerSecret(fresh);
      if (fresh !== token) logger.info({ file }, 'the HTTP token file holds another token: taking it');
      token = fresh;
    } catch (error) {
      logger.warn(
        { file, reason: (error as Error).message },
        'the HTTP token file changed and holds no usable token: keeping the token read before',
      );
    }
    return token;
  };
}

/** The file's version, or undefined when it cannot be stat'ed (read, and refused, then). */
function statVersion(file: string): string | undefined {
  try {
    return versionOf(statSync(file));
  } catch {
    return undefined;
  }
}
