// mapLimit: results in order, never more than the limit running, failures surface.
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/lib/concurrency';

/** A task that finishes when told to, recording how many ran at once. */
function gate() {
  let running = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  const task = async (v: number) => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((r) => waiting.push(r));
    running--;
    return v * 10;
  };
  const releaseAll = async () => {
    // Let started tasks finish one by one, in reverse: the results must still come back in order.
    while (running > 0 || waiting.length) {
      waiting.pop()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { task, releaseAll, most: () => most };
}

describe('mapLimit', () => {
  it('runs at most `limit` at once and answers in the items’ order', async () => {
    const g = gate();
    const done = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, g.task);
    await g.releaseAll();
    expect(await done).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(g.most()).toBe(3);
  });

  it('handles no items and a limit above the count', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    const g = gate();
    const done = mapLimit([1, 2], 8, g.task);
    await g.releaseAll();
    expect(await done).toEqual([10, 20]);
    expect(g.most()).toBe(2);
  });

  it('rejects with the first failure after the others settle', async () => {
    const seen: number[] = [];
    const run = mapLimit([1, 2, 3, 4], 2, async (v) => {
      await new Promise((r) => setImmediate(r));
      seen.push(v);
      if (v === 2) throw new Error('two failed');
      return v;
    });
    await expect(run).rejects.toThrow('two failed');
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
  });
});
