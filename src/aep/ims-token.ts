import type { Got, Response } from 'got';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { redactText, registerSecret } from '../text/secrets.js';
import { safeUrl } from '../text/safe-url.js';
import { sleep, withAbort } from './abort.js';
import { AnswerTooLargeError, cappedAnswer, mebibytes } from './answer-cap.js';
import { hintsOf, type AepCredentials, type CredentialHints } from './credentials.js';
import { AepAuthError, plainCause } from './errors.js';
import { askedWait, backoffDelay, DEFAULT_RETRY, retryAfterOf } from './retry-policy.js';
import { neverConnected, proxyFailureText, proxyVariable, requestErrorParts } from './transport-error.js';
import { DEFAULT_SCOPES } from './ims-defaults.js';

/**
 * What a bearer token can be: visible ASCII, no blank (RFC 6750's b64token and more). A line
 * break or a character outside Latin-1 cannot go in a header: taken as a token, every API call
 * failed in Node before it was sent (ERR_INVALID_CHAR), read as "Cannot reach AEP ... the change
 * may or may not have been made" (review secrets-42, L-3). It is no usable token.
 */
const BEARER_TOKEN = /^[\x21-\x7E]+$/;

const TokenAnswer = z.looseObject({
  access_token: z.string().regex(BEARER_TOKEN),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
});

export type ImsTokenOptions = {
  imsUrl: string;
  credentials: AepCredentials;
  /** The got instance to use (the client's, so timeouts are shared). */
  http: Got;
  /** Renew this long before expiry: min(10% of the lifetime, this). Default 300000 (5 min). */
  renewMarginMs?: number | undefined;
  /** A refused token request is answered from memory this long, so bad credentials do not hammer IMS. Default 30000. */
  failureCacheMs?: number | undefined;
  /**
   * retry.maxRetryAfterMs: a 429 or 5xx of IMS asking for a longer wait is not waited for
   * (http.ts), and no token is asked for before that wait is over. Default DEFAULT_RETRY's.
   */
  maxRetryAfterMs?: number | undefined;
  logger?: Logger | undefined;
  now?: (() => number) | undefined;
  /** ms on a clock that does not jump (default performance.now); see `ImsToken.age`. */
  monotonic?: (() => number) | undefined;
  /**
   * The wait before asking again after a connection refused outside got's retries (Node >=
   * 24.20, got#2469), by retry (1, 2). Default: DEFAULT_RETRY's backoff.
   */
  reconnectDelayMs?: ((retry: number) => number) | undefined;
};

/** A token request refused at connection is sent this many times more (got's IMS retries, in http.ts, are as many). */
const IMS_RECONNECTS = 2;

/** A time on both clocks, so an age can be read on each. */
type Instant = { wall: number; mono: number };

/** `renewAfterMs`, `expiresAfterMs`: counted from `sentAt`, when the token was asked for. */
type Cached = { value: string; sentAt: Instant; renewAfterMs: number; expiresAfterMs: number };

/**
 * An IMS OAuth server-to-server token for one client: cached, renewed before it expires,
 * at most one token request in flight (concurrent callers share it). No refresh token
 * exists for client credentials: renewal is a new token request.
 */
export class ImsToken {
  private cached: Cached | undefined;
  private pending: Promise<Cached> | undefined;
  /** `asked`: IMS asked for this wait (a Retry-After it was not waited for), no refusal. */
  private failure: { error: AepAuthError; at: Instant; forMs: number; asked: boolean } | undefined;
  private requestCount = 0;
  private readonly hints: CredentialHints;
  /** The secret sent: the credentials', or the one their file holds since (secretRotated). */
  private secret: string;
  private readonly now: () => number;
  private readonly monotonic: () => number;

  constructor(private readonly options: ImsTokenOptions) {
    this.hints = hintsOf(options.credentials);
    this.secret = options.credentials.clientSecret;
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
    registerSecret(options.credentials.clientSecret);
  }

  /** Token requests sent to IMS so far. */
  get requests(): number {
    return this.requestCount;
  }

  /**
   * A valid access token: the cached one, or a new one from IMS. In the first half of the
   * renewal margin the cached token is still returned while the renewal runs in the
   * background (an IMS hiccup then costs nothing); after that, callers wait for it.
   */
  async get(signal?: AbortSignal): Promise<string> {
    const cached = this.cached;
    const age = cached ? this.age(cached.sentAt) : Infinity;
    if (cached && age < cached.renewAfterMs) return cached.value;
    const stillGood =
      cached !== undefined && age < cached.expiresAfterMs - (cached.expiresAfterMs - cached.renewAfterMs) / 2;
    const failure = this.failure;
    const failedAgo = failure === undefined ? Infinity : this.age(failure.at);
    if (failure && failedAgo < failure.forMs) {
      if (stillGood) return cached.value;
      throw failure.asked ? waitLeft(failure.error, failure.forMs - failedAgo) : failure.error;
    }
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    if (stillGood) {
      this.pending.catch(() => undefined);
      return cached.value;
    }
    const token = await withAbort(this.pending, signal);
    return token.value;
  }

  /**
   * The API refused `token`: forget it so the next `get` asks IMS. A token already replaced
   * (another call renewed it) is left alone, so many refused calls cause one renewal.
   */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async request(): Promise<Cached> {
    const { imsUrl, credentials } = this.options;
    const sentAt = this.instant();
    this.requestCount += 1;
    let body: string;
    try {
      const response = await this.post();
      body = response.body;
      // Not followed (http.ts): a redirect would send the client secret on to where it points.
      if (response.statusCode >= 300 && response.statusCode < 400) {
        throw this.remember(
          new AepAuthError({
            message: `IMS at ${safeUrl(imsUrl)} answered HTTP ${response.statusCode}, a redirect that audiencectl does not follow (it would send the client secret there): check ${this.hints.imsUrl} and any proxy (HTTPS_PROXY, NO_PROXY).`,
            status: response.statusCode,
          }),
        );
      }
    } catch (error) {
      if (error instanceof AepAuthError) throw error;
      const refused = this.toAuthError(error);
      if ((refused.imsError === 'invalid_client' || refused.status === 401) && this.secretRotated())
        return this.request();
      throw this.remember(refused);
    }
    const parsed = TokenAnswer.safeParse(safeJson(body));
    if (!parsed.success) {
      throw this.remember(
        new AepAuthError({
          message: `IMS at ${safeUrl(imsUrl)} answered without a usable access token: check ${this.hints.imsUrl}.`,
        }),
        'IMS answered without a usable access token',
      );
    }
    const token = parsed.data.access_token;
    registerSecret(token, 'token');
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(lifetimeMs * 0.1, this.options.renewMarginMs ?? 300_000);
    const cached = { value: token, sentAt, expiresAfterMs: lifetimeMs, renewAfterMs: lifetimeMs - margin };
    this.cached = cached;
    this.failure = undefined;
    this.options.logger?.debug(
      { clientId: credentials.clientId, expiresInSeconds: parsed.data.expires_in },
      'IMS access token issued',
    );
    return cached;
  }

  private async post(): Promise<Response<string>> {
    const { imsUrl, credentials, http } = this.options;
    for (let retry = 1; ; retry += 1) {
      try {
        return await cappedAnswer(
          http.post(imsUrl, {
            prefixUrl: '',
            form: {
              grant_type: 'client_credentials',
              client_id: credentials.clientId,
              client_secret: this.secret,
              scope: (credentials.scopes ?? DEFAULT_SCOPES).join(','),
            },
            context: { ims: true },
            responseType: 'text',
            // Whatever got instance it is given (the client's, `init`'s): a redirect is not followed.
            followRedirect: false,
          }),
        );
      } catch (error) {
        // Without this, Node 24 (the image's) would never retry an IMS that refused a connection.
        if (!neverConnected(error) || retry > IMS_RECONNECTS) throw error;
        await sleep(this.options.reconnectDelayMs?.(retry) ?? backoffDelay(retry, DEFAULT_RETRY));
      }
    }
  }

  /**
   * Whether the secret's file (AepCredentials.rereadSecret) now holds another secret than the one
   * IMS refused, taken for the next request: a Secret rotated as Adobe Developer Console has it
   * done (a new secret added, the old one deleted) reaches a running controller, which read the
   * file at start, without a restart. A file that cannot be read leaves the refusal as it is.
   */
  private secretRotated(): boolean {
    const reread = this.options.credentials.rereadSecret;
    if (reread === undefined) return false;
    let fresh: string;
    try {
      fresh = reread();
    } catch {
      return false;
    }
    if (fresh === '' || fresh === this.secret) return false;
    registerSecret(fresh);
    this.secret = fresh;
    this.options.logger?.info(
      { clientId: this.options.credentials.clientId },
      'IMS refused the client secret; its file holds another one since: asking with it',
    );
    return true;
  }

  private instant(): Instant {
    return { wall: this.now(), mono: this.monotonic() };
  }

  /**
   * ms since `at`, the larger of the two clocks' readings: a wall clock stepped back (NTP)
   * does not keep an expired token in use, nor does a monotonic clock that stood still while
   * the machine was suspended; either clock stepping ahead only renews early.
   */
  private age(at: Instant): number {
    return Math.max(this.now() - at.wall, this.monotonic() - at.mono);
  }

  /** `logText`: the log line's fixed text (failureLogText: by the answer's status). */
  private remember(error: AepAuthError, logText = failureLogText(error.status)): AepAuthError {
    // A refusal, or a redirect (not followed: asking again meets it again).
    const definitive =
      error.status !== undefined && error.status >= 300 && error.status < 500 && error.status !== 429;
    if (definitive)
      this.failure = {
        error,
        at: this.instant(),
        forMs: this.options.failureCacheMs ?? 30_000,
        asked: false,
      };
    // IMS unavailable, asking for a wait not waited for (a 429 is its throttle of this client):
    // every token request before it is over would only earn another, so none is sent.
    else if (error.retryAfterMs !== undefined)
      this.failure = { error, at: this.instant(), forMs: error.retryAfterMs, asked: true };
    this.options.logger?.warn(
      { clientId: this.options.credentials.clientId, status: error.status, imsError: error.imsError },
      logText,
    );
    return error;
  }

  private toAuthError(error: unknown): AepAuthError {
    const { imsUrl, credentials } = this.options;
    const cause = plainCause(error, redactText);
    if (error instanceof AnswerTooLargeError) {
      const status = error.status === undefined ? '' : ` (HTTP ${error.status})`;
      return new AepAuthError({
        message: `IMS's answer${status} at ${safeUrl(imsUrl)} was larger than ${mebibytes(error.maxBytes)}, more than any token answer, and was not read: check ${this.hints.imsUrl} and any proxy in between.`,
        cause,
      });
    }
    const parts = requestErrorParts(error);
    const atProxy = proxyFailureText(parts);
    if (atProxy !== undefined) {
      return new AepAuthError({
        message: `${atProxy}, asking IMS at ${safeUrl(imsUrl)} for a token: check ${proxyVariable(parts)} (or NO_PROXY) and the network.`,
        cause,
      });
    }
    if (parts.status === undefined) {
      return new AepAuthError({
        message: `Cannot reach IMS at ${safeUrl(imsUrl)} (${parts.errorCode ?? 'network error'}): check ${this.hints.imsUrl} and the network.`,
        cause,
      });
    }
    // Scrubbed before it is read and shortened: an IMS that echoes the request (the form
    // holds client_secret) may put it in any field, or where the description is cut.
    const { imsError, description } = readImsError(
      parts.body === undefined ? undefined : redactText(parts.body),
    );
    const said = description === undefined ? '' : ` IMS said: ${description}`;
    const clientId = credentials.clientId;
    let message: string;
    if (imsError === 'invalid_client' && parts.status === 401) {
      message = `IMS refused the client secret of client ${clientId}: check ${this.hints.clientSecret}.`;
    } else if (imsError === 'invalid_client') {
      message = `IMS does not know client ${clientId}: check ${this.hints.clientId}.`;
    } else if (imsError === 'invalid_scope') {
      message = `IMS refused the scopes requested for client ${clientId}: check ${this.hints.scopes}.`;
    } else if (parts.status === 401 || parts.status === 403) {
      message = `IMS refused the credentials of client ${clientId}: check ${this.hints.clientId} and ${this.hints.clientSecret}.`;
    } else if (parts.status >= 500 || parts.status === 429) {
      const asked = askedWait(retryAfterOf(parts.headers));
      const max = this.options.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs;
      if (asked !== undefined && asked > max) {
        const until = new Date(this.now() + asked).toISOString();
        message = `IMS is unavailable (HTTP ${parts.status}) and asked for a Retry-After of ${seconds(asked)}, longer than retry.maxRetryAfterMs (${seconds(max)}): no token is asked for before ${until}; try again after that.`;
        return new AepAuthError({
          message: message + said,
          status: parts.status,
          imsError,
          retryAfterMs: asked,
          cause,
        });
      }
      message = `IMS is unavailable (HTTP ${parts.status}); try again later.`;
    } else {
      message = `IMS refused the token request of client ${clientId} (HTTP ${parts.status}${imsError ? ` ${imsError}` : ''}): check ${this.hints.clientId}, ${this.hints.clientSecret} and ${this.hints.scopes}.`;
    }
    return new AepAuthError({ message: message + said, status: parts.status, imsError, cause });
  }
}

const seconds = (ms: number): string => `${Math.ceil(ms / 1000)} s`;

/**
 * IMS's answer that asked for a wait (`error`), as a token request before it is over fails: the
 * same words, and `retryAfterMs` what is left of the wait (the controller's next pass waits it).
 */
function waitLeft(error: AepAuthError, leftMs: number): AepAuthError {
  return new AepAuthError({
    message: error.message,
    status: error.status,
    imsError: error.imsError,
    retryAfterMs: leftMs,
    cause: error.cause,
  });
}

/**
 * The log line of a failed token request, fixed text per kind of answer (the error's message
 * says the rest): a redirect is not followed, a 5xx or 429 is IMS unavailable, no answer at all
 * (or a proxy's failure) is no refusal.
 */
function failureLogText(status: number | undefined): string {
  if (status === undefined) return 'IMS could not be reached';
  if (status >= 300 && status < 400) return 'IMS answered a redirect; not followed';
  if (status >= 500 || status === 429) return 'IMS is unavailable';
  return 'IMS refused the token request';
}

/** IMS answers errors as `{ error, error_description }` (OAuth 2.0, RFC 6749 section 5.2). */
function readImsError(body: string | undefined): { imsError?: string; description?: string } {
  const json = body === undefined ? undefined : safeJson(body);
  if (typeof json !== 'object' || json === null) return {};
  const { error, error_description: description } = json as Record<string, unknown>;
  const result: { imsError?: string; description?: string } = {};
  if (typeof error === 'string') result.imsError = error;
  if (typeof description === 'string') result.description = description.slice(0, 300);
  return result;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One ImsToken per client (client id + secret + scopes), shared by its sandboxes. */
export class ImsTokens {
  private readonly tokens = new Map<string, ImsToken>();
  private readonly byCredentials = new WeakMap<AepCredentials, ImsToken>();

  constructor(private readonly make: (credentials: AepCredentials) => ImsToken) {}

  for(credentials: AepCredentials): ImsToken {
    const known = this.byCredentials.get(credentials);
    if (known) return known;
    const key = JSON.stringify([credentials.clientId, credentials.clientSecret, credentials.scopes ?? null]);
    let token = this.tokens.get(key);
    if (!token) {
      token = this.make(credentials);
      this.tokens.set(key, token);
    }
    this.byCredentials.set(credentials, token);
    return token;
  }

  /** Token requests sent to IMS by all clients. */
  get requests(): number {
    let total = 0;
    for (const token of this.tokens.values()) total += token.requests;
    return total;
  }
}
