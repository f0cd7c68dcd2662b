import { describe, expect, it } from 'vitest';
import { readErrorBody } from './error-body.js';

describe('readErrorBody', () => {
  it('reads the platform shape (and the emulator, which uses it)', () => {
    const info = readErrorBody(
      JSON.stringify({
        type: 'https://ns.adobe.com/aep/errors/100910-400',
        title: 'BAD_REQUEST',
        status: 400,
        detail: 'Invalid request: fields[0].type: must be one of ...',
        report: {
          errorCode: '100910-400',
          requestId: 'abc',
          errors: [{ path: 'fields[0].type', message: 'must be one of ...' }],
        },
      }),
    );
    expect(info).toEqual({
      shape: 'platform',
      platformCode: '100910-400',
      aepTypeCode: '100910-400',
      message: 'Invalid request: fields[0].type: must be one of ...',
      details: [{ path: 'fields[0].type', message: 'must be one of ...' }],
    });
  });

  it("names a type's code as AEP's only in AEP's namespace", () => {
    const read = (type: string) => readErrorBody(JSON.stringify({ type, status: 422 }));
    expect(read('https://ns.adobe.com/aep/errors/EXEG-0104-422')).toMatchObject({
      platformCode: 'EXEG-0104-422',
      aepTypeCode: 'EXEG-0104-422',
    });
    const foreign = read('https://gateway.example/aep/errors/EXEG-0104-422');
    expect(foreign.platformCode).toBe('EXEG-0104-422');
    expect(foreign.aepTypeCode).toBeUndefined();
  });

  it('takes the code from the type URL when the report has none', () => {
    const info = readErrorBody(
      JSON.stringify({
        type: 'https://ns.adobe.com/aep/errors/100950-409',
        title: 'DUPLICATE_RESOURCE',
        status: 409,
      }),
    );
    expect(info).toMatchObject({
      shape: 'platform',
      platformCode: '100950-409',
      message: 'DUPLICATE_RESOURCE',
    });
  });

  it('reads the gateway shape', () => {
    expect(readErrorBody('{"error_code":"401013","message":"Oauth token is not valid"}')).toEqual({
      shape: 'gateway',
      platformCode: '401013',
      message: 'Oauth token is not valid',
      details: [],
    });
  });

  it('reads other JSON shapes', () => {
    expect(readErrorBody('{"errorCode":"X-1","message":"m"}')).toMatchObject({
      platformCode: 'X-1',
      message: 'm',
    });
    expect(readErrorBody('{"code":403,"detail":"d"}')).toMatchObject({ platformCode: '403', message: 'd' });
    expect(readErrorBody('{"error":{"code":"E","message":"nested"}}')).toMatchObject({
      platformCode: 'E',
      message: 'nested',
    });
    expect(readErrorBody('{"errors":[{"field":"name","message":"required"},"plain"]}')).toMatchObject({
      shape: 'json',
      details: [{ path: 'name', message: 'required' }, { message: 'plain' }],
    });
    expect(readErrorBody('[1,2]')).toMatchObject({ shape: 'text', message: '[1,2]' });
  });

  it('reads plain text and HTML', () => {
    expect(readErrorBody('upstream connect error 100970-502')).toEqual({
      shape: 'text',
      platformCode: '100970-502',
      message: 'upstream connect error 100970-502',
      details: [],
    });
    expect(
      readErrorBody('<html><head><title>502 Bad Gateway</title></head><body><h1>Bad</h1></body></html>'),
    ).toMatchObject({ shape: 'text', message: '502 Bad Gateway' });
    expect(
      readErrorBody('<html><body><h1>Service   Unavailable</h1><script>x()</script></body></html>'),
    ).toMatchObject({
      message: 'Service Unavailable',
    });
  });

  it('handles empty and huge bodies', () => {
    expect(readErrorBody(undefined)).toEqual({ shape: 'empty', details: [] });
    expect(readErrorBody('  ')).toEqual({ shape: 'empty', details: [] });
    expect(readErrorBody('x'.repeat(10_000)).message?.length).toBeLessThanOrEqual(300);
  });
});
