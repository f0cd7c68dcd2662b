/**
 * A `state migrate` run again after one was killed holding both stores' locks takes each over
 * and says so, naming the store (`<location>: Took over a stale state lock held by pid …`, the
 * time of the lock in each line). Splits those lines from the rest of its stderr.
 */
export function splitTakeovers(stderr: string): { stores: string[]; rest: string } {
  const lines = stderr.split('\n');
  const marker = ': Took over a stale state lock held by pid ';
  return {
    stores: lines
      .filter((line) => line.includes(marker))
      .map((line) => line.slice(0, line.indexOf(marker)))
      .sort(),
    rest: lines.filter((line) => !line.includes(marker)).join('\n'),
  };
}
