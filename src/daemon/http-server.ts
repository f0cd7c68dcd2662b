import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { UsageError } from '../errors.js';
import { redactText } from '../text/secrets.js';
import { escapeJsonText } from '../text/safe-text.js';
import { failedBeforePlanning } from './failed-before-planning.js';
import { hasBearer, requireBearer, type HttpToken } from './http-auth.js';
import { DEFAULT_HTTP_LIMITS, fastifyLimitOptions, type HttpLimits } from './http-limits.js';
import type { DaemonStatusProvider, WebhookTarget } from './types.js';
import { DEFAULT_WEBHOOK_BODY_LIMIT, registerWebhook } from './webhook-route.js';

export type HttpServerOptions = {
  /** Interface to bind. Default `0.0.0.0` (in a pod); tests use `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /**
   * Serves /readyz, /status, /plan (and /metrics). Without it the server has only the
   * webhook and /healthz: the separate listener of `--webhook-listen`.
   */
  status?: DaemonStatusProvider | undefined;
  /** Registry served on /metrics; without it /metrics is 404. */
  metrics?: Registry | undefined;
  /** Without it POST /webhook is 404: no secret, no webhook. */
  webhook?: WebhookTarget | undefined;
  /** Largest webhook body accepted. Default 5 MiB. */
  webhookBodyLimit?: number;
  /**
   * When set, /status, /plan and /metrics need `Authorization: Bearer <token>`; the probes stay
   * open. A function is asked at each request (a token file read again when it changes).
   */
  authToken?: string | HttpToken | undefined;
  /** Timeouts and connection caps; each defaults to DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpLimits>;
  /** Default: silent. Request bodies and headers are never logged. */
  logger?: Logger;
};

export type DaemonHttpServer = {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  close(): Promise<void>;
};

/**
 * Reads `--listen` (`AUDIENCECTL_LISTEN`) or the `flag` named: `8080`, `:8080`,
 * `127.0.0.1:8080` or `[::]:8080`.
 */
export function parseListenAddress(text: string, flag = '--listen'): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) {
    throw new UsageError(
      'LISTEN_INVALID',
      `${flag}: ${JSON.stringify(text)} is not a listen address: give host:port, :port or port, with a port from 0 to 65535 (e.g. 0.0.0.0:8080 or :8080)`,
    );
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send(`${what}\n`);
}

/**
 * Why no pass published a plan yet, when the last one failed: every pass so far failed before it
 * planned (the store unreadable, IMS refusing the credentials), which a bare "not computed yet"
 * read as a controller that had not tried. As /plan says of a later pass (plan-outcome.ts).
 */
function whyNoPlan(status: DaemonStatusProvider): string {
  const why = failedBeforePlanning(status.status().reconcile);
  return why === null ? '' : `: ${why}`;
}

function registerStatusRoutes(
  app: FastifyInstance,
  options: HttpServerOptions,
  status: DaemonStatusProvider,
): void {
  // Probes stay open (the kubelet sends no token); what shows the state needs the token.
  const guarded = options.authToken === undefined ? {} : { onRequest: requireBearer(options.authToken) };
  const token = options.authToken;
  const current = typeof token === 'string' ? () => token : token;
  app.get('/readyz', (request, reply) => {
    const readiness = status.readiness();
    if (readiness.ready) return reply.code(200).send({ ready: true });
    // The kubelet reads the status code alone. The reason quotes the error of a sync or of IMS
    // (the repository's URL, a host, a path), which the token keeps to /status: a request
    // without it is told the error's code, and where its message is.
    const told =
      current === undefined || hasBearer(request.headers.authorization, current())
        ? readiness.reason
        : `${readiness.brief} (its message: GET /status, with the HTTP token)`;
    return reply.code(503).send({ ready: false, reason: told });
  });
  app.get('/status', guarded, (_request, reply) => reply.send(status.status()));
  app.get('/plan', guarded, (_request, reply) => {
    const markdown = status.planMarkdown();
    if (markdown === undefined)
      return notFound(reply, redactText(`No plan has been computed yet${whyNoPlan(status)}.`));
    return reply.type('text/markdown; charset=utf-8').send(redactText(markdown));
  });
  app.get('/metrics', guarded, async (_request, reply) => {
    if (!options.metrics) return notFound(reply, 'Metrics are disabled.');
    return reply.type(options.metrics.contentType).send(await options.metrics.metrics());
  });
}

/** Builds the app without listening (the daemon and tests call `startHttpServer`). */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'http' });
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  // Fastify's own request logging is off: our handlers log fixed messages with
  // chosen fields, so no header or body can reach the logs.
  // On close every connection is cut, a request still being received too: one client sending a
  // body a byte at a time held a SIGTERM shutdown until the request timeout, past the grace period.
  const app = Fastify({
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...fastifyLimitOptions(limits),
  });
  // Connections past the cap are closed as they arrive, before any byte is read.
  app.server.maxConnections = limits.maxConnections;
  // /status quotes manifest values and the service's messages: JSON escapes controls, and
  // this escapes what JSON.stringify leaves raw (bidi, zero-width), which a browser would act on.
  // Registered secrets are scrubbed here, as on the log stream, whatever message carried them.
  app.setReplySerializer((payload) => escapeJsonText(redactText(JSON.stringify(payload))));
  // Liveness, open and saying nothing, on every listener: a load balancer or ingress in front of
  // the webhook's own port (--webhook-listen) health-checks a GET path on that port.
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  if (options.status) registerStatusRoutes(app, options, options.status);
  if (options.webhook)
    registerWebhook(app, options.webhook, options.webhookBodyLimit ?? DEFAULT_WEBHOOK_BODY_LIMIT, log);

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
