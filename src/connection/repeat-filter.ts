/**
 * Logs a problem only when it differs from the last one logged, so that a meter sending broken
 * telegrams every second (or a port that keeps failing to open) does not flood the Node-RED log.
 * Problems are compared by `key`, by default the message itself; a caller can pass a coarser key
 * (e.g. "crc") when messages carry varying details. `clear()` after recovery lets the same
 * problem be logged again.
 */
export class RepeatFilter {
  private last: string | null = null;

  constructor(private readonly write: (message: string) => void) {}

  report(message: string, key: string = message): void {
    if (key === this.last) return;
    this.last = key;
    this.write(message);
  }

  clear(): void {
    this.last = null;
  }
}
