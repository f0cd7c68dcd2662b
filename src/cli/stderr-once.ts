/**
 * What a command said on standard error, so that work done again does not say it twice: a plan
 * made again without its state snapshot (SnapshotSpecError, commands/plan.ts) read the service
 * again and said the configuration's warnings, and its notes, a second time.
 */
export type StderrSaid = {
  /** Runs `work`, keeping the text of each of its writes on standard error. */
  keep<T>(work: () => Promise<T>): Promise<T>;
  /** Runs `work`, leaving out each write on standard error whose text was kept. */
  once<T>(work: () => Promise<T>): Promise<T>;
};

type Write = (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;

export function stderrSaid(): StderrSaid {
  const said = new Set<string>();
  const around = async <T>(write: (original: Write) => Write, work: () => Promise<T>): Promise<T> => {
    const stderr = process.stderr as unknown as { write: Write };
    const original = stderr.write;
    stderr.write = write(original.bind(process.stderr));
    try {
      return await work();
    } finally {
      stderr.write = original;
    }
  };
  const text = (chunk: string | Uint8Array) =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  return {
    keep: (work) =>
      around(
        (original) =>
          (chunk, ...rest) => {
            said.add(text(chunk));
            return original(chunk, ...rest);
          },
        work,
      ),
    once: (work) =>
      around(
        (original) =>
          (chunk, ...rest) => {
            if (!said.has(text(chunk))) return original(chunk, ...rest);
            // A callback still expects to be called, as a write would.
            const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
            if (done) queueMicrotask(done);
            return true;
          },
        work,
      ),
  };
}
