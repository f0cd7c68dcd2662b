import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EmulatorContext } from './context.js';
import { serviceNow } from './service-context.js';

/** The form IMS reads; `scope` is accepted and ignored (every client gets the same access). */
export const TokenRequest = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenRequest = z.infer<typeof TokenRequest>;

export type TokenResponse = { access_token: string; token_type: 'bearer'; expires_in: number };
export type ImsErrorBody = { error: string; error_description: string };

class ImsError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

function sendImsError(reply: FastifyReply, error: ImsError): void {
  const body: ImsErrorBody = { error: error.error, error_description: error.message };
  void reply.code(error.status).send(body);
}

/** `POST /ims/token/v3`: OAuth server-to-server (client credentials), answered as IMS does. */
export function imsRoutes(context: EmulatorContext) {
  return async function register(ims: FastifyInstance): Promise<void> {
    await ims.register(formbody);
    ims.setErrorHandler((_error, request, reply) => {
      request.emu.errorCode = 'invalid_request';
      sendImsError(reply, new ImsError(400, 'invalid_request', 'The request could not be read.'));
    });

    ims.post('/ims/token/v3', { config: { endpoint: 'imsToken' } }, (request, reply) => {
      try {
        void reply.send(issue(context, request.headers['content-type'], request.body));
      } catch (error) {
        if (!(error instanceof ImsError)) throw error;
        request.emu.errorCode = error.error;
        sendImsError(reply, error);
      }
    });
  };
}

function issue(context: EmulatorContext, contentType: string | undefined, body: unknown): TokenResponse {
  if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new ImsError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
  }
  const form = TokenRequest.safeParse(body ?? {});
  if (!form.success) throw new ImsError(400, 'invalid_request', 'The form parameters must be single values.');
  const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = form.data;
  if (!grantType) throw new ImsError(400, 'invalid_request', 'missing grant_type parameter');
  if (grantType !== 'client_credentials') {
    throw new ImsError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  if (!clientId) throw new ImsError(400, 'invalid_request', 'missing client_id parameter');
  const client = context.clients.get(clientId);
  if (!client) throw new ImsError(400, 'invalid_client', 'invalid client_id parameter');
  if (!clientSecret) throw new ImsError(400, 'invalid_request', 'missing client_secret parameter');
  if (clientSecret !== client.clientSecret) {
    throw new ImsError(401, 'invalid_client', 'invalid client_secret parameter');
  }
  const lifetime = context.runtime.settings.tokenLifetimeSeconds;
  return {
    access_token: context.signer.issue(client, lifetime, serviceNow(context.runtime)),
    token_type: 'bearer',
    expires_in: lifetime,
  };
}
