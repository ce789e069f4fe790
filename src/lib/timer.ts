/** Accumulates wall time per named phase; for debug logs of long jobs. */
export class PhaseTimer {
  readonly totals: Record<string, number> = {};
  private t = performance.now();

  /** Start timing from now (discarding time since the last lap). */
  reset(): void {
    this.t = performance.now();
  }

  /** Charge the time since the last lap (or reset) to `phase`. */
  lap(phase: string): void {
    const now = performance.now();
    this.totals[phase] = (this.totals[phase] ?? 0) + (now - this.t);
    this.t = now;
  }

  rounded(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.totals).map(([k, v]) => [k, Math.round(v)]));
  }
}
