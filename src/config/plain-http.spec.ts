import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../emulator/demo-client.js';
import { PLAIN_HTTP_REFUSED, plainHttpProblems } from './plain-http.js';

const demo = { clientId: 'audiencectl-demo', clientSecret: 'demo-secret-not-for-production' };
const real = { clientId: 'team-client', clientSecret: 'p8e-RealSecret0123456789' };
const on = (ims: string, base: string) => [
  { key: 'AEP_IMS_URL', url: `${ims}/ims/token/v3` },
  { key: 'AEP_BASE_URL', url: `${base}/data/core/ais` },
];
const refused = (...keys: string[]) => keys.map((key) => ({ key, message: PLAIN_HTTP_REFUSED }));

describe('plainHttpProblems', () => {
  it('the demo client is the emulator’s, as the spec below spells it', () => {
    expect({ clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret }).toEqual(demo);
  });

  it('takes https anywhere, and http to this machine, with any client', () => {
    expect(plainHttpProblems(on('https://ims.example', 'https://api.example'), [real])).toEqual([]);
    expect(plainHttpProblems(on('http://127.0.0.1:8080', 'http://localhost:8080'), [real])).toEqual([]);
  });

  it('takes http to an emulator on another host (IMS and API on its one origin) with its demo client alone', () => {
    expect(plainHttpProblems(on('http://192.0.2.2:8080', 'http://192.0.2.2:8080'), [demo, demo])).toEqual([]);
  });

  it('refuses http to another host with any other client, or beside one, or with none known', () => {
    const same = on('http://192.0.2.2:8080', 'http://192.0.2.2:8080');
    expect(plainHttpProblems(same, [real])).toEqual(refused('AEP_IMS_URL', 'AEP_BASE_URL'));
    expect(plainHttpProblems(same, [demo, real])).toEqual(refused('AEP_IMS_URL', 'AEP_BASE_URL'));
    expect(plainHttpProblems(same, [])).toEqual(refused('AEP_IMS_URL', 'AEP_BASE_URL'));
    expect(plainHttpProblems(same, [{ ...demo, clientSecret: '' }])).toEqual(
      refused('AEP_IMS_URL', 'AEP_BASE_URL'),
    );
  });

  it('refuses the demo client’s tokens sent in clear to another host than the IMS that issued them', () => {
    expect(plainHttpProblems(on('http://127.0.0.1:8080', 'http://192.0.2.2:8080'), [demo])).toEqual(
      refused('AEP_BASE_URL'),
    );
    expect(plainHttpProblems(on('http://192.0.2.2:8080', 'http://192.0.2.2:9090'), [demo])).toEqual(
      refused('AEP_IMS_URL', 'AEP_BASE_URL'),
    );
    expect(plainHttpProblems(on('http://192.0.2.2:8080', 'https://platform.adobe.io'), [demo])).toEqual(
      refused('AEP_IMS_URL'),
    );
  });
});
