import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';
import { readHttpToken, type HttpToken } from './http-auth.js';
import { rereadSecretFile } from './reread-secret-file.js';

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
 * The HTTP token of `--http-token-file`, read now and again whenever the file changes
 * (rereadSecretFile): a rotated token is taken, and the old one refused, without a restart.
 */
export function httpTokenFile(given: { file: string; label: string; logger: Logger }): HttpToken {
  const { file, label, logger } = given;
  return rereadSecretFile({
    file,
    read: () => readHttpToken({ file, fileName: label }) ?? '',
    logger,
    messages: {
      taken: 'the HTTP token file holds another token: taking it',
      kept: 'the HTTP token file changed and holds no usable token: keeping the token read before',
    },
  });
}
