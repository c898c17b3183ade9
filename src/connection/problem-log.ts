/**
 * Keeps the Node-RED log readable when a source misbehaves: problems are counted, not copied.
 * Each kind of problem (CRC mismatch, skipped bytes, a refused client, the link lost…) is
 * written at most `perWindow` times per window (default 3 per minute); when a window in which
 * lines were held back ends, one line says how many. A line identical to the last one written
 * for its kind is news to nobody (a retry failing the same way every few seconds) and is
 * swallowed without being counted; the health counters count every occurrence anyway.
 * No Node-RED in here: the caller passes the function that writes a line.
 */
export interface ProblemLogOptions {
  /** Lines per kind per window; default 3. */
  perWindow?: number;
  /** Default 60 s. */
  windowMs?: number;
}

interface KindWindow {
  written: number;
  suppressed: number;
  last: string | null;
  /** Ends the window; set while the window is open. */
  timer: NodeJS.Timeout | null;
}

export class ProblemLog {
  private readonly kinds = new Map<string, KindWindow>();
  private readonly perWindow: number;
  private readonly windowMs: number;

  constructor(
    private readonly write: (message: string) => void,
    options: ProblemLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 3;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** `kind` groups messages that differ only in details (each CRC mismatch names its own CRC values). */
  report(message: string, kind: string): void {
    let window = this.kinds.get(kind);
    if (!window) {
      window = { written: 0, suppressed: 0, last: null, timer: null };
      this.kinds.set(kind, window);
    }
    if (message === window.last) return;
    if (window.timer === null) this.openWindow(kind, window);
    if (window.written >= this.perWindow) {
      window.suppressed++;
      return;
    }
    window.written++;
    window.last = message;
    this.write(message);
  }

  /** The source recovered: a problem seen before is news again when it recurs. Held-back counts are still reported. */
  clear(): void {
    for (const window of this.kinds.values()) window.last = null;
  }

  /** Stop the window timers, writing what is still held back (the node is closing). */
  close(): void {
    for (const [kind, window] of this.kinds) this.closeWindow(kind, window);
    this.kinds.clear();
  }

  private openWindow(kind: string, window: KindWindow): void {
    window.timer = setTimeout(() => this.closeWindow(kind, window), this.windowMs);
    window.timer.unref();
  }

  private closeWindow(kind: string, window: KindWindow): void {
    if (window.timer) clearTimeout(window.timer);
    window.timer = null;
    if (window.suppressed > 0) {
      const seconds = Math.round(this.windowMs / 1000);
      this.write(
        `${window.suppressed} more "${kind}" problem${window.suppressed === 1 ? '' : 's'} in the last ${seconds} s (not logged one by one; see the health counters)`,
      );
    }
    window.written = 0;
    window.suppressed = 0;
  }
}
