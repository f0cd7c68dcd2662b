import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { UsageError } from '../errors.js';
import type { DaemonStatusProvider, WebhookTarget } from './types.js';
import { decideWebhook } from './webhook.js';

export type HttpServerOptions = {
  /** Interface to bind. Default `0.0.0.0` (in a pod); tests use `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  status: DaemonStatusProvider;
  /** Registry served on /metrics; without it /metrics is 404. */
  metrics?: Registry;
  /** Without it POST /webhook is 404: no secret, no webhook. */
  webhook?: WebhookTarget;
  /** Largest webhook body accepted. Default 5 MiB (GitHub caps payloads at 25 MB; pushes are far smaller). */
  webhookBodyLimit?: number;
  /** Default: silent. Request bodies and headers are never logged. */
  logger?: Logger;
};

export type DaemonHttpServer = {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  close(): Promise<void>;
};

/** Reads `AUDIENCECTL_LISTEN`: `8080`, `:8080`, `127.0.0.1:8080` or `[::]:8080`. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65_535) {
    throw new UsageError(
      'LISTEN_INVALID',
      `listen address ${JSON.stringify(text)} must look like 0.0.0.0:8080 or :8080`,
    );
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function registerWebhook(app: FastifyInstance, target: WebhookTarget, bodyLimit: number, log: Logger): void {
  // An encapsulated scope whose only parser keeps the body as raw bytes: the HMAC
  // covers the exact bytes GitHub sent, which JSON parsing would not preserve.
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
      const decision = decideWebhook(target.secret, target.branch, {
        body,
        signature: header('x-hub-signature-256'),
        event,
        contentType: header('content-type'),
      });
      if (decision.action === 'reject') {
        log.warn({ event, deliveryId, status: decision.status, reason: decision.reason }, 'webhook rejected');
        return reply.code(decision.status).send({ error: decision.reason });
      }
      if (decision.action === 'ignore') {
        log.info({ event, deliveryId, reason: decision.reason, ref: decision.ref }, 'webhook ignored');
        return reply.code(200).send({ action: 'ignored', reason: decision.reason });
      }
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

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send(`${what}\n`);
}

/** Builds the app without listening (the daemon and tests call `startHttpServer`). */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'http' });
  // Fastify's own request logging is off: our handlers log fixed messages with
  // chosen fields, so no header or body can reach the logs.
  const app = Fastify({ logger: false, return503OnClosing: true });
  const { status } = options;

  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const readiness = status.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  app.get('/status', (_request, reply) => reply.send(status.status()));
  app.get('/plan', (_request, reply) => {
    const markdown = status.planMarkdown();
    if (markdown === undefined) return notFound(reply, 'No plan has been computed yet.');
    return reply.type('text/markdown; charset=utf-8').send(markdown);
  });
  app.get('/metrics', async (_request, reply) => {
    if (!options.metrics) return notFound(reply, 'Metrics are disabled.');
    return reply.type(options.metrics.contentType).send(await options.metrics.metrics());
  });
  if (options.webhook)
    registerWebhook(app, options.webhook, options.webhookBodyLimit ?? 5 * 1024 * 1024, log);

  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const code = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (code === 500) log.error({ err: error.message }, 'http handler failed');
    return reply.code(code).send({ error: code === 500 ? 'internal error' : error.message });
  });
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<DaemonHttpServer> {
  const app = buildHttpServer(options);
  await app.listen({ host: options.host ?? '0.0.0.0', port: options.port ?? 8080 });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, port: address.port, close: () => app.close() };
}
