import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { WebhookTarget } from './types.js';
import { COMMIT_ID } from '../state/commit-id.js';
import { decideWebhook, DeliveryLog } from './webhook.js';

/** Largest webhook body accepted by default: 5 MiB (GitHub caps payloads at 25 MB; pushes are far smaller). */
export const DEFAULT_WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;

/** A pushed commit: not a branch's deletion (all zeros), not absent. */
function isCommit(after: string | undefined): after is string {
  return after !== undefined && COMMIT_ID.test(after) && !/^0+$/.test(after);
}

/**
 * POST /webhook in an encapsulated scope whose only parser keeps the body as raw bytes:
 * the HMAC covers the exact bytes GitHub sent, which JSON parsing would not preserve.
 * A verified push whose delivery id was already seen is acknowledged and ignored.
 */
export function registerWebhook(
  app: FastifyInstance,
  target: WebhookTarget,
  bodyLimit: number,
  log: Logger,
  deliveries = new DeliveryLog(),
): void {
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, parsed) =>
      parsed(null, body),
    );
    scope.post('/webhook', (request, reply) => {
      const header = (name: string) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const deliveryId = header('x-github-delivery');
      const event = header('x-github-event');
      const decision = decideWebhook(
        target.secret,
        target.branch,
        { body, signature: header('x-hub-signature-256'), event, contentType: header('content-type') },
        target.repository,
      );
      if (decision.action === 'reject') {
        log.warn({ event, deliveryId, status: decision.status, reason: decision.reason }, 'webhook rejected');
        return reply.code(decision.status).send({ error: decision.reason });
      }
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
