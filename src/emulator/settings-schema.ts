import { z } from 'zod';
import { CompatInput } from './compat-settings.js';
import { ENDPOINTS } from './endpoints.js';
import { FAULT_KINDS } from './faults.js';
import { RETRY_AFTER_FORMS } from './retry-after.js';

/** Checks settings where they enter: options of `startEmulator`, CLI flags, the admin endpoint. */

const Probability = z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');
const Milliseconds = z.number().min(0, 'must not be negative').max(3_600_000, 'must be at most an hour');
/** A clock offset: up to a year either way. */
const ClockOffset = z
  .number()
  .int('must be whole milliseconds')
  .min(-31_536_000_000, 'must be at most a year')
  .max(31_536_000_000, 'must be at most a year');
const Count = z.number().int('must be a whole number').min(0, 'must not be negative');

export const FaultSettingsInput = z.strictObject({
  error500: Probability.optional(),
  error502: Probability.optional(),
  slow: Probability.optional(),
  slowMs: Milliseconds.optional(),
  drop: Probability.optional(),
  responseLost: Probability.optional(),
  operationFailure: Probability.optional(),
  runFailure: Probability.optional(),
  seed: z.number().int().optional(),
});

export const RateLimitInput = z.strictObject({
  perSecond: z.number().positive('must be above 0'),
  burst: z.number().min(1, 'must be at least 1').optional(),
  retryAfter: z.boolean().optional(),
  retryAfterForm: z.enum(RETRY_AFTER_FORMS).optional(),
});

export const GuardrailInput = z.strictObject({
  runsPerDayPerSandbox: Count.optional(),
  runsPerDayWindow: z.enum(['day', 'utc-day']).optional(),
  runsPerAudience: Count.optional(),
  runsPerAudienceWindow: z.enum(['day', 'lifetime']).optional(),
  audiencesPerSandbox: Count.optional(),
});

export const SettingsPatch = z.strictObject({
  tokenLifetimeSeconds: z.number().int().positive('must be above 0').optional(),
  operationDelayMs: Milliseconds.optional(),
  runStageDelayMs: Milliseconds.optional(),
  latencyMs: Milliseconds.optional(),
  latencyJitterMs: Milliseconds.optional(),
  /** null switches rate limiting off. */
  rateLimit: RateLimitInput.nullable().optional(),
  /** Replaces all fault settings (unset probabilities become 0). */
  faults: FaultSettingsInput.optional(),
  /** Merged: unset guardrails keep their value. */
  guardrails: GuardrailInput.optional(),
  newerRules: z.boolean().optional(),
  /** Merged: unset keys keep their value. */
  compat: CompatInput.optional(),
  /** The emulator's clock minus the host's, in ms; 0 is the host's clock. */
  clockOffsetMs: ClockOffset.optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** Which requests a queued fault hits. */
const FaultAim = {
  endpoint: z.enum(ENDPOINTS).optional(),
  count: z.number().int().min(1, 'must be at least 1').optional(),
  after: Count.optional(),
};
const CLIENT_ERROR_ONLY = 'is for clientError only';
const ERROR_503_ONLY = 'is for error503 only';

const KINDS = FAULT_KINDS.map((kind) => JSON.stringify(kind)).join('|');

export const QueuedFaultInput = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.enum(FAULT_KINDS).exclude(['clientError', 'error503']),
      ...FaultAim,
      // Named here (not left to the strict object) so that the refusal says what they are for.
      status: z.undefined({ error: CLIENT_ERROR_ONLY }).optional(),
      errorCode: z.undefined({ error: CLIENT_ERROR_ONLY }).optional(),
      retryAfterSeconds: z.undefined({ error: ERROR_503_ONLY }).optional(),
      retryAfterForm: z.undefined({ error: ERROR_503_ONLY }).optional(),
    }),
    z.strictObject({
      kind: z.literal('error503'),
      ...FaultAim,
      retryAfterSeconds: z
        .number()
        .int('must be whole seconds')
        .min(0, 'must not be negative')
        .max(86_400, 'must be at most a day')
        .optional(),
      retryAfterForm: z.enum(RETRY_AFTER_FORMS).optional(),
    }),
    z.strictObject({
      kind: z.literal('clientError'),
      ...FaultAim,
      status: z
        .number({
          error: (issue) => (issue.input === undefined ? 'is required for clientError' : undefined),
        })
        .int('must be a 4xx status')
        .min(400, 'must be a 4xx status')
        .max(499, 'must be a 4xx status'),
      errorCode: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,40}$/, 'must be letters, digits and dashes (at most 40)')
        .optional(),
    }),
  ],
  // As z.enum(FAULT_KINDS) says it: the union's own text lists the kinds in another form.
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `Invalid option: expected one of ${KINDS}` : undefined,
  },
);

export const ClientInput = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  orgId: z.string().regex(/^[A-Za-z0-9]+@AdobeOrg$/, 'must look like XXXX@AdobeOrg'),
  allowed: z.boolean().optional(),
});
