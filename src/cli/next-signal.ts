/**
 * The controller's wait for SIGTERM or SIGINT. While it waits, those signals no longer end
 * the process: a start that fails after the wait began must dispose of it, or the process
 * it leaves behind (a server or a timer still open) ignores the SIGTERM that should end it.
 */
export type SignalWait = {
  /** Resolves on the first SIGTERM or SIGINT. */
  signalled: Promise<NodeJS.Signals>;
  /** Stops waiting: the signals' default action (ending the process) applies again. */
  dispose(): void;
};

export function nextSignal(proc: Pick<NodeJS.Process, 'on' | 'off'> = process): SignalWait {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const dispose = (): void => {
    proc.off('SIGTERM', handler).off('SIGINT', handler);
  };
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    handler = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  proc.on('SIGTERM', handler).on('SIGINT', handler);
  return { signalled, dispose };
}

/** A start that fails stops waiting for signals: a failed controller must still end on SIGTERM. */
export async function startWithSignals<T>(signals: SignalWait, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    signals.dispose();
    throw error;
  }
}
