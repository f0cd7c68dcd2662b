import { StateError } from '../errors.js';

/** The code of a lock given up while the store was still connecting (connectStoppable). */
export const CONNECT_STOPPED = 'STATE_CONNECT_STOPPED';

/**
 * `checks` (the connection, the schema's and the server's checks a lock makes first), ended by
 * `signal`: a Ctrl-C while a silent server keeps the connect waiting (up to
 * --state-connect-timeout) stops at once, nothing changed, instead of waiting it out and failing
 * with "could not connect" (review 38v, L-1). `cut` ends the connections still opening (the
 * pool's end waits for them: the process stayed until the connect timed out); what `checks`
 * then becomes is heard here. A signal given aborted already changes nothing.
 */
export async function connectStoppable(
  checks: Promise<unknown>,
  signal: AbortSignal | undefined,
  display: string,
  cut: () => void,
): Promise<void> {
  if (signal === undefined || signal.aborted) {
    await checks;
    return;
  }
  checks.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      cut();
      reject(new StateError(CONNECT_STOPPED, `stopped connecting to ${display}: nothing was changed.`));
    };
    signal.addEventListener('abort', stop, { once: true });
    checks.then(
      () => {
        signal.removeEventListener('abort', stop);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
