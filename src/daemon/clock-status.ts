import type { AepClient } from '../aep/types.js';
import type { Logger } from '../log.js';
import { CLOCK_TOLERANCE_SECONDS, skewNote } from '../plan/clock.js';
import type { DaemonMetrics } from './metrics.js';
import type { StatusBoard } from './status-board.js';

/**
 * Publishes AEP's clock against the controller's after a pass: /status, the gauge, and a
 * warning when the offset first goes beyond the tolerance (not at every pass).
 */
export function publishClock(
  client: Pick<AepClient, 'serviceClock'>,
  board: StatusBoard,
  metrics: DaemonMetrics,
  log: Logger,
): void {
  const reading = client.serviceClock?.();
  if (!reading) return;
  const offsetSeconds = Math.round(reading.offsetMs / 1000);
  const skewed = Math.abs(offsetSeconds) > CLOCK_TOLERANCE_SECONDS;
  const was = board.clock?.skewed ?? false;
  board.clockRead({
    offsetSeconds,
    source: reading.source,
    measuredAt: new Date(reading.at).toISOString(),
    toleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    skewed,
  });
  metrics.recordClockOffset(offsetSeconds);
  if (skewed && !was) log.warn({ offsetSeconds, note: skewNote(offsetSeconds) }, 'local clock off AEP clock');
  if (!skewed && was) log.info({ offsetSeconds }, 'local clock agrees with AEP clock again');
}
