import { AudiencectlError } from '../errors.js';
import { describeLocation } from '../state/location.js';
import { STORE_WRITES, type StateStore } from '../state/store.js';
import { locateState, type StateFlags } from './state-options.js';

// Ctrl-C (SIGINT) and SIGTERM in `state import|forget|settle-run` (and `import --discover`):
// Node's default ended them wherever they were, with no word, between two writes of one
// repair too (an import over a pending intent resolves it, then puts the new record), and
// before the lock, while they still read (review cli-39, 4).

/** A state command stopped by SIGINT or SIGTERM before it wrote anything: 130 or 143, as a shell reports it. */
export class StateCommandInterrupted extends AudiencectlError {
  override readonly name = 'StateCommandInterrupted';
  override readonly exitCode: number;

  constructor(signal: NodeJS.Signals, location: string) {
    super(
      'STATE_COMMAND_INTERRUPTED',
      `interrupted (${signal}): nothing was changed in ${location}; run the command again`,
    );
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}

export type StateCommandStop = {
  /** Aborted on the first SIGINT or SIGTERM: ends a lock wait and the calls to AEP given it. */
  signal: AbortSignal;
  /** The signal received, once one was. */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
};

/** What the first signal says when the command has begun writing: it finishes first. */
export const FINISHING_WRITE_MESSAGE =
  'interrupt received: finishing the change under way (Ctrl-C again to stop now)';

/**
 * Listens for SIGINT and SIGTERM until disposed: on the first, the command decides where it
 * stops; a second stops it at once, as Node's default would (a write that hangs, a database
 * gone silent, is not waited out: each write alone is atomic, a repair of several may be left
 * part made, as the user then chose).
 */
export function watchStateCommand(
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'kill' | 'pid'> = process,
): StateCommandStop {
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const dispose = (): void => {
    proc.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (received === undefined) {
      received = signal;
      stop.abort();
      return;
    }
    dispose();
    proc.kill(proc.pid, signal);
  }
  proc.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return { signal: stop.signal, received: () => received, dispose };
}

/**
 * `work` (what a state command does before its lock: it only reads the manifests, their git
 * commit, the configuration), given up at the first signal: nothing was written, so the
 * command stops at once and says so with `stopped()`. Node's default ended it there with no
 * word (review cli-39, 4); a read that hangs (git on a network file system) is not waited
 * out. What `work` goes on doing is only reading; its outcome is then ignored.
 */
export function untilStopped<T>(
  stop: StateCommandStop,
  work: Promise<T>,
  stopped: () => Promise<Error>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      void stopped().then(reject, reject);
    };
    if (stop.signal.aborted) onAbort();
    else stop.signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        stop.signal.removeEventListener('abort', onAbort);
        if (!stop.signal.aborted) resolve(value);
      },
      (error: unknown) => {
        stop.signal.removeEventListener('abort', onAbort);
        if (!stop.signal.aborted) reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Writes a line to stderr for what a command reads before its lock, until a signal gave that
 * reading up: the stop's own message is then the last word (a warning the abandoned reading
 * went on to give, git killed under it say, would only mislead).
 */
export function readingStderr(stop: StateCommandStop): (line: string) => void {
  return (line) => {
    if (!stop.signal.aborted) process.stderr.write(`${line}\n`);
  };
}

/**
 * `store`, whose first write throws `stopped()` once a signal came; once a write has begun, the
 * others follow whatever comes: a repair is made whole or not at all, never half (each write
 * alone is atomic in either store). `begun` says whether one did.
 */
export function fenceWrites(
  store: StateStore,
  stop: StateCommandStop,
  stopped: () => Error,
): { store: StateStore; begun(): boolean } {
  let begun = false;
  const fenced = new Proxy(store, {
    // Read off the store itself: its getters and methods use its private fields.
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!STORE_WRITES.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        if (!begun) {
          if (stop.signal.aborted) return Promise.reject(stopped());
          begun = true;
        }
        return method.apply(target, args);
      };
    },
  });
  return { store: fenced, begun: () => begun };
}

/**
 * A state command's signals watched from its start: `reading` gives up what it reads before
 * its lock at the first signal (untilStopped), said as withLock says a stop before its first
 * write, naming the store as located (`the state store` when even that cannot be read).
 * `run` is given both; the watch is let go when it ends.
 */
export async function stateCommandStop<T>(
  options: StateFlags,
  run: (stop: StateCommandStop, reading: <R>(work: Promise<R>) => Promise<R>) => Promise<T>,
): Promise<T> {
  const stop = watchStateCommand();
  const stopped = async () => {
    const where = await locateState(options).then(
      (located) => describeLocation(located.location),
      () => 'the state store',
    );
    return new StateCommandInterrupted(stop.received() ?? 'SIGINT', where);
  };
  try {
    return await run(stop, (work) => untilStopped(stop, work, stopped));
  } finally {
    stop.dispose();
  }
}
