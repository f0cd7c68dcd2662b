import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { ownServer, selfSignedCertificate, type OwnServer } from './own-server.js';

// A state URL naming no sslmode now asks for TLS first (fe465462, libpq's
// prefer), but libpq's prefer has a second half: when the TLS attempt fails (the handshake, or
// the server refusing the encrypted session: a pg_hba.conf whose lines are `hostnossl`), it
// connects again in clear text. psql, pointed at the same URL, connects; audiencectl, which
// connected in clear text before fe465462, now fails: an upgrade broke a working store.
// What libpq users expect was checked with psql 15 against both servers below (`psql <url> -XAtc
// "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"` printed f: clear text). psql is not
// called here: npm test on a machine without Debian's postgresql-client must still run.

describe('a state URL naming no sslmode, where the TLS attempt fails', () => {
  describe('a server speaking TLS whose pg_hba.conf takes only clear-text sessions (hostnossl)', () => {
    let server: OwnServer;
    beforeAll(async () => {
      server = await ownServer();
      const { cert, key } = selfSignedCertificate();
      await server.writeDataFile('server.crt', cert);
      await server.writeDataFile('server.key', key);
      // TLS kept for replication only (a common split: streaming replicas encrypted, clients on
      // the private network in clear): an encrypted client session matches no line.
      await server.writeDataFile(
        'pg_hba.conf',
        [
          'hostssl replication all 127.0.0.1/32 scram-sha-256',
          'hostnossl all all 127.0.0.1/32 scram-sha-256',
          '',
        ].join('\n'),
      );
      await server.start(['-c', 'ssl=on']);
    }, 120_000);
    afterAll(async () => {
      await server?.remove();
    });

    it('connects in clear text as psql does with the same URL', async () => {
      const location = `${server.url}?schema=hba_nossl`;
      const init = await runCli(['init', '--state-only', '--state', location], { env: NO_AEP_OR_STATE });
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const listed = await runCli(['state', 'list', '--state', location], { env: NO_AEP_OR_STATE });
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
    });
  });

  describe('a server whose TLS handshake fails (it speaks only TLS 1.1, Node refuses below 1.2)', () => {
    let server: OwnServer;
    beforeAll(async () => {
      server = await ownServer();
      const { cert, key } = selfSignedCertificate();
      await server.writeDataFile('server.crt', cert);
      await server.writeDataFile('server.key', key);
      await server.start([
        '-c',
        'ssl=on',
        '-c',
        'ssl_min_protocol_version=TLSv1',
        '-c',
        'ssl_max_protocol_version=TLSv1.1',
      ]);
    }, 120_000);
    afterAll(async () => {
      await server?.remove();
    });

    it('connects in clear text, as libpq prefer does after a failed handshake', async () => {
      const location = `${server.url}?schema=old_tls`;
      const init = await runCli(['init', '--state-only', '--state', location], { env: NO_AEP_OR_STATE });
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
    });
  });
});
