import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';

export interface ReplayOptions {
  /** A capture as a P1 cable delivers it (`cat /dev/ttyUSB0 > capture.txt`); may start mid-telegram, may be LF-only. */
  file: string;
  /** Delay between telegrams; 0 = the capture's own rate. */
  intervalMs: number;
  /** Start again after the last telegram; otherwise stop with state 'closed' ("replay finished"). */
  loop: boolean;
}

/** The longest gap between two telegram timestamps that is still taken as the meter's rate. */
const MAX_TIMESTAMP_GAP_MS = 60_000;

/**
 * The largest capture replayed: 32 MiB, about eight hours of DSMR 5 telegrams (one a second).
 * Larger files, and anything that is not a regular file (a device such as /dev/zero, a pipe),
 * are refused with a clear error instead of filling the memory.
 */
export const MAX_REPLAY_FILE_SIZE = 32 * 1024 * 1024;

/**
 * Plays a capture file telegram by telegram, each as one `'data'` chunk, at the capture's
 * rate (from the telegrams' 0-0:1.0.0 timestamps, else 1 s for DSMR 5 and 10 s for older
 * meters) or at a fixed interval. The file is streamed in, up to `MAX_REPLAY_FILE_SIZE`.
 */
export class ReplayTransport extends BaseTransport {
  readonly description: string;
  private timer: NodeJS.Timeout | undefined;
  private loaded = 0;

  constructor(private readonly options: ReplayOptions) {
    super(new Backoff());
    this.description = `replay ${path.basename(options.file)}`;
  }

  protected connect(): void {
    const load = ++this.loaded;
    this.report({ state: 'connecting', detail: `reading ${this.options.file}` });
    readCapture(this.options.file).then(
      (capture) => {
        if (load !== this.loaded || !this.isRunning) return;
        const telegrams = splitCapture(capture);
        if (telegrams.length === 0) {
          this.fail(`no telegram in replay file ${this.options.file}`);
          return;
        }
        const n = telegrams.length;
        this.report({ state: 'connected', detail: `replaying ${path.basename(this.options.file)} (${n} telegram${n === 1 ? '' : 's'})` });
        const delays = this.options.intervalMs > 0 ? telegrams.map(() => this.options.intervalMs) : captureDelays(telegrams);
        this.play(telegrams, delays, 0);
      },
      (err: NodeJS.ErrnoException) => {
        if (load === this.loaded && this.isRunning) this.fail(`cannot read replay file ${this.options.file}: ${describeFileError(err)}`);
      },
    );
  }

  private play(telegrams: Buffer[], delays: number[], index: number): void {
    this.emit('data', telegrams[index]);
    const next = index + 1;
    if (next === telegrams.length && !this.options.loop) {
      this.finish('replay finished');
      return;
    }
    this.timer = setTimeout(() => this.play(telegrams, delays, next % telegrams.length), delays[index]);
  }

  protected async release(): Promise<void> {
    this.loaded++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Cut a capture into telegrams: each ends with the line that starts with `!` (plus its line
 * end). Pieces without a header line (`/` at the start of a line) — the tail of a telegram the
 * capture started in — and the unfinished telegram at the end are left out.
 */
export function splitCapture(capture: Buffer): Buffer[] {
  const telegrams: Buffer[] = [];
  let start = 0;
  let bang = capture.indexOf('\n!', 0, 'latin1');
  while (bang >= 0) {
    const lineEnd = capture.indexOf('\n', bang + 1);
    const end = lineEnd < 0 ? capture.length : lineEnd + 1;
    const piece = capture.subarray(start, end);
    const header = piece[0] === 0x2f /* / */ ? 0 : piece.indexOf('\n/', 0, 'latin1');
    if (header >= 0) telegrams.push(Buffer.from(piece.subarray(header === 0 ? 0 : header + 1)));
    start = end;
    bang = capture.indexOf('\n!', end - 1, 'latin1');
    if (lineEnd < 0) break;
  }
  return telegrams;
}

/** The delay after each telegram: the gap to the next one's timestamp, else the meter's usual rate. The last one wraps to the first. */
export function captureDelays(telegrams: Buffer[]): number[] {
  const texts = telegrams.map((t) => t.toString('latin1'));
  const times = texts.map(telegramTime);
  return texts.map((text, i) => {
    const now = times[i];
    const next = times[i + 1];
    if (now !== undefined && next !== undefined) {
      const gap = next - now;
      if (gap > 0 && gap <= MAX_TIMESTAMP_GAP_MS) return gap;
    }
    return usualInterval(text);
  });
}

/** DSMR 5 (and the Belgian e-MUCS built on it) sends every second, older versions every 10 s. */
function usualInterval(text: string): number {
  return /^1-3:0\.2\.8\(5\d\)|^0-0:96\.1\.4\(/m.test(text) ? 1000 : 10_000;
}

/** 0-0:1.0.0(YYMMDDhhmmssX) as a number of ms, good for differences (the wall-clock fields read as UTC). */
function telegramTime(text: string): number | undefined {
  const m = /^0-0:1\.0\.0\((\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/m.exec(text);
  if (!m) return undefined;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1).map(Number);
  return Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
}

/** A replay file refused for what it is, not for an I/O error. */
class ReplayFileError extends Error {}

/**
 * The bytes of a capture, streamed from a regular file of at most `MAX_REPLAY_FILE_SIZE`. The
 * file is checked before it is opened (opening a pipe would wait for a writer) and counted
 * while it is read (a file may grow, or report a size of 0 like those in /proc).
 */
export async function readCapture(file: string): Promise<Buffer> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) throw new ReplayFileError(stat.isDirectory() ? 'is a directory' : 'is not a regular file (a device or a pipe?)');
  if (stat.size > MAX_REPLAY_FILE_SIZE) throw new ReplayFileError(tooLarge(stat.size));
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_REPLAY_FILE_SIZE) throw new ReplayFileError(tooLarge(total));
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(bytes: number): string {
  const mebibytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `is larger than the ${mebibytes(MAX_REPLAY_FILE_SIZE)} a replay takes (${bytes > MAX_REPLAY_FILE_SIZE ? mebibytes(bytes) : 'growing'}); cut it, e.g. with head -c`;
}

function describeFileError(err: NodeJS.ErrnoException): string {
  if (err instanceof ReplayFileError) return err.message;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.message;
}
