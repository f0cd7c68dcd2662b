import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UsageError } from '../errors.js';
import { readSecretFileText } from '../files/read-secret-file.js';

/** A shorter token is guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_HTTP_TOKEN_LENGTH = 16;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when the request carries `Authorization: Bearer <token>`. Both sides are hashed
 * first, so the comparison takes the same time whatever the lengths and wherever they differ.
 */
export function hasBearer(header: string | undefined, token: string): boolean {
  const given = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The bearer token a request must carry, as it is now: asked at each request, so a token file
 * rotated under a running controller is taken (httpTokenFile, http-token-file.ts).
 */
export type HttpToken = () => string;

/** A fastify onRequest hook: 401 unless the request carries the bearer token. */
export function requireBearer(token: string | HttpToken) {
  const current = typeof token === 'string' ? () => token : token;
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (hasBearer(request.headers.authorization, current())) {
      done();
      return;
    }
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="audiencectl"')
      .send({ error: 'this endpoint needs Authorization: Bearer <token> (the controller HTTP token)' });
  };
}

/**
 * The HTTP token of `audiencectl run`: `--http-token-file <file>` or the token itself
 * (`AUDIENCECTL_HTTP_TOKEN`, `--http-token`), not both; undefined when neither is given.
 * A path that names no file is not repeated (a token pasted there would be printed).
 */
export function readHttpToken(given: {
  token?: string | undefined;
  file?: string | undefined;
  /** How the file was given, named in its errors: default `--http-token-file` (or `AUDIENCECTL_HTTP_TOKEN_FILE`). */
  fileName?: string;
  /** How the token was given: default `--http-token` (or `AUDIENCECTL_HTTP_TOKEN`). */
  tokenName?: string;
}): string | undefined {
  const fileName = given.fileName ?? '--http-token-file';
  const tokenName = given.tokenName ?? '--http-token';
  // The two names as given: a variable the user never set is not what to take away.
  if (given.token !== undefined && given.file !== undefined)
    throw new UsageError(
      'HTTP_TOKEN',
      `give the HTTP token either with ${fileName} or ${tokenName}, not both`,
    );
  // A FIFO, a directory or a device is refused, naming the flag, without reading it.
  const token =
    given.file === undefined ? given.token : readSecretFileText(given.file, fileName, 'HTTP_TOKEN');
  if (token === undefined) return undefined;
  const trimmed = token.trim();
  // Named as given (an empty AUDIENCECTL_HTTP_TOKEN, a Secret's key left blank, said no setting).
  if (trimmed.length < MIN_HTTP_TOKEN_LENGTH || /\s/.test(trimmed))
    throw new UsageError(
      'HTTP_TOKEN',
      `${given.file === undefined ? tokenName : fileName}: the HTTP token must be at least ${MIN_HTTP_TOKEN_LENGTH} characters without blanks (try: openssl rand -hex 32)`,
    );
  return trimmed;
}
