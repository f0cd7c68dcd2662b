import type { ResolvedCompat } from './compat-settings.js';

/**
 * The `ttlInDaysType` reading of the page (compat-settings.ts): its tables give `ttlInDays` as
 * an Integer, its create request sample sends `"40"`. With `string`, every answer that shows it
 * writes it so. Requests take either (schema.ts TtlInDays); what is stored stays a number.
 */
type Reading = Pick<ResolvedCompat, 'ttlInDaysType'>;

/** `view` with its `ttlInDays`, when a number, written as the reading answers it. */
export function ttlTyped<T extends object>(view: T, reading: Reading): T {
  const ttl = (view as { ttlInDays?: unknown }).ttlInDays;
  if (reading.ttlInDaysType !== 'string' || typeof ttl !== 'number') return view;
  return { ...view, ttlInDays: String(ttl) };
}

/** An answer echoing the create request (`operationDetails`: the create answer, the operation). */
export function detailsTyped<T extends { operationDetails?: Record<string, unknown> }>(
  view: T,
  reading: Reading,
): T {
  if (reading.ttlInDaysType !== 'string' || view.operationDetails === undefined) return view;
  return { ...view, operationDetails: ttlTyped(view.operationDetails, reading) };
}
