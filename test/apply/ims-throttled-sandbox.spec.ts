import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAepClient } from '../../src/aep/client.js';
import type { RefusedSandbox } from '../../src/apply/hold-refused-sandboxes.js';
import { authenticateFor } from '../../src/apply/step-tokens.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { plan } from '../../src/plan/plan.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { EMPTY, options } from '../helpers/planning.js';
import { PARTNER } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A controller of two orgs whose token requests IMS throttles for one of them (429 with a
 * Retry-After longer than retry.maxRetryAfterMs) holds that sandbox's steps, as it holds a
 * sandbox whose credentials IMS refuses. They were held with the refusal's words ("no token ...;
 * its steps are applied once IMS accepts its credentials"): the credentials are fine, and nothing
 * a person changes in them helps; what helps is waiting until the time IMS gave. The hold says
 * throttled, with that time; a refusal keeps its words.
 */
const ASKED_S = 600;

/** IMS in front of the emulator's: `answer` decides for each token request, by its client id. */
type ImsAnswer = { status: number; headers: Record<string, string>; body: unknown };

async function imsFront(
  imsUrl: string,
  answer: (clientId: string) => ImsAnswer | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = Buffer.concat(chunks).toString('utf8');
      const replaced = answer(new URLSearchParams(form).get('client_id') ?? '');
      if (replaced !== undefined) {
        response.writeHead(replaced.status, { 'content-type': 'application/json', ...replaced.headers });
        response.end(JSON.stringify(replaced.body));
        return;
      }
      void fetch(imsUrl, {
        method: 'POST',
        headers: { 'content-type': request.headers['content-type'] ?? '' },
        body: form,
      }).then(async (forwarded) => {
        response.writeHead(forwarded.status, { 'content-type': 'application/json' });
        response.end(await forwarded.text());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ims/token/v3`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const throttled: ImsAnswer = {
  status: 429,
  headers: { 'retry-after': String(ASKED_S) },
  body: { error: 'too_many_requests', error_description: 'Too many token requests.' },
};
const refused: ImsAnswer = {
  status: 401,
  headers: {},
  body: { error: 'invalid_client', error_description: 'invalid client_secret parameter' },
};

const unavailable: ImsAnswer = {
  status: 503,
  headers: {},
  body: { error: 'temporarily_unavailable', error_description: 'IMS is down for maintenance' },
};

async function heldPartner(answer: ImsAnswer) {
  let held:
    { blocked: string | undefined; refusals: RefusedSandbox[]; before: number; after: number } | undefined;
  await withEmulator({ clients: [DEMO_CLIENT, PARTNER] }, async (emulator) => {
    const ims = await imsFront(emulator.imsUrl, (clientId) =>
      clientId === PARTNER.clientId ? answer : undefined,
    );
    try {
      const client = createAepClient({
        baseUrl: emulator.apiBaseUrl,
        imsUrl: ims.url,
        sandboxes: { prod: { credentials: DEMO_CLIENT }, partner: { credentials: PARTNER } },
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 },
      });
      const desired = loadTexts({
        'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
        'pgold.yaml': manifestYaml('pgold', {
          metadata: { sandbox: 'partner' },
          ingestion: { onCreate: false },
        }),
      });
      const refusals: RefusedSandbox[] = [];
      const before = Date.now();
      const { plan: planned } = await authenticateFor(plan(desired, EMPTY, options()), {
        client,
        sandboxTokenRefused: (refusal) => refusals.push(refusal),
      });
      const after = Date.now();
      expect(planned.steps.find((s) => s.sandbox === 'prod')?.blocked).toBeUndefined();
      held = {
        blocked: planned.steps.find((s) => s.sandbox === 'partner')?.blocked,
        refusals,
        before,
        after,
      };
    } finally {
      await ims.close();
    }
  });
  if (held === undefined) throw new Error('no plan');
  return held;
}

describe('a sandbox of a multi-org controller whose token requests IMS throttles', () => {
  it('is held as throttled, until the time IMS gave, not as refused', async () => {
    const { blocked, refusals, before, after } = await heldPartner(throttled);
    expect(refusals.map((r) => r.sandbox)).toEqual(['partner']);
    expect(blocked).toMatch(
      /^held: IMS throttled the token requests for sandbox "partner" \(HTTP 429\) until /,
    );
    expect(blocked).not.toMatch(/accepts its credentials|no token for sandbox/);
    const until = Date.parse(/ until (\S+Z)/.exec(blocked ?? '')?.[1] ?? '');
    expect(until).toBeGreaterThanOrEqual(before + ASKED_S * 1000 - 1000);
    expect(until).toBeLessThanOrEqual(after + ASKED_S * 1000 + 1000);
    expect(blocked).toContain('its steps are applied once that wait is over');
  });

  it('one whose credentials IMS refuses keeps the refusal words', async () => {
    const { blocked } = await heldPartner(refused);
    expect(blocked).toMatch(/^held: no token for sandbox "partner" \(IMS refused the client secret/);
    expect(blocked).toContain('its steps are applied once IMS accepts its credentials');
  });

  it('one IMS cannot answer (503) is held as unavailable, sending no one to the credentials', async () => {
    // The credentials are fine there too: a 5xx is IMS's own failure (tokenHoldOf 'unavailable').
    const { blocked, refusals } = await heldPartner(unavailable);
    expect(refusals.map((r) => r.sandbox)).toEqual(['partner']);
    expect(blocked).toMatch(/^held: no token for sandbox "partner" \(/);
    expect(blocked).not.toContain('credentials');
    expect(blocked).toContain('its steps are applied once IMS gives its token');
  });
});
