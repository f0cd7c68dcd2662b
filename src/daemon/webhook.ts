import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { namesOtherRepository, PushRepository } from './webhook-repository.js';

/** What to do with one webhook delivery; the HTTP layer maps it to a status. */
export type WebhookDecision =
  | { action: 'sync'; ref: string; after: string | undefined }
  | { action: 'ignore'; reason: 'ping' | 'other-branch'; ref?: string }
  /** `repository`: the payload's `full_name`, for the log (never the configured URL). */
  | {
      action: 'ignore';
      reason: 'other-repository';
      ref: string;
      after: string | undefined;
      repository: string | undefined;
    }
  | { action: 'reject'; status: 400 | 401; reason: string };

/** A delivery refused: what the HTTP layer answers, and logs. */
export type WebhookRejection = Extract<WebhookDecision, { action: 'reject' }>;

/** No `X-Hub-Signature-256`, one not of GitHub's form, or one that does not match the body. */
export const BAD_SIGNATURE: WebhookRejection = {
  action: 'reject',
  status: 401,
  reason: 'missing or invalid X-Hub-Signature-256',
};

export type WebhookRequest = {
  /** The raw request body, exactly as received: the signature covers these bytes. */
  body: Buffer;
  /** `X-Hub-Signature-256`. */
  signature: string | undefined;
  /** `X-GitHub-Event`. */
  event: string | undefined;
  /** `Content-Type`: GitHub sends JSON, or a form with a `payload` field. */
  contentType: string | undefined;
};

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** A shorter secret can be guessed, and whoever guesses it can make the controller sync at will. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/**
 * The webhook secret as configured: empty is none, and blanks at either end are dropped (a
 * Secret made from a file usually ends in a newline that GitHub's copy lacks, and every
 * delivery would then be refused as badly signed). `name` is how it was given, named in the
 * refusal (`run` passes the flag or the variable that gave it); default both.
 */
export function webhookSecretOf(
  given: string | undefined,
  name = '--webhook-secret, AUDIENCECTL_WEBHOOK_SECRET',
): string | undefined {
  const secret = given?.trim();
  if (!secret) return undefined;
  if (secret.length < MIN_WEBHOOK_SECRET_LENGTH)
    throw new UsageError(
      'WEBHOOK_SECRET',
      `the webhook secret (${name}) must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (try: openssl rand -hex 32)`,
    );
  return secret;
}

/** The `X-Hub-Signature-256` value GitHub would send for `body`. */
export function signWebhook(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks the HMAC in constant time. The header is parsed to exactly 32 bytes
 * first, so timingSafeEqual never sees buffers of different lengths (it throws on
 * those) and the comparison time does not depend on where the digests differ.
 */
export function verifyWebhookSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (secret.length === 0) return false;
  return digestMatches(createHmac('sha256', secret).update(body).digest(), header);
}

/** Whether `header` names `digest` (an HMAC-SHA256 computed as the body arrived), in constant time. */
export function digestMatches(digest: Buffer, header: string | undefined): boolean {
  const hex = header === undefined ? undefined : SIGNATURE.exec(header.trim())?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, 'hex');
  return given.length === digest.length && timingSafeEqual(given, digest);
}

/**
 * What can be refused from the headers alone, before a byte of the body is read: no
 * `X-Hub-Signature-256` of the form GitHub sends (401, as a bad signature is), or an event that
 * is neither `push` nor `ping` (400, as it is once signed). Anyone can send a body; only these
 * requests can be turned away without holding one.
 */
export function refuseBeforeBody(
  request: Omit<WebhookRequest, 'body' | 'contentType'>,
): WebhookRejection | undefined {
  if (request.signature === undefined || !SIGNATURE.test(request.signature.trim())) return BAD_SIGNATURE;
  if (request.event !== 'push' && request.event !== 'ping') return unsupported(request.event);
  return undefined;
}

function unsupported(event: string | undefined): WebhookRejection {
  return { action: 'reject', status: 400, reason: `unsupported event ${JSON.stringify(event ?? '')}` };
}

// Only the fields we use, read loosely: GitHub adds fields over time.
const PushEvent = z.object({
  ref: z.string().min(1),
  after: z.string().optional(),
  repository: PushRepository.optional().catch(undefined),
});

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  const json = contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ? (new URLSearchParams(text).get('payload') ?? '')
    : text;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Decides a delivery: the signature first (nothing is parsed before it passes),
 * then `ping` (accepted, no sync), then `push`: ignored when it names a repository other
 * than `repository` (an organisation's webhook, or a secret shared by its repositories,
 * delivers every repository's pushes) or a ref other than `refs/heads/<branch>` (GitHub
 * cannot filter pushes by branch), else sync. Any other event is rejected with 400 so a
 * webhook subscribed to too much shows up as failing. Without `repository` (a local
 * path) any repository's push to the branch syncs.
 */
export function decideWebhook(
  secret: string,
  branch: string,
  request: WebhookRequest,
  repository?: string,
): WebhookDecision {
  if (!verifyWebhookSignature(secret, request.body, request.signature)) return BAD_SIGNATURE;
  if (request.event === 'ping') return { action: 'ignore', reason: 'ping' };
  if (request.event !== 'push') return unsupported(request.event);
  const push = PushEvent.safeParse(parseBody(request.body, request.contentType));
  if (!push.success) return { action: 'reject', status: 400, reason: 'push payload without a ref' };
  const { ref, after } = push.data;
  if (namesOtherRepository(repository, push.data.repository)) {
    return {
      action: 'ignore',
      reason: 'other-repository',
      ref,
      after,
      repository: push.data.repository?.full_name,
    };
  }
  if (ref !== `refs/heads/${branch}`) return { action: 'ignore', reason: 'other-branch', ref };
  return { action: 'sync', ref, after };
}

/** Delivery ids remembered; GitHub's are UUIDs, so this is under 100 KB. */
export const DEFAULT_DELIVERIES_REMEMBERED = 1_000;
/** Longer ids are not GitHub's: they are not remembered (and never echoed). */
const MAX_DELIVERY_ID_LENGTH = 100;

/**
 * The `X-GitHub-Delivery` ids of the last verified pushes, oldest forgotten first, so a
 * replayed delivery (a captured request sent again, or a manual redelivery) triggers no
 * second sync and memory stays bounded however many arrive.
 */
export class DeliveryLog {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit = DEFAULT_DELIVERIES_REMEMBERED) {
    this.#limit = Math.max(1, limit);
  }

  /** True the first time `id` is seen (and remembers it); false for a replay. Without an id: true. */
  firstTime(id: string | undefined): boolean {
    if (id === undefined || id === '' || id.length > MAX_DELIVERY_ID_LENGTH) return true;
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    if (this.#seen.size > this.#limit) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
