// A token bucket: at most `perSecond` takes per second on average, with bursts
// up to one second's worth. 0 means no limit.
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  async take(): Promise<void> {
    if (this.perSecond <= 0) return;
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000)));
    }
  }
}

/**
 * Token buckets per key (a client) that answer at once instead of waiting:
 * `allow(key)` is false when the key has used its `perMinute` (bursts up to
 * `burst`). Time comes from `now` (ms), so tests can hold it still. Keys are
 * forgotten once their bucket is full again; the map is bounded.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  allow(key: string): boolean {
    if (this.perMinute <= 0) return true;
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 60_000) * this.perMinute >= this.burst) this.buckets.delete(k);
    }
    // Still full (a flood of distinct keys): start over rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
