/**
 * `a.localeCompare(b)`, several times cheaper: ECMA-402 defines localeCompare without
 * arguments as the compare of a collator built with no locale and no options, and V8
 * builds (or looks up) that collator on every call. Sorting 10,000 paths or keys with
 * localeCompare cost about 0.1 s.
 */
export const compareText: (a: string, b: string) => number = new Intl.Collator().compare;
