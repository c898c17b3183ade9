import { EventEmitter } from 'node:events';
import type { Backoff } from './backoff';
import type { Transport, TransportState } from './transport';

/**
 * What every transport shares: open/close bookkeeping, state reporting without repeats,
 * and "release, wait, try again" with backoff. A subclass only knows how to `connect()`
 * one attempt and `release()` what that attempt holds.
 *
 * Callbacks from an earlier session (a socket closing after `close()`, a timer racing a
 * redeploy) are told apart by `session`: every `open()`/`close()` starts a new one.
 */
export abstract class BaseTransport extends EventEmitter implements Transport {
  abstract readonly description: string;

  private running = false;
  private session = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryPending = false;
  private lastState: string | undefined;
  /** The release in progress; the next one waits for it, so `close()` never resolves before an earlier release has finished. */
  private releasing: Promise<void> = Promise.resolve();

  protected constructor(protected readonly backoff: Backoff) {
    super();
  }

  open(): void {
    if (this.running) return;
    this.running = true;
    this.retryPending = false;
    const session = ++this.session;
    this.backoff.reset();
    // After a close() that was not awaited, let its release finish first: reopening a port still held fails.
    void this.releasing.then(() => {
      if (session === this.session) this.connect();
    });
  }

  async close(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.session++;
    this.retryPending = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.releaseInTurn();
    if (wasRunning) this.report({ state: 'closed' });
  }

  /** Start one attempt; report progress with `report()`, failure with `retryLater()`. */
  protected abstract connect(): void;

  /** Let go of whatever the current attempt holds (port, socket, timers). Idempotent; resolves once the OS resource is free. */
  protected abstract release(): Promise<void>;

  protected get isRunning(): boolean {
    return this.running;
  }

  /** Emit a state change; an identical repeat of the last state is not emitted. */
  protected report(state: TransportState): void {
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit('state', state);
  }

  /** The link is gone or could not be made: release it, then try again after the backoff delay. Repeated calls before that retry are ignored. */
  protected retryLater(reason: string): void {
    if (!this.running || this.retryPending) return;
    this.retryPending = true;
    const session = this.session;
    const inMs = this.backoff.next();
    this.report({ state: 'reconnecting', inMs, reason });
    void this.releaseInTurn().then(() => {
      if (session !== this.session) return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.retryPending = false;
        if (session === this.session) this.connect();
      }, inMs);
    });
  }

  /** Release the current attempt and start the next one at once, without backoff (auto-detect's next framing). */
  protected reconnectNow(): void {
    const session = this.session;
    void this.releaseInTurn().then(() => {
      if (session === this.session && this.running) this.connect();
    });
  }

  /** Give up for good (configuration that retrying cannot fix); keeps nothing open. */
  protected fail(reason: string): void {
    this.running = false;
    this.session++;
    void this.releaseInTurn().then(() => this.report({ state: 'failed', reason }));
  }

  /** Stop after a natural end (a replay played once); `close()` stays safe to call. */
  protected finish(detail: string): void {
    this.running = false;
    this.session++;
    void this.releaseInTurn().then(() => this.report({ state: 'closed', detail }));
  }

  private releaseInTurn(): Promise<void> {
    this.releasing = this.releasing.then(() => this.release()).catch(() => undefined);
    return this.releasing;
  }
}
