/**
 * Sends health messages at most once per interval (default 1 s). A message offered sooner
 * waits until the interval is over; a newer one replaces it, so the last state always goes
 * out and a burst of phase changes becomes one message instead of a flood.
 */
export class HealthPacer<T> {
  private lastSentAt = -Infinity;
  private pending: T | undefined;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (value: T) => void,
    private readonly intervalMs = 1000,
  ) {}

  offer(value: T): void {
    const wait = this.lastSentAt + this.intervalMs - Date.now();
    if (wait <= 0 && this.timer === null) {
      this.deliver(value);
      return;
    }
    this.pending = value;
    if (this.timer === null) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          const value = this.pending as T;
          this.pending = undefined;
          this.deliver(value);
        },
        Math.max(0, wait),
      );
    }
  }

  /** Forget what waits (the node is closing). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = undefined;
  }

  private deliver(value: T): void {
    this.lastSentAt = Date.now();
    this.send(value);
  }
}
