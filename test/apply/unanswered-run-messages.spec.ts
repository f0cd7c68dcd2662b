import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { executorEnv, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// A run request whose answer never came (a gateway's 504, a killed apply) is kept on the record
// once settled as having started no run (unansweredRun), and the run it starts late is adopted
// by the next run step as that request's. The messages said only "the next apply asks again" /
// "the plan asks again if still needed": a user expected a second run, or started one by hand,
// or settled it with --no-run. They now say a run it still starts is adopted (review crash-43, L-1).

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const asked = manifestObject('gold', { ingestion: { onCreate: false, request: 'backfill-1' } });
const RUN_POST = /\/external-audience\/[^/]+\/runs$/;

/** In front of the emulator: the first run POST is kept from the service and answered 504. */
async function gateway(target: string) {
  let kept: { path: string; body: string } | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const body = Buffer.concat(chunks);
      if (kept === undefined && req.method === 'POST' && RUN_POST.test(url.split('?')[0]!)) {
        kept = { path: url.split('?')[0]!.replace('/data/core/ais', ''), body: body.toString() };
        res.writeHead(504, { 'content-type': 'text/html' }).end('<html>504 Gateway Time-out</html>');
        return;
      }
      const t = new URL(target);
      const out = httpRequest(
        {
          host: t.hostname,
          port: t.port,
          method: req.method,
          path: url,
          headers: { ...req.headers, host: t.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    kept: () => kept,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}: ${r.message}`);

describe('a run request whose answer never came, its run not listed yet', () => {
  it('answered 504: the step says a run it starts late is adopted by the next apply', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([gold]);
      const proxy = await gateway(env.emulator.url);
      try {
        const through = executorEnv(env.emulator, env.stateDir, proxy.url);
        const first = await through.apply([asked]);
        const message = first.report?.results[0]?.message ?? '';
        expect(statuses(first)?.[0]).toMatch(/^prod\/gold:run failed: /);
        // The request kept from the service: no run yet.
        expect(proxy.kept()).toBeDefined();
        expect(message).toMatch(/adopt/);
        // And so it is: the service starts it late, the next apply adopts it, no second run.
        const kept = proxy.kept()!;
        const late = await env.emulator.request('POST', kept.path, {
          body: JSON.parse(kept.body) as unknown,
        });
        expect(late.status).toBe(200);
        await env.apply([asked]);
        const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
        expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience!.audienceId)).toHaveLength(
          1,
        );
      } finally {
        await proxy.close();
      }
    });
  });

  it('a killed apply’s: the resume note says a run it starts late is adopted', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([gold]);
      const store = env.store();
      await store.lock();
      try {
        await store.beginIntent((await store.get('prod', 'gold'))!, 'run', {
          runReason: 'request:backfill-1',
        });
      } finally {
        await store.unlock();
      }
      let notes: string[] = [];
      await env.apply([asked], {
        review: (_plan, resumed) => {
          notes = resumed;
          return false;
        },
      });
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/adopt/);
    });
  });
});
