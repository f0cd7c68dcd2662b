import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import pgPass from 'pgpass';
import { registerSecret } from '../../log.js';
import { StateError, reasonOf } from '../errors.js';

/** Where a password may come from besides the URL (see resolvePassword). */
export type PgAccess = {
  /** A file holding only the password (a mounted Kubernetes Secret). `--state-password-file`. */
  passwordFile?: string | undefined;
  /** What the server shows in pg_stat_activity. */
  applicationName?: string;
};

function fromPassFile(config: ClientConfig): Promise<string | undefined> {
  return new Promise((resolve) => {
    pgPass(
      {
        host: config.host ?? 'localhost',
        port: String(config.port ?? 5432),
        database: config.database ?? '',
        user: config.user ?? os.userInfo().username,
      },
      resolve,
    );
  });
}

/**
 * The password, in order: the URL, `--state-password-file`, PGPASSWORD, then the
 * password file (PGPASSFILE, else ~/.pgpass, with libpq's rules). Every one found is
 * registered as a secret, so logs and error texts never carry it.
 */
async function resolvePassword(config: ClientConfig, access: PgAccess, fromUrl: string | undefined) {
  if (fromUrl) return fromUrl;
  if (access.passwordFile) {
    try {
      return (await readFile(access.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new StateError(
        'STATE_PASSWORD_FILE',
        `cannot read the state password file ${access.passwordFile}: ${reasonOf(error)}`,
        { cause: error },
      );
    }
  }
  if (process.env.PGPASSWORD) return process.env.PGPASSWORD;
  return fromPassFile(config);
}

/** node-postgres settings for `url`; the password is looked up once, when first needed. */
export function clientConfig(url: string, access: PgAccess): ClientConfig {
  const parsed = parseIntoClientConfig(url);
  const fromUrl = typeof parsed.password === 'string' && parsed.password !== '' ? parsed.password : undefined;
  registerSecret(fromUrl);
  const base: ClientConfig = { ...parsed };
  delete base.password;
  let cached: Promise<string | undefined> | undefined;
  return {
    ...base,
    application_name: access.applicationName ?? 'audiencectl',
    // A peer that vanished without closing its socket is noticed by the keepalives.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    connectionTimeoutMillis: 10_000,
    password: async () => {
      cached ??= resolvePassword(base, access, fromUrl).then((password) => {
        registerSecret(password);
        return password;
      });
      // node-postgres takes undefined as "no password": the server then says what it needs.
      return (await cached) ?? '';
    },
  };
}
