/** Exponential retry delays: initial, doubling, capped; `reset()` after a good session. */
export class Backoff {
  private nextMs: number;

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 30_000,
  ) {
    this.nextMs = initialMs;
  }

  /** The delay before the next attempt; every call doubles the one after it, up to the cap. */
  next(): number {
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.nextMs = this.initialMs;
  }
}
