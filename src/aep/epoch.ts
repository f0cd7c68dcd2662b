/** Epoch seconds of the year 5138: anything above is not seconds. */
const MAX_EPOCH_SECONDS = 1e11;
/** Epoch milliseconds of the same year: anything above is microseconds. */
const MAX_EPOCH_MILLISECONDS = 1e14;

/**
 * A time the service answered, in epoch seconds. The page documents seconds, but its own
 * runs-list filter example compares `createdAt` in milliseconds: a value too large to be
 * seconds is read by its size as milliseconds (or microseconds), never as a date millennia
 * ahead, which would hold every schedule and count every run as recent forever.
 */
export function asEpochSeconds(value: number): number {
  if (value > MAX_EPOCH_MILLISECONDS) return Math.floor(value / 1e6);
  if (value > MAX_EPOCH_SECONDS) return Math.floor(value / 1000);
  return value;
}
