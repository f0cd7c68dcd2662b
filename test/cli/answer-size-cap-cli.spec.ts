import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { audiencesByName, manifest, story } from '../helpers/cli-story.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// Review secrets-43 (last pass's known gap 1). The AEP/IMS client caps no answer body: an
// answer of any size (a proxy's, a misbehaving or hostile endpoint's, or a small gzip that
// inflates to gigabytes) is read whole into memory, then parsed. No page of the API comes near
// 48 MiB (40 external audiences a page, a token answer is a few hundred bytes): such an answer
// must be no answer (a failed call, in one line naming the endpoint), never read on.

const HOP = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'accept-encoding',
]);
const PAD = 48 * 1024 * 1024;

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The emulator over real HTTP; every 200 answer `pad` matches is sent as the emulator's JSON
 * followed by 48 MiB of blanks (still valid JSON), plain or gzipped (about 50 KiB on the wire).
 */
async function paddingProxy(
  emulator: TestEmulator,
  pad: (method: string, path: string) => boolean,
  encoding: 'identity' | 'gzip',
): Promise<{ url: string; padded: () => number; close: () => Promise<void> }> {
  let padded = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const url = new URL(request.url ?? '/', emulator.url);
      void fetch(url, {
        method,
        headers: forwardable(request.headers),
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
        redirect: 'manual',
      }).then(async (answer) => {
        let body = Buffer.from(await answer.arrayBuffer());
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (!HOP.has(name) && name !== 'content-encoding') headers[name] = value;
        });
        if (answer.status === 200 && pad(method, url.pathname)) {
          padded += 1;
          body = Buffer.concat([body, Buffer.alloc(PAD, 0x20)]);
          if (encoding === 'gzip') {
            body = gzipSync(body);
            headers['content-encoding'] = 'gzip';
          }
        }
        headers['content-length'] = String(body.length);
        response.writeHead(answer.status, headers);
        response.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    padded: () => padded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('an answer larger than any page of the API (review secrets-43, gap 1)', () => {
  for (const encoding of ['identity', 'gzip'] as const) {
    it(`from the API (${encoding}): no answer, one line naming the endpoint; the next apply resumes, one audience`, async () => {
      await withEmulator({}, async (emulator) => {
        let padding = true;
        const proxy = await paddingProxy(
          emulator,
          (method, path) => padding && method === 'GET' && path.includes('/data/core/'),
          encoding,
        );
        try {
          await withTempDir(async (dir) => {
            const s = await story(emulator, dir, { AEP_BASE_URL: `${proxy.url}/data/core/ais` });
            await s.write({ 'a.yaml': manifest('big-a', 'Big A', '  onCreate: false\n') });
            const result = await s.apply();
            const output = result.stdout + result.stderr;
            expect(proxy.padded(), 'an answer was padded').toBeGreaterThan(0);
            expect(result.code, output).toBe(1);
            const failed = output.split('\n').filter((line) => /larger than/.test(line));
            expect(failed).toHaveLength(1);
            expect(failed[0]).toMatch(/answer .*larger than 32 MiB/i);
            expect(failed[0]).toMatch(
              /\((listAudiences|getAudience|bulkGetAudiences|getOperation|listRuns) in sandbox "prod"/,
            );
            expect(output).not.toMatch(/^\s+at /m);
            // Read as no answer, never as a refusal: what the create made is this store's to
            // find, and the next apply (answers of the usual size) records it, no second one.
            padding = false;
            const next = await s.apply();
            expect(next.code, next.stdout + next.stderr).toBe(0);
            expect(audiencesByName(emulator)).toEqual({ 'Big A': 1 });
            const shown = await s.cli('state', 'show', 'big-a', '--sandbox', 'prod', '--state', s.state);
            const made = emulator.control.listAudiences(emulator.client.orgId, 'prod')[0];
            expect(shown.stdout).toContain(String(made?.audienceId));
          });
        } finally {
          await proxy.close();
        }
      });
    });
  }

  it('from IMS: no token, one line naming AEP_IMS_URL', async () => {
    await withEmulator({}, async (emulator) => {
      const proxy = await paddingProxy(
        emulator,
        (method, path) => method === 'POST' && path.includes('/ims/'),
        'gzip',
      );
      try {
        await withTempDir(async (dir) => {
          const s = await story(emulator, dir, { AEP_IMS_URL: `${proxy.url}/ims/token/v3` });
          await s.write({ 'a.yaml': manifest('big-i', 'Big I', '  onCreate: false\n') });
          const result = await s.apply();
          const output = result.stdout + result.stderr;
          expect(proxy.padded(), 'the token answer was padded').toBeGreaterThan(0);
          expect(result.code, output).toBe(1);
          expect(output).toMatch(/larger than \d+ MiB/i);
          expect(output).toContain('AEP_IMS_URL');
          expect(output).not.toMatch(/^\s+at /m);
          expect(audiencesByName(emulator)).toEqual({});
        });
      } finally {
        await proxy.close();
      }
    });
  });
});
