/**
 * `npm run bench:emulator`: requests per second the emulator sustains on loopback for
 * operation lookups and for creates, measured with autocannon. The emulator runs in a child
 * process so that the load generator does not share its event loop.
 *
 * Environment: BENCH_DURATION (seconds per scenario, default 10), BENCH_CONNECTIONS (default 50).
 * Target (issue 4): at least 5,000 lookups/s, so the emulator is never the bottleneck when the
 * reconciler is measured. The exit code is 1 when the target is missed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type EmulatorCounters } from '../src/emulator/index.js';

const TARGET_LOOKUPS_PER_SECOND = 5000;
const DURATION_SECONDS = Number(process.env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);

type ServerMessage = { url: string; baselineUrl: string } | { counters: EmulatorCounters };

/**
 * The child: an emulator tuned for load (no rate limit, no guardrail on audiences), and a bare
 * fastify route answering the same operation body without any work, as the ceiling of this
 * machine for such requests, so the figures can be read on a busy host.
 */
async function serve(): Promise<void> {
  const emulator = await startEmulator({
    port: 0,
    operationDelayMs: 0,
    requestLogSize: 1000,
    guardrails: { audiencesPerSandbox: 10_000_000 },
  });
  const baseline = Fastify();
  let body: unknown;
  baseline.get('/ping', () => {
    body ??= emulator.control.listOperations(DEMO_CLIENT.orgId, DEMO_SANDBOX)[0];
    return body;
  });
  const baselineUrl = await baseline.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (message) => {
    if (message === 'counters') process.send?.({ counters: emulator.control.counters() });
    if (message === 'stop') {
      void Promise.all([emulator.close(), baseline.close()]).then(() => process.exit(0));
    }
  });
  process.send?.({ url: emulator.url, baselineUrl });
}

function nextMessage(child: ChildProcess): Promise<ServerMessage> {
  return once(child, 'message').then(([message]) => message as ServerMessage);
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  return (await response.json()) as Record<string, unknown>;
}

type Scenario = { name: string; method: 'GET' | 'POST'; path: string; body?: () => string };

type Figures = {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
};

async function measure(url: string, headers: Record<string, string>, scenario: Scenario): Promise<Figures> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    requests: [
      {
        method: scenario.method,
        path: scenario.path,
        headers,
        ...(scenario.body ? { setupRequest: (request) => ({ ...request, body: scenario.body?.() }) } : {}),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

function line(label: string, scenario: Scenario, figures: Figures): string {
  const rate = Math.round(figures.requestsPerSecond).toLocaleString('en-US');
  return (
    `  ${label.padEnd(18)}${`${scenario.method} ${scenario.path.replace(/[0-9a-f-]{36}/, '{id}')}`.padEnd(60)}` +
    `${rate.padStart(8)} req/s   p50 ${figures.p50} ms   p99 ${figures.p99} ms   ` +
    `non-2xx ${figures.non2xx}   errors ${figures.errors}`
  );
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage(child);
    if (!('url' in ready)) throw new Error('The emulator did not start');
    const { url, baselineUrl } = ready;
    const token = await json(`${url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEMO_CLIENT.clientId,
        client_secret: DEMO_CLIENT.clientSecret,
      }),
    });
    const headers = {
      authorization: `Bearer ${String(token['access_token'])}`,
      'x-api-key': DEMO_CLIENT.clientId,
      'x-gw-ims-org-id': DEMO_CLIENT.orgId,
      'x-sandbox-name': DEMO_SANDBOX,
      'content-type': 'application/json',
    };
    const template = {
      description: 'benchmark audience',
      fields: [
        { name: 'email', type: 'string', identityNs: 'email' },
        { name: 'tier', type: 'string', labels: ['core/C2'] },
      ],
      sourceSpec: { params: { path: 'bench/audience.csv', type: 'file', sourceType: 'Cloud Storage' } },
      ttlInDays: '40',
      labels: ['core/C1'],
      audienceType: 'people',
      originName: 'CUSTOM_UPLOAD',
    };
    const created = await json(`${url}/data/core/ais/external-audience/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...template, name: 'Lookup target' }),
    });
    let sequence = 0;
    const lookup: Scenario = {
      name: 'lookups',
      method: 'GET',
      path: `/data/core/ais/external-audiences/operations/${String(created['operationId'])}`,
    };
    const create: Scenario = {
      name: 'creates',
      method: 'POST',
      path: '/data/core/ais/external-audience/',
      body: () => JSON.stringify({ ...template, name: `Bench audience ${(sequence += 1)}` }),
    };

    process.stdout.write(
      `Emulator benchmark: loopback, Node ${process.version}, ${CONNECTIONS} connections, ${DURATION_SECONDS} s per scenario\n`,
    );
    const ping: Scenario = { name: 'baseline', method: 'GET', path: '/ping' };
    const ceiling = await measure(baselineUrl, headers, ping);
    process.stdout.write(`${line('bare fastify', ping, ceiling)}   (same headers and body, no work)\n`);
    const lookups = await measure(url, headers, lookup);
    process.stdout.write(`${line('operation lookups', lookup, lookups)}\n`);
    const creates = await measure(url, headers, create);
    process.stdout.write(`${line('creates', create, creates)}\n`);

    child.send('counters');
    const counted = await nextMessage(child);
    if ('counters' in counted) {
      const { byEndpoint } = counted.counters;
      process.stdout.write(
        `  emulator counted ${byEndpoint.getOperation.requests.toLocaleString('en-US')} lookups, ` +
          `${byEndpoint.createAudience.requests.toLocaleString('en-US')} creates\n`,
      );
    }
    const met =
      lookups.requestsPerSecond >= TARGET_LOOKUPS_PER_SECOND && lookups.non2xx === 0 && lookups.errors === 0;
    process.stdout.write(
      `Target: >= ${TARGET_LOOKUPS_PER_SECOND.toLocaleString('en-US')} lookups/s without errors: ${met ? 'met' : 'MISSED'}\n`,
    );
    if (!met) process.exitCode = 1;
  } finally {
    child.send('stop');
    await once(child, 'exit');
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
