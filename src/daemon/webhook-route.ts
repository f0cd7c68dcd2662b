import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebhookTarget } from './types.js';
import { COMMIT_ID } from '../state/commit-id.js';
import {
  BAD_SIGNATURE,
  decideWebhook,
  DeliveryLog,
  digestMatches,
  refuseBeforeBody,
  type WebhookRejection,
} from './webhook.js';
import {
  BodyBudget,
  DEFAULT_WEBHOOK_BODIES_KEPT,
  receiveWebhookBody,
  type ReceivedBody,
} from './webhook-body.js';

/** Largest webhook body accepted by default: 5 MiB (GitHub caps payloads at 25 MB; pushes are far smaller). */
export const DEFAULT_WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;

/** A pushed commit: not a branch's deletion (all zeros), not absent. */
function isCommit(after: string | undefined): after is string {
  return after !== undefined && COMMIT_ID.test(after) && !/^0+$/.test(after);
}

/** The verified body's bytes, or nothing when refused or not kept; `request.body` holds a ReceivedBody. */
function receivedOf(body: unknown): ReceivedBody | undefined {
  return typeof body === 'object' && body !== null && 'digest' in body ? (body as ReceivedBody) : undefined;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Longest part of a refused request's event or delivery header logged (GitHub's are under 40). */
const LOGGED_HEADER_CHARACTERS = 64;

/**
 * A header of a request nobody has verified, as logged: anyone reaching /webhook chooses it, and
 * Node accepts 16 KB of headers, so it is cut, saying how long it was.
 */
function loggedHeader(request: FastifyRequest, name: string): string | undefined {
  const value = headerOf(request, name);
  if (value === undefined || value.length <= LOGGED_HEADER_CHARACTERS) return value;
  return `${value.slice(0, LOGGED_HEADER_CHARACTERS)}… (${value.length} characters)`;
}

/** Answers a refused delivery with its status, logged as `webhook rejected`. */
function reject(request: FastifyRequest, reply: FastifyReply, log: Logger, rejection: WebhookRejection) {
  const { status, reason } = rejection;
  const event = loggedHeader(request, 'x-github-event');
  log.warn(
    { event, deliveryId: loggedHeader(request, 'x-github-delivery'), status, reason },
    'webhook rejected',
  );
  return reply.code(status).send({ error: reason });
}

/**
 * POST /webhook in an encapsulated scope whose only parser hashes the raw bytes as they arrive:
 * the HMAC covers the exact bytes GitHub sent, which JSON parsing would not preserve. A request
 * that cannot be signed is refused from its headers; the bytes kept of bodies being received are
 * bounded by `budget`, so requests without the secret hold little memory however many arrive.
 * A verified push whose delivery id was already seen is acknowledged and ignored.
 */
export function registerWebhook(
  app: FastifyInstance,
  target: WebhookTarget,
  bodyLimit: number,
  log: Logger,
  deliveries = new DeliveryLog(),
  budget = new BodyBudget(Math.max(DEFAULT_WEBHOOK_BODIES_KEPT, bodyLimit)),
): void {
  const current = target.secret;
  // Read once per delivery (a file rotated meanwhile is taken at the next), and the body's
  // hash and the decision use that one secret.
  const secrets = new WeakMap<FastifyRequest, string>();
  const secretOf = (request: FastifyRequest): string => {
    const held = secrets.get(request);
    if (held !== undefined) return held;
    const secret = typeof current === 'string' ? current : current();
    secrets.set(request, secret);
    return secret;
  };
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, parsed) => {
      const length = headerOf(request, 'content-length');
      const declared = length === undefined ? undefined : Number(length);
      receiveWebhookBody(
        payload,
        { secret: secretOf(request), declared, limit: bodyLimit, budget },
        (outcome) => {
          if ('received' in outcome) return parsed(null, outcome.received);
          return parsed(Object.assign(new Error(outcome.reason), { statusCode: outcome.refused }), undefined);
        },
      );
    });
    scope.addHook('onRequest', (request, reply, next) => {
      const refused = refuseBeforeBody({
        signature: headerOf(request, 'x-hub-signature-256'),
        event: headerOf(request, 'x-github-event'),
      });
      if (refused === undefined) return next();
      return reject(request, reply, log, refused);
    });
    // The kept bytes go back to the budget once the answer is sent (or the client went away).
    const release = (request: FastifyRequest, _reply: unknown, next: () => void) => {
      receivedOf(request.body)?.release();
      next();
    };
    scope.addHook('onResponse', release);
    scope.addHook('onRequestAbort', (request, next) => release(request, undefined, next));
    scope.post('/webhook', (request, reply) => {
      const header = (name: string) => headerOf(request, name);
      const received = receivedOf(request.body);
      const deliveryId = header('x-github-delivery');
      const event = header('x-github-event');
      const signature = header('x-hub-signature-256');
      if (received !== undefined && received.body === undefined) {
        // Not kept: others filled the budget. Unsigned, it is refused as any unsigned body is;
        // signed, GitHub does not retry, and the push is seen at the next poll of the branch
        // (--interval) or a redelivery.
        if (!digestMatches(received.digest, signature)) return reject(request, reply, log, BAD_SIGNATURE);
        log.warn({ event, deliveryId, status: 503 }, 'webhook refused: too many bodies being received');
        return reply
          .code(503)
          .header('retry-after', '10')
          .send({ error: 'too many webhook bodies being received at once; redeliver later' });
      }
      // No body at all (Content-Length 0): nothing was parsed; an empty body is decided as such.
      const body = received?.body ?? Buffer.alloc(0);
      const decision = decideWebhook(
        secretOf(request),
        target.branch,
        { body, signature, event, contentType: header('content-type') },
        target.repository,
      );
      // Decided: the body is no longer needed, and its bytes go back before the answer is sent.
      received?.release();
      if (decision.action === 'reject') return reject(request, reply, log, decision);
      // Remembered only once the signature is verified: nobody without the secret can
      // fill the log, or make a real delivery look like a replay.
      const replayed = () => {
        if (deliveries.firstTime(deliveryId)) return false;
        log.info({ event, deliveryId, reason: 'duplicate' }, 'webhook ignored');
        return true;
      };
      if (decision.action === 'ignore' && decision.reason === 'other-repository') {
        const { ref, after, repository } = decision;
        if (target.onOtherRepository && ref === `refs/heads/${target.branch}` && isCommit(after)) {
          if (replayed()) return reply.code(200).send({ action: 'ignored', reason: 'duplicate' });
          log.info(
            { event, deliveryId, ref, after, repository },
            'webhook push names another repository: checking whether the followed one is at its commit',
          );
          target.onOtherRepository({ ref, after, deliveryId, repository });
          return reply.code(202).send({ action: 'check', reason: 'other-repository' });
        }
      }
      if (decision.action === 'ignore') {
        const named = decision.reason === 'other-repository' ? { repository: decision.repository } : {};
        log.info(
          { event, deliveryId, reason: decision.reason, ref: decision.ref, ...named },
          'webhook ignored',
        );
        return reply.code(200).send({ action: 'ignored', reason: decision.reason });
      }
      if (replayed()) return reply.code(200).send({ action: 'ignored', reason: 'duplicate' });
      log.info(
        { event, deliveryId, ref: decision.ref, after: decision.after },
        'webhook push: sync triggered',
      );
      target.onPush({ ref: decision.ref, after: decision.after, deliveryId });
      return reply.code(202).send({ action: 'sync' });
    });
    done();
  });
}
