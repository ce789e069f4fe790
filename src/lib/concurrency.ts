// Bounded concurrency for independent pieces of read work (a report per
// campaign): a few at a time share the connection pool instead of queueing
// one after another, without taking the whole pool from other requests.

/** `f` over `items`, at most `limit` running at once; the results in the items' order. The first failure rejects (the rest still settle). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!, i);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return out;
}
