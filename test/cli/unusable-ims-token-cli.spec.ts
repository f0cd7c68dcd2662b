import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { manifest, story } from '../helpers/cli-story.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review secrets-42, L-3. An IMS (or a proxy in front of it) that answers 200 with an
// access_token no HTTP header can carry (a line break in it, characters outside Latin-1) was
// taken as a token: every API call then failed in Node before it was sent (ERR_INVALID_CHAR),
// and the apply said "create outcome unknown (Cannot reach AEP (ERR_INVALID_CHAR) ...): check
// AEP_BASE_URL and the network. The change may or may not have been made.": nothing was sent,
// AEP and the network were not the problem, and the kept intent made each apply after it say
// the same. Such an answer is IMS's "answered without a usable access token", naming
// AEP_IMS_URL, before any step.

async function fakeIms(token: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 86_399 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ims/token/v3`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('an access token no header can carry (review secrets-42, L-3)', () => {
  it.each([
    ['a line break', 'eyJhbGciOiJSUzI1NiJ9\r\nX-Injected: 1'],
    ['characters outside Latin-1', 'eyJhbGciOiJSUzI1NiJ9-\u4e2d\u6587'],
  ])(
    '(%s) is IMS answering without a usable token, not AEP unreachable with a change perhaps made',
    async (_what, token) => {
      await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
        const ims = await fakeIms(token);
        try {
          await withTempDir(async (dir) => {
            const s = await story(emulator, dir, { AEP_IMS_URL: ims.url });
            await s.write({ 'a.yaml': manifest('tok-a', 'Tok A', '  onCreate: false\n') });
            const result = await s.apply();
            const said = result.stdout + result.stderr;
            expect(result.code).toBe(1);
            expect(said).not.toMatch(/Cannot reach AEP|may or may not have been made|outcome unknown/);
            expect(result.stderr).toMatch(
              /^Error: IMS at .* answered without a usable access token: check AEP_IMS_URL/m,
            );
            // Nothing was begun: no create intent kept for the next apply to "resolve".
            const listed = await s.cli('state', 'list', '--state', s.state);
            expect(listed.stdout).toBe(`No audiences recorded in ${s.state}.\n`);
          });
        } finally {
          await ims.close();
        }
      });
    },
  );
});
