import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EmulatorClient } from './options.js';

export type TokenClaims = { clientId: string; orgId: string; expiresAtMs: number };
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'invalid' | 'expired' };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', x5u: 'emulator' }));
const CACHE_LIMIT = 1000;

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/**
 * IMS access tokens are JWTs; these are too, signed with HMAC. Self-contained tokens need
 * no table, and with the key kept in the data directory they outlive a restart, as real
 * tokens outlive a service restart.
 */
export class TokenSigner {
  private readonly cache = new Map<string, TokenClaims>();

  constructor(readonly key: Buffer = randomBytes(32)) {}

  issue(client: EmulatorClient, lifetimeSeconds: number, nowMs: number): string {
    const payload = base64url(
      JSON.stringify({
        id: randomUUID(),
        type: 'access_token',
        client_id: client.clientId,
        org: client.orgId,
        user_id: technicalAccountId(client.clientId),
        as: 'ims-emulator',
        created_at: String(nowMs),
        expires_in: String(lifetimeSeconds * 1000),
      }),
    );
    return `${HEADER}.${payload}.${this.sign(`${HEADER}.${payload}`)}`;
  }

  verify(token: string, nowMs: number): TokenCheck {
    const claims = this.cache.get(token) ?? this.decode(token);
    if (!claims) return { ok: false, reason: 'invalid' };
    if (nowMs >= claims.expiresAtMs) return { ok: false, reason: 'expired' };
    // Verifying costs an HMAC and a JSON parse; the cache keeps lookups cheap under load.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, claims);
    return { ok: true, claims };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  private decode(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      const { client_id: clientId, org: orgId, created_at: createdAt, expires_in: expiresIn } = claims;
      if (typeof clientId !== 'string' || typeof orgId !== 'string') return undefined;
      return { clientId, orgId, expiresAtMs: Number(createdAt) + Number(expiresIn) };
    } catch {
      return undefined;
    }
  }
}

/** What `createdBy`/`updatedBy` show for a server-to-server client, as on the real platform. */
export function technicalAccountId(clientId: string): string {
  return `${clientId}@techacct.adobe.com`;
}
