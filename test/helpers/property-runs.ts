/**
 * How many cases a property test tries: `runs(n)` is n, scaled by
 * AUDIENCECTL_TEST_PROPERTY_SCALE when it is set (a fraction, 0 < scale <= 1), and never
 * fewer than one. CI runs the full number on the production runtime (Node 24) and a
 * fifth on Node 20, where every property is still checked, on fewer random cases: the
 * code under test is the same, the runtime is what that pass is for.
 */
export function runs(n: number): number {
  const raw = process.env.AUDIENCECTL_TEST_PROPERTY_SCALE;
  if (raw === undefined || raw === '') return n;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1)) {
    throw new Error(`AUDIENCECTL_TEST_PROPERTY_SCALE must be a number in (0, 1], not "${raw}"`);
  }
  return Math.max(1, Math.ceil(n * scale));
}
