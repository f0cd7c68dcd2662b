import { createServer, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';

// review-36a L: `scopes: []` (or `scopes: ""`, `AEP_SCOPES=","`) in the configuration file is
// accepted and replaces the default scopes with none: IMS is asked for a token with an empty
// `scope`, which AEP then refuses on every call, far from the line that caused it. Every other
// empty value of the file (`clientId: ""`, `state: ""`, `baseUrl: ""`) is refused with its
// file:line:col; an empty scope list should be too (or fall back to the default).

/** A stand-in IMS that records the form bodies it gets and issues a token. */
async function fakeIms(): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: 'tok-123', token_type: 'bearer', expires_in: 86400 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}/ims/token/v3`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('an empty scope list in the configuration file', () => {
  it('is refused naming its place, before IMS is asked', async () => {
    const ims = await fakeIms();
    try {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'aep.yaml': [
            `imsUrl: ${ims.url}`,
            'credentials:',
            '  clientId: my-client',
            '  clientSecretEnv: MY_SECRET',
            '  orgId: ABC123@AdobeOrg',
            '  scopes: []',
            '',
          ].join('\n'),
        });
        const result = await runCli(['init', '--state', path.join(dir, 'state'), '--config', 'aep.yaml'], {
          cwd: dir,
          env: {
            MY_SECRET: 'shh-secret',
            AEP_CLIENT_ID: undefined,
            AEP_CLIENT_SECRET: undefined,
            AEP_ORG_ID: undefined,
          },
        });
        // What happens today: IMS is asked with an empty scope, and init says all is well.
        expect(ims.bodies.map((body) => new URLSearchParams(body).get('scope'))).toEqual([]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('aep.yaml:6:');
        expect(result.stderr).toContain('credentials.scopes');
      });
    } finally {
      await ims.close();
    }
  });

  it('AEP_SCOPES="," is refused naming the variable, before IMS is asked', async () => {
    const ims = await fakeIms();
    try {
      await withTempDir(async (dir) => {
        const result = await runCli(['init', '--state', path.join(dir, 'state')], {
          cwd: dir,
          env: {
            AEP_IMS_URL: ims.url,
            AEP_SCOPES: ',',
            AEP_CLIENT_ID: 'my-client',
            AEP_CLIENT_SECRET: 'shh-secret',
            AEP_ORG_ID: 'ABC123@AdobeOrg',
            AUDIENCECTL_CONFIG: undefined,
          },
        });
        expect(ims.bodies).toEqual([]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          'Error: Invalid AEP configuration: AEP_SCOPES: must name at least one scope (leave it out for the default scopes)\n',
        );
      });
    } finally {
      await ims.close();
    }
  });
});
