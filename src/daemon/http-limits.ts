import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';

/**
 * How long and how many: what keeps a slow or flooding client from holding the
 * controller's sockets and file descriptors. Fixed defaults for now (docs/controller.md
 * lists them); tests pass small values.
 */
export type HttpLimits = {
  /** Time to receive the request headers. Default 10 s. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (a body sent a byte at a time). Default 30 s. */
  requestTimeoutMs: number;
  /** A socket with no traffic at all is closed after this. Default 60 s. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. Default 5 s. */
  keepAliveTimeoutMs: number;
  /** How often the timeouts above are checked (node's connectionsCheckingInterval). Default 1 s. */
  checkIntervalMs: number;
  /** Connections open at once; more are closed as they arrive. Default 256. */
  maxConnections: number;
  /** Requests served on one keep-alive connection before it is closed. Default 100. */
  maxRequestsPerSocket: number;
};

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxConnections: 256,
  maxRequestsPerSocket: 100,
};

/** The fastify (and node http) options that enforce `limits`; maxConnections is set on the server. */
export function fastifyLimitOptions(limits: HttpLimits): FastifyHttpOptions<Server> {
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    // Read by node when the server is created: the headers deadline and the check interval.
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
  };
}
