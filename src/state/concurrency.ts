/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping order.
 * Reading thousands of small files one by one leaves the disk idle between calls;
 * reading them all at once exhausts file descriptors. A bounded pool does neither.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, () => worker());
  await Promise.all(workers);
  return results;
}
