/**
 * Ctrl-C during an apply. The first SIGINT (or SIGTERM) drains: no new step starts,
 * calls in flight finish and are recorded, runs already started are left running and
 * recorded. The second stops at once: calls in flight are aborted, their intents kept
 * for the next apply to settle.
 */
export type Interrupts = {
  /** Fires on the first signal. */
  drain: AbortSignal;
  /** Fires on the second signal. */
  abort: AbortSignal;
  dispose(): void;
};

export const DRAIN_MESSAGE = 'interrupt received: finishing calls in flight (Ctrl-C again to stop now)';
export const ABORT_MESSAGE = 'stopping now: calls in flight are abandoned; the next apply settles them';

export function watchInterrupts(
  say: (message: string) => void,
  proc: Pick<NodeJS.Process, 'on' | 'off'> = process,
): Interrupts {
  const drain = new AbortController();
  const abort = new AbortController();
  const onSignal = (): void => {
    if (!drain.signal.aborted) {
      say(DRAIN_MESSAGE);
      drain.abort();
      return;
    }
    if (!abort.signal.aborted) {
      say(ABORT_MESSAGE);
      abort.abort();
    }
  };
  proc.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return {
    drain: drain.signal,
    abort: abort.signal,
    dispose: () => {
      proc.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    },
  };
}
