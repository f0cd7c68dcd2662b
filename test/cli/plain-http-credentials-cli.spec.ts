import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifest, story } from '../helpers/cli-story.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review secrets-42, M-2. AEP_IMS_URL, AEP_BASE_URL (and a configuration file's imsUrl and
// baseUrl) take plain http:// to any host. A one-letter slip (http://ims-na1.adobelogin.com)
// sends the client secret over the network unencrypted, in the token request's form body,
// before audiencectl ever reads the answer: IMS's redirect to https is then refused with
// "a redirect that audiencectl does not follow (it would send the client secret there)", the
// secret having already crossed the network in clear. The same for every bearer token sent to
// an http:// base URL. git URLs are already held to https and ssh (GIT_ALLOW_PROTOCOL); plain
// http is needed only for a loopback emulator. Such a URL to another host should be refused
// in one line naming the setting, nothing sent.

/** An address of this machine that is not loopback: where a remote host would be. */
function outsideAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && address.family === 'IPv4') return address.address;
    }
  }
  throw new Error('this machine has no non-loopback IPv4 address to listen on');
}

type Heard = { method: string; url: string; authorization: string | undefined; body: string };

/** A plain-HTTP server on `host` that records what it hears and answers as an https redirect. */
async function listener(host: string): Promise<{ url: string; heard: Heard[]; close: () => Promise<void> }> {
  const heard: Heard[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      heard.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      });
      response.writeHead(301, { location: `https://${request.headers.host}${request.url}` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    heard,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('plain http:// to another host carries no credential (review secrets-42, M-2)', () => {
  it('init with AEP_IMS_URL http:// to a remote host sends no client secret, and names the variable', async () => {
    const remote = await listener(outsideAddress());
    try {
      await withTempDir(async (dir) => {
        const secret = 'p8e-CanaryClientSecret0123456789';
        const result = await runCli(['init', '--state', path.join(dir, 'state')], {
          cwd: dir,
          env: {
            AEP_CLIENT_ID: 'canary-client',
            AEP_CLIENT_SECRET: secret,
            AEP_ORG_ID: 'CANARY@AdobeOrg',
            AEP_IMS_URL: `${remote.url}/ims/token/v3`,
          },
        });
        expect(remote.heard.map((h) => h.body).join('\n')).not.toContain(secret);
        expect(remote.heard).toEqual([]);
        expect(result.code).toBe(1);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(/^Error: .*AEP_IMS_URL.*https/);
        expect(result.stdout + result.stderr).not.toContain(secret);
      });
    } finally {
      await remote.close();
    }
  });

  it("a configuration file's imsUrl http:// to a remote host: the same, naming the file", async () => {
    const remote = await listener(outsideAddress());
    try {
      await withTempDir(async (dir) => {
        const secret = 'p8e-CanaryClientSecretInFile0123';
        await writeFile(
          path.join(dir, 'aep.yaml'),
          [
            'credentials:',
            '  clientId: canary-client',
            `  clientSecret: ${secret}`,
            '  orgId: CANARY@AdobeOrg',
            `imsUrl: ${remote.url}/ims/token/v3`,
            '',
          ].join('\n'),
        );
        const result = await runCli(['init', '--state', path.join(dir, 'state'), '--config', 'aep.yaml'], {
          cwd: dir,
        });
        expect(remote.heard).toEqual([]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/aep\.yaml.*imsUrl.*https/);
        expect(result.stdout + result.stderr).not.toContain(secret);
      });
    } finally {
      await remote.close();
    }
  });

  it('apply with AEP_BASE_URL http:// to a remote host sends no bearer token, and names the variable', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      const remote = await listener(outsideAddress());
      try {
        await withTempDir(async (dir) => {
          // IMS is the emulator's, on loopback: a token is issued, the API is the remote host.
          const s = await story(emulator, dir, { AEP_BASE_URL: `${remote.url}/data/core/ais` });
          await s.write({ 'a.yaml': manifest('plain-a', 'Plain A', '  onCreate: false\n') });
          const result = await s.apply();
          expect(remote.heard.filter((h) => h.authorization !== undefined)).toEqual([]);
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/^Error: .*AEP_BASE_URL.*https/m);
        });
      } finally {
        await remote.close();
      }
    });
  });
});
