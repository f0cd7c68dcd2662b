import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { plainCause } from '../../src/aep/errors.js';
import {
  componentLogger,
  createLogger,
  redactText,
  registerSecret,
  REDACT_PATHS,
  type Logger,
} from '../../src/log.js';

function capture(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('redactText', () => {
  it('scrubs registered secrets in every form they take', () => {
    const secret = 'p@ss"word/with+special&chars';
    registerSecret(secret);
    expect(redactText(`raw ${secret}`)).toBe('raw [REDACTED]');
    expect(redactText(JSON.stringify({ s: secret }))).toBe('{"s":"[REDACTED]"}');
    expect(redactText(`client_id=a&client_secret=${encodeURIComponent(secret)}`)).toBe(
      'client_id=a&client_secret=[REDACTED]',
    );
  });

  it('scrubs a secret percent-encoded outside a form (a space as %20, quotes and brackets kept)', () => {
    const secret = "it's a (path) secret!";
    registerSecret(secret);
    expect(encodeURIComponent(secret)).toBe("it's%20a%20(path)%20secret!");
    expect(redactText("GET /files/it's%20a%20(path)%20secret!/x failed")).toBe(
      'GET /files/[REDACTED]/x failed',
    );
  });

  it('scrubs the whole of a secret whose beginning is another registered secret', () => {
    registerSecret('overlap-secret-1a2b');
    registerSecret('overlap-secret-1a2b-and-its-tail-9z8y');
    expect(redactText('said overlap-secret-1a2b-and-its-tail-9z8y.')).toBe('said [REDACTED].');
    expect(redactText('said overlap-secret-1a2b.')).toBe('said [REDACTED].');
  });

  it("scrubs a secret as a form body encodes it (space as +, and !'()* escaped), under any name", () => {
    // The IMS token request is application/x-www-form-urlencoded: not encodeURIComponent's form.
    const secret = "p8e-it's (a)*secret!";
    registerSecret(secret);
    const form = new URLSearchParams({ echoed: secret }).toString();
    expect(form).toBe('echoed=p8e-it%27s+%28a%29*secret%21');
    expect(redactText(`IMS said: ${form}`)).toBe('IMS said: echoed=[REDACTED]');
  });

  it('scrubs bearer tokens and secret parameters it was never told about', () => {
    expect(redactText('Authorization: Bearer abc.def-ghi_jkl')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactText('?access_token=xyz123&x=1')).toBe('?access_token=[REDACTED]&x=1');
    // Another client's secret, in a form body echoed back: never registered here.
    expect(redactText('client_id=c&client_secret=p8e-Other_1&grant_type=x')).toBe(
      'client_id=c&client_secret=[REDACTED]&grant_type=x',
    );
  });

  it('keeps a transport error as a cause without the secrets its message carried', () => {
    registerSecret('cause-secret-4d2a');
    const transport = Object.assign(new Error('socket hang up sending cause-secret-4d2a'), {
      code: 'ECONNRESET',
    });
    const cause = plainCause(transport, redactText);
    expect(cause).toMatchObject({
      name: 'Error',
      message: 'socket hang up sending [REDACTED]',
      code: 'ECONNRESET',
    });
    expect(cause?.stack).toBe('Error: socket hang up sending [REDACTED]');
  });

  it('keeps long-lived secrets registered however many access tokens follow', () => {
    const clientSecret = 'pinned-client-secret-5f1e';
    registerSecret(clientSecret);
    const tokens = Array.from({ length: 700 }, (_, index) => `short-lived-token-${index}-9c2d`);
    for (const token of tokens) registerSecret(token, 'token');
    expect(redactText(`late ${clientSecret}`)).toBe('late [REDACTED]');
    // Tokens are bounded: the newest are scrubbed, the oldest have been let go.
    expect(redactText(tokens.at(-1) ?? '')).toBe('[REDACTED]');
    expect(redactText(tokens[0] ?? '')).toBe(tokens[0]);
  });

  it('scrubs each of the 500 newest access tokens', () => {
    const tokens = Array.from({ length: 500 }, (_, index) => `newest-token-${index}-3e7b`);
    for (const token of tokens) registerSecret(token, 'token');
    expect(redactText(`first ${tokens[0] ?? ''}, last ${tokens[499] ?? ''}`)).toBe(
      'first [REDACTED], last [REDACTED]',
    );
  });

  it('scrubs a long-lived secret inside base64 at every alignment (echoed Basic auth)', () => {
    const gitToken = 'pinned-git-token-77aa01';
    registerSecret(gitToken);
    for (const user of ['x-access-token', 'deploy-bot', 'ab', 'a']) {
      const basic = Buffer.from(`${user}:${gitToken}`).toString('base64');
      expect(redactText(`server said: Basic ${basic} (end)`)).toBe('server said: Basic [REDACTED] (end)');
    }
    // Twice in one base64 run: the run is one [REDACTED].
    const twice = Buffer.from(`bot:${gitToken}:${gitToken}`).toString('base64');
    expect(redactText(`said ${twice}.`)).toBe('said [REDACTED].');
  });

  it('shows URLs without user info and secret query values', () => {
    expect(redactText('GET https://bot:pw-9911@git.example/a.git?token=zz1 failed')).toBe(
      'GET https://git.example/a.git?token=*** failed',
    );
    // A secret parameter after another one, which no form-parameter pattern knows.
    expect(redactText('see https://h.example/cb?a=1&sig=zz1-9f&b=2 and more')).toBe(
      'see https://h.example/cb?a=1&sig=***&b=2 and more',
    );
  });

  it('ignores values too short to be secrets', () => {
    registerSecret('');
    registerSecret('abc');
    registerSecret(undefined);
    expect(redactText('abc is fine')).toBe('abc is fine');
  });
});

describe('the logger', () => {
  it('censors secret keys wherever they sit', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        clientSecret: 'a',
        credentials: { clientSecret: 'b' },
        headers: { authorization: 'c' },
        request: { headers: { authorization: 'd' } },
        // Not a bearer token, so only its key hides it: the headers of any object.
        upstream: { headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } },
        webhookSecret: 'e',
        gitToken: 'f',
        password: 'g',
        token: 'h',
        privateKey: 'i',
        database: { password: 'j' },
        git: { token: 'k', privateKey: 'l' },
        sandbox: 'prod',
      },
      'Fixed message',
    );
    expect(lines()[0]).toMatchObject({
      msg: 'Fixed message',
      clientSecret: '[REDACTED]',
      credentials: { clientSecret: '[REDACTED]' },
      headers: { authorization: '[REDACTED]' },
      request: { headers: { authorization: '[REDACTED]' } },
      upstream: { headers: { authorization: '[REDACTED]' } },
      webhookSecret: '[REDACTED]',
      gitToken: '[REDACTED]',
      password: '[REDACTED]',
      token: '[REDACTED]',
      privateKey: '[REDACTED]',
      database: { password: '[REDACTED]' },
      git: { token: '[REDACTED]', privateKey: '[REDACTED]' },
      sandbox: 'prod',
    });
    expect(REDACT_PATHS).toContain('*.clientSecret');
  });

  it('binds one component per child logger', () => {
    const { logger, lines } = capture();
    const aep = componentLogger(logger, 'aep', { sandbox: 'prod' });
    aep.warn({ status: 429 }, 'Rate limited');
    componentLogger(aep, 'ignored').info('Nested');
    expect(lines()).toMatchObject([
      { component: 'aep', sandbox: 'prod', status: 429, msg: 'Rate limited', level: 40 },
      { component: 'aep', msg: 'Nested' },
    ]);
  });

  it('keeps errors short: no request options of got errors', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('boom'), {
      code: 'E1',
      options: { headers: { authorization: 'x' } },
    });
    logger.error({ err: error }, 'Failed');
    const line = lines()[0] as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'Error', message: 'boom', code: 'E1' });
    expect(line.err['options']).toBeUndefined();
  });

  it('keeps errors logged under `error` short too', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('bang'), { code: 'E2', request: { body: 'x' } });
    logger.warn({ error }, 'Failed');
    const line = lines()[0] as { error: Record<string, unknown> };
    expect(line.error).toMatchObject({ type: 'Error', message: 'bang', code: 'E2' });
    expect(line.error['request']).toBeUndefined();
  });
});
