import { describe, expect, it } from 'vitest';
import { parseStateLocation } from '../state/location.js';
import { isSecretParameter, maskSecretParameters, safeUrl, safeUrlsIn } from './safe-url.js';

describe('safeUrl', () => {
  it.each([
    ['http://u:s3cret@127.0.0.1:9/x', 'http://127.0.0.1:9/x'],
    ['https://ghp_abcdef@github.com/acme/a.git', 'https://github.com/acme/a.git'],
    ['https://u:p@ss@host/path', 'https://host/path'],
    // Unparseable (the `/` ends the authority early): cut at the last `@` all the same.
    ['http://u:pa/ss@host/x', 'http://host/x'],
    ['HTTPS://u:s3cret@host/x', 'HTTPS://host/x'],
    [
      'https://ims.example/token?client_secret=abc&grant_type=x',
      'https://ims.example/token?client_secret=***&grant_type=x',
    ],
    [
      'https://h/p?token=1&access_token=2&password=3&sig=4&signature=5&key=6&secret=7',
      'https://h/p?token=***&access_token=***&password=***&sig=***&signature=***&key=***&secret=***',
    ],
    [
      'https://h/p?X-Amz-Signature=a&X-Amz-Credential=b&api-key=c&region=eu',
      'https://h/p?X-Amz-Signature=***&X-Amz-Credential=***&api-key=***&region=eu',
    ],
    ['https://h/cb#access_token=abc&state=1', 'https://h/cb#access_token=***&state=1'],
    // review 37d, L-2: `;` ends a pair as `&` does.
    ['https://h/a.git?ref=main;token=abc', 'https://h/a.git?ref=main;token=***'],
    ['https://h/cb#state=1;access_token=abc', 'https://h/cb#state=1;access_token=***'],
    // refusals-38: a `;name=value` parameter of the path, as a refusal finds it.
    ['https://h/a.git;token=abc', 'https://h/a.git;token=***'],
    ['https://h/scm/a;v=1&JSESSIONID=abc/b.git;tokens', 'https://h/scm/a;v=1&JSESSIONID=***/b.git;tokens'],
    ['git@h:a/b.git;sig=abc?ref=x', 'git@h:a/b.git;sig=***?ref=x'],
    ['https://platform.adobe.io', 'https://platform.adobe.io'],
    ['https://host/@scope/pkg', 'https://host/@scope/pkg'],
    // review 20a, H1: read as host "u", port 2024 and a path holding the rest of the password.
    ['http://u:2024/s3cret@proxy:3128', 'http://proxy:3128'],
    ['https://u:2024/s3c?ret@host/x?a=1', 'https://host/x?a=1'],
    ['https://u:/s3cret@host/x', 'https://host/x'],
    ['https://host:8443/path?user=a@b', 'https://b'],
    // review 21, M1: a `?` or `#` in the password ends the authority early, and the parser
    // refuses the URL: it was shown whole.
    ['https://x:pa?ss-CANARY1@github.com/a/b.git', 'https://github.com/a/b.git'],
    ['https://x:pa#ss-CANARY2@github.com/a/b.git', 'https://github.com/a/b.git'],
    ['ssh://git:pa?ss-CANARY3@github.com/o/r.git', 'ssh://github.com/o/r.git'],
    ['http://u:pa?ss-CANARY4@proxy:3128/x', 'http://proxy:3128/x'],
    ['not a url', 'not a url'],
  ])('%s -> %s', (input, shown) => {
    expect(safeUrl(input)).toBe(shown);
  });

  it('recognises secret parameter names however they are spelt', () => {
    for (const name of [
      'client_secret',
      'CLIENT-SECRET',
      'refresh_token',
      'id_token',
      'x-api-key',
      'client%5Fsecret',
      'api%5Fkey',
      'si%67',
    ])
      expect(isSecretParameter(name)).toBe(true);
    for (const name of ['region', 'grant_type', 'limit', 'sandbox'])
      expect(isSecretParameter(name)).toBe(false);
  });

  it('masks every URL inside free text', () => {
    expect(safeUrlsIn('GET http://a:b@h/x?token=t failed; see "https://h2/?sig=z"')).toBe(
      'GET http://h/x?token=*** failed; see "https://h2/?sig=***"',
    );
  });

  it('refuses a postgres:// URL it cannot read without quoting it (it may hold a password)', () => {
    expect(() => parseStateLocation('postgres://app:pw-unread-5c@db:99999/x')).toThrow(
      /^--state is not a valid postgres:\/\/ URL$/,
    );
  });

  it('keeps the user name where asked, masking secret parameters only; the display drops it and them', () => {
    expect(maskSecretParameters('postgres://app@db/x?password=pw1&sslmode=require')).toBe(
      'postgres://app@db/x?password=***&sslmode=require',
    );
    // As the user info's password, a ?password= is left out of the store's name, not masked.
    const state = parseStateLocation(
      'postgres://app:pw2@db:5432/x?password=pw3&sslpassword=pw4&sslmode=require&schema=s1',
    );
    expect(state.kind === 'postgres' && state.display).toBe('postgres://db:5432/x?sslmode=require&schema=s1');
  });
});
