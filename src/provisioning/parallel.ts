/**
 * `mapBounded`: an async map with at most `limit` calls in flight, results in input order. Used to
 * hash changed passwords: scrypt already runs on libuv's thread pool, off the main thread; the
 * bound keeps 10,000 hashes from filling that pool (4 threads by default) so that file and DNS
 * work queued behind them still runs, and lets the event loop serve meanwhile.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
