import type { AudienceRecord } from './schema.js';

/** What one write does once it has looked at the stored record. */
export type Mutation = { write: AudienceRecord } | { remove: true } | { none: true };

/** The stored record as a write sees it, under the lock. */
export type Stored = {
  /** The record, validated; throws if it is corrupt. */
  read(): Promise<AudienceRecord | undefined>;
  /** Whether there is a record at all (a corrupt one included). */
  exists(): Promise<boolean>;
};

export type WriteDecision = (stored: Stored) => Promise<Mutation>;

/**
 * Writes of one record are chained so that they land in call order; writes of
 * different records run in parallel.
 */
export class WriteChains {
  readonly #chains = new Map<string, Promise<unknown>>();

  run(id: string, write: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(id) ?? Promise.resolve();
    const next = previous.then(write, write);
    this.#chains.set(id, next);
    const forget = () => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    };
    next.then(forget, forget);
    return next;
  }

  async settled(): Promise<void> {
    await Promise.allSettled(this.#chains.values());
  }
}
