/**
 * `value` encoded as one segment of a request path. An empty one would change the path
 * (`external-audience//runs`, or the list instead of one audience): a caller's bug.
 */
export function pathSegment(value: string, what: string): string {
  if (value === '') throw new TypeError(`${what} must not be empty`);
  return encodeURIComponent(value);
}
