import { z } from 'zod';

/** The ends the page names for an operation and a run, as it writes them. */
const ENDS = ['SUCCESS', 'FAILED'] as const;

/**
 * An operation's or a run's `status` as a service answers it. The page writes every status in
 * upper case; a service (or a gateway) that answers `Success` or `failed` says the same end,
 * which read as an unknown word left the create's operation, or the run, "still Success" at
 * every apply: the audience never recorded, the audience's next run never started. An end in
 * any case of ASCII letters is read as the page writes it (only ASCII: `ſuccess` upper-cases to
 * SUCCESS in JavaScript and is no such word); every other status is kept as it is and read as
 * in progress, as the page's "include" allows words it does not list.
 */
export const AnsweredStatus = z.string().transform((status): string => {
  if (!/^[A-Za-z]+$/.test(status)) return status;
  const upper = status.toUpperCase();
  return (ENDS as readonly string[]).includes(upper) ? upper : status;
});
