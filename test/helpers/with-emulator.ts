import { afterAll, beforeAll } from 'vitest';
import {
  DEMO_CLIENT,
  DEMO_SANDBOX,
  startEmulator,
  type EmulatorClient,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.js';

export type ApiResponse = { status: number; headers: Headers; body: unknown; text: string };

export type RequestOptions = {
  /** JSON-encoded unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  /** Default `prod`. */
  sandbox?: string;
  /** Default the emulator's first client (the demo client). */
  client?: EmulatorClient;
  /** Added to (or, with value undefined, removed from) the standard headers. */
  headers?: Record<string, string | undefined>;
  query?: Record<string, string | string[]>;
};

/** A running emulator plus the plumbing every test needs: tokens, headers, JSON requests. */
export type TestEmulator = RunningEmulator & {
  client: EmulatorClient;
  /** A token from the emulator's IMS for `client` (default the demo client), cached per client. */
  token(client?: EmulatorClient): Promise<string>;
  /** The four headers of an API call. */
  headers(options?: { sandbox?: string; client?: EmulatorClient }): Promise<Record<string, string>>;
  /** An API call; `path` is relative to the API base, e.g. `/external-audience/`. */
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Creates an audience and waits for its operation; returns the audience id. */
  createAudience(body: unknown, options?: { sandbox?: string; client?: EmulatorClient }): Promise<string>;
  /** Polls `GET path` until `done(body)` holds (default 5 s). */
  waitFor(
    path: string,
    done: (body: Record<string, unknown>) => boolean,
    options?: RequestOptions,
  ): Promise<Record<string, unknown>>;
};

async function readResponse(response: Response): Promise<ApiResponse> {
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function wrapEmulator(emulator: RunningEmulator): TestEmulator {
  const client = emulator.clients[0] ?? DEMO_CLIENT;
  const tokens = new Map<string, string>();

  async function token(forClient: EmulatorClient = client): Promise<string> {
    const cached = tokens.get(forClient.clientId);
    if (cached) return cached;
    const response = await fetch(emulator.imsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: forClient.clientId,
        client_secret: forClient.clientSecret,
        scope: 'openid,AdobeID,read_organizations',
      }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`IMS refused ${forClient.clientId}: ${JSON.stringify(body)}`);
    tokens.set(forClient.clientId, body.access_token);
    return body.access_token;
  }

  async function headers(options: { sandbox?: string; client?: EmulatorClient } = {}) {
    const forClient = options.client ?? client;
    return {
      authorization: `Bearer ${await token(forClient)}`,
      'x-api-key': forClient.clientId,
      'x-gw-ims-org-id': forClient.orgId,
      'x-sandbox-name': options.sandbox ?? DEMO_SANDBOX,
    };
  }

  async function request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const base: Record<string, string> = await headers({
      ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
      ...(options.client === undefined ? {} : { client: options.client }),
    });
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      base['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete base[name];
      else base[name] = value;
    }
    const url = new URL(`${emulator.apiBaseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, item);
    }
    return readResponse(await fetch(url, { method, headers: base, ...(body === undefined ? {} : { body }) }));
  }

  async function waitFor(
    path: string,
    done: (body: Record<string, unknown>) => boolean,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    // A guard against a hang, never a claim about speed: on a loaded machine a 5 s one
    // failed a case whose run was still settling. It says what it saw last.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await request('GET', path, options);
      const body = response.body as Record<string, unknown>;
      if (response.status === 200 && done(body)) return body;
      if (Date.now() > deadline) throw new Error(`Still waiting on ${path} after 60 s: ${response.text}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function createAudience(body: unknown, options: { sandbox?: string; client?: EmulatorClient } = {}) {
    const created = await request('POST', '/external-audience/', { ...options, body });
    if (created.status !== 202) throw new Error(`Create failed: ${created.status} ${created.text}`);
    const { operationId } = created.body as { operationId: string };
    const operation = await waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] !== 'PROCESSING',
      options,
    );
    if (operation['status'] !== 'SUCCESS') throw new Error(`Operation failed: ${JSON.stringify(operation)}`);
    return operation['audienceId'] as string;
  }

  return Object.assign(emulator, { client, token, headers, request, createAudience, waitFor });
}

/** Starts an emulator on a free loopback port for the duration of `fn`, then closes it. */
export async function withEmulator<T>(
  options: EmulatorOptions | undefined,
  fn: (emulator: TestEmulator) => Promise<T>,
): Promise<T> {
  const emulator = wrapEmulator(await startEmulator({ host: '127.0.0.1', port: 0, ...options }));
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

/**
 * One emulator for a whole `describe` block: started in beforeAll, closed in afterAll.
 * Call the returned function inside tests to get it.
 */
export function useEmulator(options?: EmulatorOptions): () => TestEmulator {
  let emulator: TestEmulator | undefined;
  beforeAll(async () => {
    emulator = wrapEmulator(await startEmulator({ host: '127.0.0.1', port: 0, ...options }));
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return () => {
    if (!emulator) throw new Error('useEmulator: the emulator is not started yet (call it inside a test)');
    return emulator;
  };
}

/** A valid create body (the shape of the reference page's sample), with a unique name by default. */
export function audienceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `Audience ${Math.random().toString(36).slice(2, 10)}`,
    description: 'A test audience',
    fields: [
      { name: 'email', type: 'string', identityNs: 'email' },
      { name: 'tier', type: 'string', labels: ['core/C2'] },
    ],
    sourceSpec: { path: 'crm/gold.csv', type: 'file', sourceType: 'Cloud Storage' },
    ttlInDays: 40,
    labels: ['core/C1'],
    audienceType: 'people',
    originName: 'CUSTOM_UPLOAD',
    ...overrides,
  };
}

/**
 * An audience a colleague made in the AEP UI of `emulator` (createdBy a person's AdobeID, so
 * never audiencectl's own), ready at once: audienceBody with `overrides`, in `sandbox`.
 */
export function colleagueAudience(
  emulator: RunningEmulator,
  overrides: Record<string, unknown>,
  sandbox = 'prod',
): ReturnType<RunningEmulator['control']['uiCreateAudience']> {
  const orgId = (emulator.clients[0] ?? DEMO_CLIENT).orgId;
  return emulator.control.uiCreateAudience(orgId, sandbox, audienceBody(overrides), 'colleague@AdobeID');
}
