import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeAep } from '../aep/fake-aep.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

/** A fresh canary: letters and digits, so it also passes for a variable name or a path. */
function canary(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Nothing closed on port 9 (discard): IMS is unreachable, fast. */
const DEAD = 'http://127.0.0.1:9';

/** `apply` of one manifest (gold) into a new store in `dir`, as client canary-client of org CANARY. */
async function applyGold(dir: string, env: Record<string, string>) {
  await mkdir(path.join(dir, 'audiences'));
  await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
  await mkdir(path.join(dir, 'state'));
  return runCli(['apply', 'audiences', '--state', 'state', '--auto-approve', '--sandbox', 'prod'], {
    cwd: dir,
    env: { AEP_CLIENT_ID: 'canary-client', AEP_ORG_ID: 'CANARY@AdobeOrg', ...env },
  });
}

describe('secrets in the messages of a spawned CLI', () => {
  it('prints AEP_BASE_URL without user info and AEP_IMS_URL with its secret parameters masked', async () => {
    await withTempDir(async (dir) => {
      const password = canary('basepw');
      const imsSecret = canary('imssecret');
      const imsToken = canary('imstoken');
      const result = await applyGold(dir, {
        AEP_CLIENT_SECRET: canary('clientsecret'),
        AEP_BASE_URL: `http://deployer:${password}@127.0.0.1:9/data/core/ais`,
        AEP_IMS_URL: `${DEAD}/ims/token/v3?client_secret=${imsSecret}&token=${imsToken}&region=na1`,
      });
      const output = result.stdout + result.stderr;
      expect(result.code).toBe(1);
      expect(output).toContain('Applying to http://127.0.0.1:9/data/core/ais\n');
      expect(output).toContain(
        'Cannot reach IMS at http://127.0.0.1:9/ims/token/v3?client_secret=***&token=***&region=na1',
      );
      for (const secret of [password, imsSecret, imsToken, 'deployer:']) expect(output).not.toContain(secret);
    });
  });

  it('never echoes a secret written where the configuration expects a name or a path', async () => {
    await withTempDir(async (dir) => {
      const inEnv = canary('SecretInEnvName');
      const inFile = canary('p8e-secret-in-file-');
      const asSandbox = canary('P8E-SANDBOX-');
      const asKey = canary('p8e-key-');
      // A key that is a collection: the YAML library warns with its text (its first 40
      // characters or so) on stderr. Short, so that all of it would be shown.
      const asComplexKey = `ck${randomBytes(6).toString('hex')}`;
      await writeFile(
        path.join(dir, 'aep.yaml'),
        [
          'credentials:',
          '  clientId: canary-client',
          '  orgId: CANARY@AdobeOrg',
          `  clientSecretEnv: ${inEnv}`,
          'sandboxes:',
          `  prod: { clientSecretFile: ${inFile} }`,
          `  ${asSandbox}: {}`,
          `  dev: { ${asKey}: 1 }`,
          `? [${asComplexKey}]`,
          ': 1',
          '',
        ].join('\n'),
      );
      await mkdir(path.join(dir, 'audiences'));
      await mkdir(path.join(dir, '.audiencectl-state'));
      const first = await runCli(['apply', 'audiences', '--config', 'aep.yaml', '--auto-approve'], {
        cwd: dir,
      });
      // The schema problems first (sandbox name, unknown key): each placed by file:line:col.
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(
        /^ {2}aep\.yaml:7:3 sandboxes\.\(not shown\): invalid name \(not shown\)/m,
      );
      expect(first.stderr).toMatch(
        /^ {2}aep\.yaml:8:\d+ sandboxes\.dev: 1 unknown key \(its name is not shown: it may hold a secret\)$/m,
      );

      await writeFile(
        path.join(dir, 'aep.yaml'),
        [
          'credentials:',
          '  clientId: canary-client',
          '  orgId: CANARY@AdobeOrg',
          `  clientSecretEnv: ${inEnv}`,
          'sandboxes:',
          `  prod: { clientSecretFile: ${inFile} }`,
          '',
        ].join('\n'),
      );
      const second = await runCli(['apply', 'audiences', '--config', 'aep.yaml', '--auto-approve'], {
        cwd: dir,
      });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        /aep\.yaml:4:\d+ credentials\.clientSecretEnv: the environment variable it names is not set/,
      );
      expect(second.stderr).toMatch(/aep\.yaml:6:\d+ sandboxes\.prod\.clientSecretFile: no file at the path/);
      for (const result of [first, second]) {
        const output = result.stdout + result.stderr;
        for (const secret of [inEnv, inFile, asSandbox, asKey, asComplexKey]) {
          expect(output).not.toContain(secret);
        }
        expect(output).not.toMatch(/\n\s+at /);
      }
    });
  });

  it('never echoes a git token, SSH key or database password given where its file belongs', async () => {
    await withTempDir(async (dir) => {
      // The value itself where its file's path goes (`--git-token-file "$GITHUB_TOKEN"`): one
      // line, naming the setting, as --http-token-file and AEP_CLIENT_SECRET_FILE say it.
      const token = canary('ghp_');
      const key = canary('b3BlbnNzaC1rZXktdjE');
      const password = canary('pgpw');
      const https = 'https://git.example/acme/audiences.git';
      const ssh = 'ssh://git@git.example/acme/audiences.git';
      const listen = ['--listen', '127.0.0.1:0'];
      const cases: Array<{ args: string[]; env?: Record<string, string>; named: string; secret: string }> = [
        {
          args: ['run', '--repo', https, '--git-token-file', token, ...listen],
          named: '--git-token-file',
          secret: token,
        },
        {
          args: ['run', '--repo', https, ...listen],
          env: { AUDIENCECTL_GIT_TOKEN_FILE: token },
          named: 'AUDIENCECTL_GIT_TOKEN_FILE',
          secret: token,
        },
        {
          args: ['run', '--repo', ssh, '--git-ssh-key-file', key, ...listen],
          named: '--git-ssh-key-file',
          secret: key,
        },
        {
          // Nothing listens on port 9: the file is checked before any connection.
          args: ['state', 'list', '--state', 'postgres://audiencectl@127.0.0.1:9/db'],
          env: { AUDIENCECTL_STATE_PASSWORD_FILE: password },
          named: 'state password file',
          secret: password,
        },
        {
          args: [
            'plan',
            '--state',
            'postgres://audiencectl@127.0.0.1:9/db',
            '--state-password-file',
            password,
          ],
          named: 'state password file',
          secret: password,
        },
      ];
      for (const { args, env, named, secret } of cases) {
        const result = await runCli(args, {
          cwd: dir,
          env: { ...env, AUDIENCECTL_WORK_DIR: path.join(dir, 'work') },
          stopOn: /listening|reconcile started/,
        });
        const said = `${args.join(' ')} ${JSON.stringify(env ?? {})}: ${result.stderr}`;
        expect(result.stdout + result.stderr, said).not.toContain(secret);
        expect(result.code, said).toBe(1);
        // One line, naming the setting and where a relative path starts.
        expect(result.stderr, said).toMatch(
          new RegExp(
            `^Error: [^\\n]*${named}[^\\n]*: it does not exist \\(relative paths start at [^;\\n]+; the path is not shown`,
          ),
        );
        expect(result.stderr.split('\n'), said).toHaveLength(2);
      }
    });
  });

  it('never prints the client secret an IMS echoes back in its error answer', async () => {
    const fake = await startFakeAep();
    try {
      await withTempDir(async (dir) => {
        const secret = canary('imsecho');
        // What a misbehaving IMS (or a proxy in front of it) does: the form it was sent, in
        // the `error` field, and again where the 300-character description is cut.
        const form = `grant_type=client_credentials&client_id=canary-client&client_secret=${secret}`;
        fake.imsScript({
          status: 400,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ error: form, error_description: `${'x'.repeat(290)}${secret}` }),
        });
        const result = await applyGold(dir, {
          AEP_CLIENT_SECRET: secret,
          AEP_BASE_URL: fake.apiBaseUrl,
          AEP_IMS_URL: fake.imsUrl,
          LOG_LEVEL: 'trace',
        });
        const output = result.stdout + result.stderr;
        expect(result.code).toBe(1);
        expect(output).toContain('IMS refused the token request of client canary-client (HTTP 400 ');
        expect(output).toContain('client_secret=[REDACTED]');
        expect(output).not.toContain(secret);
        expect(output).not.toContain(secret.slice(0, 10));
      });
    } finally {
      await fake.close();
    }
  });

  it('run (in process) scrubs the webhook secret, HTTP token and git token it is given from a message quoting them', async () => {
    await withTempDir(async (dir) => {
      const webhook = canary('webhooksecret');
      const http = canary('httptoken');
      const git = canary('gittoken');
      // A mistake that puts the three where an address goes: the refusal quotes what it was given.
      const result = await runCliInProcess(
        [
          'run',
          '--repo',
          'https://git.example/acme/audiences.git',
          '--webhook-secret',
          ` ${webhook} `,
          '--http-token',
          http,
          '--git-token',
          git,
          '--listen',
          `${webhook} ${http} ${git}`,
        ],
        { cwd: dir },
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^Error: --listen: "\[REDACTED\] \[REDACTED\] \[REDACTED\]" is not a listen address/,
      );
      for (const secret of [webhook, http, git]) expect(result.stderr).not.toContain(secret);
    });
  });

  it('init warns of a client secret written in the configuration file, as apply does, never printing it', async () => {
    const fake = await startFakeAep();
    try {
      await withTempDir(async (dir) => {
        const secret = canary('infile');
        const config = ['credentials:', '  clientId: canary-client', '  orgId: CANARY@AdobeOrg'];
        config.push(`  clientSecret: ${secret}`, `baseUrl: ${fake.apiBaseUrl}`, `imsUrl: ${fake.imsUrl}`, '');
        await writeFile(path.join(dir, 'aep.yaml'), config.join('\n'));
        const result = await runCliInProcess(['init', '--state', 'state', '--config', 'aep.yaml'], {
          cwd: dir,
        });
        expect(result.code).toBe(0);
        expect(result.stderr).toBe(
          'Warning: credentials.clientSecret in aep.yaml: a secret written in the configuration file; prefer clientSecretEnv or clientSecretFile.\n',
        );
        expect(result.stdout).toContain('issued a token to client canary-client');
        expect(result.stdout + result.stderr).not.toContain(secret);
      });
    } finally {
      await fake.close();
    }
  });

  it.each([302, 307, 308])(
    "init's credentials check does not follow IMS's %i: the secret goes nowhere else, and it fails saying so",
    async (status) => {
      const fake = await startFakeAep();
      const elsewhere = await startFakeAep();
      try {
        await withTempDir(async (dir) => {
          const secret = canary('redirected');
          fake.imsScript({ status, headers: { location: elsewhere.imsUrl } });
          const result = await runCliInProcess(['init', '--state', 'state'], {
            cwd: dir,
            env: {
              AEP_CLIENT_ID: 'canary-client',
              AEP_CLIENT_SECRET: secret,
              AEP_ORG_ID: 'CANARY@AdobeOrg',
              AEP_BASE_URL: fake.apiBaseUrl,
              AEP_IMS_URL: fake.imsUrl,
            },
          });
          expect(elsewhere.tokenRequests()).toBe(0);
          expect(result.code).not.toBe(0);
          expect(result.stderr).toContain(
            `answered HTTP ${status}, a redirect that audiencectl does not follow`,
          );
          expect(result.stdout + result.stderr).not.toContain(secret);
        });
      } finally {
        await fake.close();
        await elsewhere.close();
      }
    },
  );

  it('init names the IMS URL it checked without its user info or secret parameters', async () => {
    const fake = await startFakeAep();
    try {
      await withTempDir(async (dir) => {
        const password = canary('imspw');
        const inQuery = canary('imsquery');
        const imsUrl = new URL(fake.imsUrl);
        const result = await runCli(['init', '--state', 'state'], {
          cwd: dir,
          env: {
            AEP_CLIENT_ID: 'canary-client',
            AEP_CLIENT_SECRET: canary('clientsecret'),
            AEP_ORG_ID: 'CANARY@AdobeOrg',
            AEP_BASE_URL: fake.apiBaseUrl,
            AEP_IMS_URL: `http://deployer:${password}@${imsUrl.host}${imsUrl.pathname}?client_secret=${inQuery}&region=na1`,
          },
        });
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(
          `Credentials: IMS at http://${imsUrl.host}${imsUrl.pathname}?client_secret=***&region=na1 issued a token`,
        );
        const output = result.stdout + result.stderr;
        for (const secret of [password, inQuery, 'deployer:']) expect(output).not.toContain(secret);
      });
    } finally {
      await fake.close();
    }
  });
});
