import { availableParallelism } from 'node:os';

/**
 * Parser threads a load starts: one per core but the main one's, which parses too (the
 * chunks no thread was sent yet) and meanwhile reads the state. On 2 cores a second
 * parser thread cost ~0.8 s of CPU for a 10,000-file plan (its start-up, and three
 * threads sharing two cores) and no wall time. bench:plan's bound parses with as many
 * threads (its files split evenly in advance).
 */
export function parserThreadCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
