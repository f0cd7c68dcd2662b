import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validationError } from './errors.js';

/**
 * The page's PATCH and run samples send JSON with curl's `-d` and no Content-Type, i.e. as
 * `application/x-www-form-urlencoded`: the service reads JSON whatever the declared type,
 * and an empty body is no body.
 */
export function acceptJsonWhateverTheContentType(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(
    '*',
    { parseAs: 'string' },
    (
      _request: FastifyRequest,
      body: string | Buffer,
      done: (error: Error | null, body?: unknown) => void,
    ) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(validationError([{ path: 'body', message: `is not valid JSON (${(error as Error).message})` }]));
      }
    },
  );
}
