import { parseHttpDate } from './http-date.js';

/** What the client has learnt of AEP's clock, from its answers. */
export type ClockReading = {
  /** AEP's clock minus the local clock, in ms (positive: the local clock is behind). */
  offsetMs: number;
  /**
   * `date`: an answer's Date header (1-second precision), the only source. (A started run's
   * createdAt was one once: the page also reads it as the audience's creation time.)
   */
  source: 'date';
  /** Local epoch ms of the answer the reading comes from. */
  at: number;
  /** How long ago that answer arrived, in ms, on a clock that does not jump (performance.now). */
  ageMs: number;
  /**
   * AEP's clock now, at the earliest (epoch ms): the answer's Date (its second had begun when
   * the answer arrived) plus `ageMs`. Neither the header's precision nor a step of the local
   * clock since can put it after AEP's own time.
   */
  earliestMs: number;
};

/** Anything that reads AEP's clock (the HTTP client, and the daemon's shielded view of it). */
export type ServiceClockSource = { serviceClock(): ClockReading | undefined };

/**
 * The latest offset between AEP's clock and the local one. Date has 1-second precision
 * (truncated), so a sample takes the middle of its second: within
 * about a second plus the answer's transit of the truth, far inside any tolerance.
 */
export class ServiceClock implements ServiceClockSource {
  #latest:
    | { offsetMs: number; source: ClockReading['source']; at: number; mono: number; dateMs: number }
    | undefined;
  readonly #monotonic: () => number;

  constructor(monotonic: () => number = () => performance.now()) {
    this.#monotonic = monotonic;
  }

  /** An answer's Date header, as it arrived at local time `arrivedMs`. */
  dateHeader(header: string | undefined, arrivedMs: number): void {
    if (header === undefined) return;
    // GMT whatever the form (http-date.ts): Date.parse read asctime in the local zone.
    const serviceMs = parseHttpDate(header);
    if (serviceMs === undefined) return;
    this.#latest = {
      offsetMs: Math.round(serviceMs + 500 - arrivedMs),
      source: 'date',
      at: arrivedMs,
      mono: this.#monotonic(),
      dateMs: serviceMs,
    };
  }

  serviceClock(): ClockReading | undefined {
    const latest = this.#latest;
    if (!latest) return undefined;
    const ageMs = this.#monotonic() - latest.mono;
    return {
      offsetMs: latest.offsetMs,
      source: latest.source,
      at: latest.at,
      ageMs,
      earliestMs: Math.floor(latest.dateMs + ageMs),
    };
  }
}
