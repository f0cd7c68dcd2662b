import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decideWebhook,
  signWebhook,
  verifyWebhookSignature,
  webhookSecretOf,
  type WebhookRequest,
} from './webhook.js';
import { githubRepository } from '../../test/helpers/github-push.js';

const SECRET = 'webhook-secret';

function delivery(event: string, payload: unknown, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  const body = Buffer.from(JSON.stringify(payload));
  return { body, event, signature: signWebhook(SECRET, body), contentType: 'application/json', ...overrides };
}

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');

  it('matches the HMAC-SHA256 of the raw body as GitHub computes it', () => {
    const digest = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(signWebhook(SECRET, body)).toBe(`sha256=${digest}`);
    expect(verifyWebhookSignature(SECRET, body, `sha256=${digest}`)).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, `sha256=${digest.toUpperCase()}`)).toBe(true);
  });

  // GitHub's documented test vector for X-Hub-Signature-256.
  it('agrees with the GitHub documentation example', () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyWebhookSignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), header)).toBe(
      true,
    );
  });

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['sha1 header', `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`],
    ['no prefix', createHmac('sha256', SECRET).update(body).digest('hex')],
    ['too short', 'sha256=abcd'],
    ['too long', `${signWebhook(SECRET, body)}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['other secret', signWebhook('other', body)],
    ['other body', signWebhook(SECRET, Buffer.from('{}'))],
  ])('refuses %s', (_name, header) => {
    expect(verifyWebhookSignature(SECRET, body, header)).toBe(false);
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifyWebhookSignature('', body, signWebhook('', body))).toBe(false);
  });
});

describe('decideWebhook', () => {
  it('syncs on a push to the watched branch', () => {
    const decision = decideWebhook(
      SECRET,
      'main',
      delivery('push', { ref: 'refs/heads/main', after: 'abc123' }),
    );
    expect(decision).toEqual({ action: 'sync', ref: 'refs/heads/main', after: 'abc123' });
  });

  it('reads form-encoded deliveries too', () => {
    const body = Buffer.from(
      new URLSearchParams({ payload: JSON.stringify({ ref: 'refs/heads/main' }) }).toString(),
    );
    const decision = decideWebhook(SECRET, 'main', {
      body,
      event: 'push',
      signature: signWebhook(SECRET, body),
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(decision).toMatchObject({ action: 'sync', ref: 'refs/heads/main' });
  });

  it('ignores pushes to other branches and tags, and pings', () => {
    for (const ref of [
      'refs/heads/develop',
      'refs/heads/main-2',
      'refs/tags/main',
      'refs/heads/feature/main',
    ]) {
      expect(decideWebhook(SECRET, 'main', delivery('push', { ref }))).toEqual({
        action: 'ignore',
        reason: 'other-branch',
        ref,
      });
    }
    expect(decideWebhook(SECRET, 'main', delivery('ping', { zen: 'x', hook_id: 1 }))).toEqual({
      action: 'ignore',
      reason: 'ping',
    });
  });

  it('checks the signature before looking at the event', () => {
    const forged = delivery('push', { ref: 'refs/heads/main' }, { signature: signWebhook('guess', 'x') });
    expect(decideWebhook(SECRET, 'main', forged)).toMatchObject({ action: 'reject', status: 401 });
    const ping = delivery('ping', {}, { signature: undefined });
    expect(decideWebhook(SECRET, 'main', ping)).toMatchObject({ action: 'reject', status: 401 });
  });

  it('rejects other events and malformed pushes with 400', () => {
    expect(decideWebhook(SECRET, 'main', delivery('issues', { action: 'opened' }))).toMatchObject({
      action: 'reject',
      status: 400,
      reason: 'unsupported event "issues"',
    });
    expect(decideWebhook(SECRET, 'main', delivery('push', { after: 'x' }))).toMatchObject({ status: 400 });
    const notJson = Buffer.from('not json');
    expect(
      decideWebhook(SECRET, 'main', {
        body: notJson,
        event: 'push',
        signature: signWebhook(SECRET, notJson),
        contentType: 'application/json',
      }),
    ).toMatchObject({ status: 400 });
  });
});

describe('decideWebhook with the repository the source follows', () => {
  const ACME = 'acme/audiences';
  const push = (repository: unknown, ref = 'refs/heads/main') =>
    delivery('push', { ref, after: 'abc123', repository });

  it('syncs on a push naming that repository, however GitHub spells its case', () => {
    for (const name of ['acme/audiences', 'Acme/Audiences']) {
      expect(decideWebhook(SECRET, 'main', push(githubRepository('https://github.com', name)), ACME)).toEqual(
        {
          action: 'sync',
          ref: 'refs/heads/main',
          after: 'abc123',
        },
      );
    }
  });

  it('syncs on a push naming its path on another host: the controller may reach the server under another name', () => {
    for (const host of ['ghe.example.com', 'github.internal.svc', '10.0.0.7']) {
      expect(
        decideWebhook(SECRET, 'main', push(githubRepository(`https://${host}`, 'acme/audiences')), ACME),
      ).toMatchObject({
        action: 'sync',
      });
    }
    // A proxy or mirror serving it under a prefix: the push's path ends the configured one.
    expect(
      decideWebhook(
        SECRET,
        'main',
        push(githubRepository('https://github.com', 'acme/audiences')),
        'git/acme/audiences',
      ),
    ).toMatchObject({
      action: 'sync',
    });
  });

  it('ignores a push naming another repository', () => {
    for (const [host, name] of [
      ['github.com', 'acme/other'],
      ['github.com', 'other/audiences'],
      ['github.com', 'acme/audiences-old'],
      ['github.com', 'cme/audiences'],
    ] as const) {
      expect(decideWebhook(SECRET, 'main', push(githubRepository(`https://${host}`, name)), ACME)).toEqual({
        action: 'ignore',
        reason: 'other-repository',
        ref: 'refs/heads/main',
        after: 'abc123',
        repository: name,
      });
    }
  });

  it('says other-repository before other-branch, and still checks the signature first', () => {
    const elsewhere = push(githubRepository('https://github.com', 'acme/other'), 'refs/heads/develop');
    expect(decideWebhook(SECRET, 'main', elsewhere, ACME)).toMatchObject({ reason: 'other-repository' });
    const forged = { ...elsewhere, signature: signWebhook('guess', elsewhere.body) };
    expect(decideWebhook(SECRET, 'main', forged, ACME)).toMatchObject({ action: 'reject', status: 401 });
  });

  it('compares full_name alone when the payload gives no URL', () => {
    expect(decideWebhook(SECRET, 'main', push({ full_name: 'ACME/audiences' }), ACME)).toMatchObject({
      action: 'sync',
    });
    expect(decideWebhook(SECRET, 'main', push({ full_name: 'acme/other' }), ACME)).toMatchObject({
      action: 'ignore',
      reason: 'other-repository',
    });
  });

  it('syncs when it cannot tell: no repository configured (a local path), or none in the payload', () => {
    const other = push(githubRepository('https://github.com', 'acme/other'));
    expect(decideWebhook(SECRET, 'main', other)).toMatchObject({ action: 'sync' });
    expect(decideWebhook(SECRET, 'main', other, undefined)).toMatchObject({ action: 'sync' });
    for (const repository of [undefined, null, 'acme/other', 42, {}, { full_name: '' }, { clone_url: 7 }]) {
      expect(decideWebhook(SECRET, 'main', push(repository), ACME)).toMatchObject({ action: 'sync' });
    }
  });
});

describe('webhookSecretOf', () => {
  it('takes a secret of 16 characters or more, without the blanks at its ends, and refuses a shorter one', () => {
    expect(webhookSecretOf('0123456789abcdef')).toBe('0123456789abcdef');
    // A Secret made from a file ends in a newline that GitHub's copy lacks.
    expect(webhookSecretOf(' 0123456789abcdef\n')).toBe('0123456789abcdef');
    expect(() => webhookSecretOf('0123456789abcde')).toThrow(
      /webhook secret \(--webhook-secret, AUDIENCECTL_WEBHOOK_SECRET\) must be at least 16 characters/,
    );
    // Blanks do not count: 15 characters and a newline are still too short.
    expect(() => webhookSecretOf('0123456789abcde\n')).toThrow(/at least 16 characters/);
    expect(webhookSecretOf(' \n')).toBeUndefined();
    expect(webhookSecretOf(undefined)).toBeUndefined();
  });
});
