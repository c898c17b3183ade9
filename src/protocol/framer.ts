import { crc16Update, formatCrc } from './crc16';
import { GLO_CIPHERING, SYSTEM_TITLE_LENGTH, isAxdrLengthStart, readAxdrLength } from './dlms';
import type { CrcCheck } from './types';

/**
 * The streaming side of the protocol layer: bytes in (any chunking), complete frames out.
 *
 * A frame is either a DSMR text telegram (`/` … `!CRC` line end) or a binary DLMS
 * general-glo-ciphering frame (0xDB …, Luxembourg Smarty and others). Everything else (line
 * noise, wrong baud rate, HDLC frames, the tail of a telegram we joined halfway) is skipped
 * and reported. One pass over the bytes: lines are found with `Buffer#indexOf` (memchr), the
 * CRC is updated once per stretch of telegram bytes, and only telegram bytes are copied into a
 * buffer that never grows beyond `maxTelegramSize`. No timers: a telegram is emitted the
 * moment the line end after its CRC arrives.
 *
 * The callbacks run synchronously inside `push`; the framer's state is settled before each
 * call, so a callback that throws loses only the rest of that chunk.
 */

/** Fits the longest legal line (a 1024-character text message is 2048 hex digits) with room to spare. */
export const DEFAULT_MAX_TELEGRAM_SIZE = 8192;

export type Frame =
  /** latin1 text from `/` through the line end after `!`/CRC (`\r\n`, or `\n` for LF-only input). */
  | { kind: 'telegram'; text: string; crc: CrcCheck }
  /** A whole DLMS general-glo-ciphering frame (0xDB …), for `decryptFrame`. */
  | { kind: 'encrypted'; bytes: Buffer };

export interface FrameDiscard {
  /** skipped: bytes outside any frame; partial: an unfinished frame; oversize: a frame past the size cap. */
  reason: 'skipped' | 'partial' | 'oversize';
  bytes: number;
  detail: string;
}

export interface FramerStats {
  telegrams: number;
  encryptedFrames: number;
  /** Bytes outside any frame. Runs of only CR/LF/space/tab (idle line ends) are not counted. */
  bytesSkipped: number;
  droppedPartials: number;
  oversize: number;
  /** Telegrams whose CRC was present and wrong (they are still emitted; the reader applies the policy). */
  crcFailures: number;
}

export interface FramerOptions {
  /** Hard cap on one frame's bytes (default 8192); values below 16 fall back to the default. */
  maxTelegramSize?: number;
  onFrame: (frame: Frame) => void;
  onDiscard?: (discard: FrameDiscard) => void;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const SLASH = 0x2f;
/** Tag byte, system-title length byte, system title: the A-XDR length starts here. */
const CIPHER_LENGTH_OFFSET = 2 + SYSTEM_TITLE_LENGTH;
/** Security byte and frame counter: nothing shorter can be a ciphered APDU. */
const MIN_CIPHER_CONTENT = 5;
const INITIAL_CAPACITY = 2048;

const enum Mode {
  /** Between frames: skipping until `/` or 0xDB at the start of a line. */
  Hunting,
  /** Inside a telegram, before its `!`. */
  Text,
  /** After the `!`: up to four CRC digits, then the line end. */
  Checksum,
  /** Reading the fixed header and A-XDR length of an encrypted frame. */
  CipherHeader,
  /** Copying the announced number of encrypted bytes. */
  CipherBody,
}

export class TelegramFramer {
  private readonly maxSize: number;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onDiscard?: (discard: FrameDiscard) => void;
  private readonly counters: FramerStats = {
    telegrams: 0, encryptedFrames: 0, bytesSkipped: 0, droppedPartials: 0, oversize: 0, crcFailures: 0,
  };

  private mode = Mode.Hunting;
  /** Whether the next byte starts a line (the stream start and the end of a frame count). */
  private atLineStart = true;
  /** After a telegram ended on CR, its LF belongs to it and is not skipped garbage. */
  private swallowLf = false;

  /** Bytes of the frame in progress; copied out of the chunks, never a reference to one. */
  private store = Buffer.allocUnsafe(0);
  private length = 0;
  /** CRC-16/ARC over the telegram bytes from `/` through `!`. */
  private crc = 0;
  /** Where the CRC digits start in `store` (just after the `!`). */
  private crcDigitsStart = 0;
  private statedCrc = 0;
  /** Total size an encrypted frame announced in its header, 0 until known. */
  private cipherFrameSize = 0;

  /** The current run of skipped bytes. */
  private runLength = 0;
  private runHasJunk = false;

  constructor(options: FramerOptions) {
    const max = options.maxTelegramSize ?? DEFAULT_MAX_TELEGRAM_SIZE;
    this.maxSize = Number.isFinite(max) && max >= 16 ? Math.floor(max) : DEFAULT_MAX_TELEGRAM_SIZE;
    this.onFrame = options.onFrame;
    this.onDiscard = options.onDiscard;
  }

  get stats(): FramerStats {
    return { ...this.counters };
  }

  /** Bytes held for the frame in progress; never more than `maxTelegramSize`. */
  get buffered(): number {
    return this.length;
  }

  push(chunk: Uint8Array): void {
    // A Buffer view (no copy) for its memchr-backed indexOf.
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < bytes.length) {
      switch (this.mode) {
        case Mode.Hunting: i = this.hunt(bytes, i); break;
        case Mode.Text: i = this.scanText(bytes, i); break;
        case Mode.Checksum: i = this.readChecksum(bytes, i); break;
        case Mode.CipherHeader: i = this.readCipherHeader(bytes, i); break;
        case Mode.CipherBody: i = this.readCipherBody(bytes, i); break;
      }
    }
  }

  /**
   * The input ended (end of a message, file or connection): emit a telegram that lacks only
   * the line end after its CRC, then drop and report anything unfinished, as `reset` does.
   */
  flush(): void {
    if (this.mode === Mode.Checksum) this.emitTelegram('');
    this.reset();
  }

  /** Start over (e.g. after a reconnect): an unfinished frame is dropped and reported. Counters are kept. */
  reset(): void {
    if (this.mode === Mode.Hunting) {
      this.endRun('outside a telegram');
    } else {
      const what = this.mode === Mode.CipherHeader || this.mode === Mode.CipherBody ? 'encrypted frame' : 'telegram';
      this.dropPartial(this.length, `unfinished ${what} dropped when the input ended or restarted`);
    }
    this.startHunting(true);
    this.swallowLf = false;
  }

  // ── Between frames ────────────────────────────────────────────────────────────────────────

  private hunt(bytes: Buffer, i: number): number {
    if (this.swallowLf) {
      this.swallowLf = false;
      if (bytes[i] === LF) return i + 1;
    }
    // Stop at the size cap too, so a stream of pure garbage is still reported now and then.
    const stop = Math.min(bytes.length, i + this.maxSize - this.runLength);
    const from = i;
    let lineStart = this.atLineStart;
    let junk = this.runHasJunk;
    for (; i < stop; i++) {
      const c = bytes[i];
      if (lineStart && (c === SLASH || c === GLO_CIPHERING)) break;
      lineStart = c === LF;
      if (!junk && c !== LF && c !== CR && c !== SPACE && c !== TAB) junk = true;
    }
    this.runLength += i - from;
    this.runHasJunk = junk;
    this.atLineStart = lineStart;
    if (i < stop) {
      this.endRun('before a frame');
      this.length = 0;
      if (bytes[i] === SLASH) {
        this.mode = Mode.Text;
        this.crc = 0;
        this.atLineStart = false; // the `/` itself is content, not a new header
      } else {
        this.mode = Mode.CipherHeader;
        this.cipherFrameSize = 0;
      }
    } else if (this.runLength >= this.maxSize) {
      this.endRun('without a frame start (wrong baud rate, inverted signal or not DSMR?)');
    }
    return i;
  }

  private endRun(where: string): void {
    if (this.runHasJunk) {
      this.counters.bytesSkipped += this.runLength;
      this.onDiscard?.({ reason: 'skipped', bytes: this.runLength, detail: `skipped ${this.runLength} bytes ${where}` });
    }
    this.runLength = 0;
    this.runHasJunk = false;
  }

  private startHunting(atLineStart: boolean): void {
    this.mode = Mode.Hunting;
    this.atLineStart = atLineStart;
    this.length = 0;
  }

  // ── Text telegrams ────────────────────────────────────────────────────────────────────────

  private scanText(bytes: Buffer, i: number): number {
    let segmentStart = i; // bytes[segmentStart, i) belong to the telegram but are not copied yet
    while (i < bytes.length) {
      const lineBegins = this.atLineStart;
      if (lineBegins) {
        this.atLineStart = false;
        const c = bytes[i];
        if (c === BANG) {
          if (this.length + i + 1 - segmentStart > this.maxSize) return this.overflow(segmentStart, i, true);
          this.append(bytes, segmentStart, i + 1);
          this.crc = crc16Update(this.crc, bytes, segmentStart, i + 1);
          this.mode = Mode.Checksum;
          this.crcDigitsStart = this.length;
          this.statedCrc = 0;
          return i + 1;
        }
        if (c === SLASH) {
          this.dropPartial(this.length + i - segmentStart, 'a new telegram header arrived before the end (!) of the previous one');
          this.length = 0;
          this.crc = 0;
          segmentStart = i;
        }
      }
      const newline = bytes.indexOf(LF, i);
      const lineEnd = newline < 0 ? bytes.length : newline + 1;
      const room = this.maxSize - this.length - (i - segmentStart);
      if (lineEnd - i > room) return this.overflow(segmentStart, i + room, lineBegins && room === 0);
      i = lineEnd;
      if (newline >= 0) this.atLineStart = true;
    }
    this.append(bytes, segmentStart, i);
    this.crc = crc16Update(this.crc, bytes, segmentStart, i);
    return i;
  }

  private readChecksum(bytes: Buffer, i: number): number {
    const c = bytes[i];
    const digits = this.length - this.crcDigitsStart;
    const digit = digits < 4 ? hexValue(c) : -1;
    if (digit >= 0) {
      if (this.length >= this.maxSize) return this.overflow(i, i, false);
      this.ensureCapacity(this.length + 1);
      this.store[this.length++] = c;
      this.statedCrc = (this.statedCrc << 4) | digit;
      return i + 1;
    }
    // Anything else ends the CRC. A CR or LF completes the telegram; other bytes after the
    // CRC are not part of it and are handed back to the hunt (where a `/` starts the next one).
    if (c === CR) {
      this.emitTelegram('\r\n');
      this.swallowLf = true;
      return i + 1;
    }
    if (c === LF) {
      this.emitTelegram('\n');
      return i + 1;
    }
    this.emitTelegram('');
    return i;
  }

  private emitTelegram(lineEnd: string): void {
    const text = this.store.toString('latin1', 0, this.length) + lineEnd;
    const crc = this.checkCrc();
    this.counters.telegrams++;
    if (crc.valid === false) this.counters.crcFailures++;
    this.startHunting(true);
    this.onFrame({ kind: 'telegram', text, crc });
  }

  /** Same verdict as `checkTelegramCrc` on the text, without a second pass when the CRC matches. */
  private checkCrc(): CrcCheck {
    const computed = formatCrc(this.crc);
    const digits = this.length - this.crcDigitsStart;
    if (digits === 0) return { present: false, stated: null, computed, valid: null };
    const stated = formatCrc(this.statedCrc);
    if (this.statedCrc === this.crc) return { present: true, stated, computed, valid: true };
    // CRs lost on the way (capture tools, some bridges): the meter computed it over CR LF.
    const restored = crcRestoringCrLf(this.store, this.crcDigitsStart);
    if (restored === this.statedCrc) return { present: true, stated, computed: formatCrc(restored), valid: true, restoredCrLf: true };
    return { present: true, stated, computed, valid: false };
  }

  // ── Encrypted frames ──────────────────────────────────────────────────────────────────────

  private readCipherHeader(bytes: Buffer, i: number): number {
    const c = bytes[i];
    const at = this.length;
    let valid = true;
    if (at === 1) valid = c === SYSTEM_TITLE_LENGTH;
    else if (at === CIPHER_LENGTH_OFFSET) valid = isAxdrLengthStart(c);
    if (!valid) {
      // Not a ciphered frame after all: its bytes were garbage; look at this byte afresh.
      this.abandonCipherHeader(this.store[at - 1] === LF);
      return i;
    }
    this.ensureCapacity(at + 1);
    this.store[this.length++] = c;
    const contentLength = this.cipherContentLength();
    if (contentLength < 0) return i + 1;
    if (contentLength < MIN_CIPHER_CONTENT) {
      this.abandonCipherHeader(c === LF);
      return i + 1;
    }
    this.cipherFrameSize = this.length + contentLength;
    if (this.cipherFrameSize > this.maxSize) {
      this.dropOversize(this.length, `encrypted frame announces ${this.cipherFrameSize} bytes, more than the maximum of ${this.maxSize}; dropped`);
      this.startHunting(c === LF);
      return i + 1;
    }
    this.mode = Mode.CipherBody;
    return i + 1;
  }

  private abandonCipherHeader(atLineStart: boolean): void {
    this.runLength += this.length;
    this.runHasJunk = true;
    this.startHunting(atLineStart);
  }

  /** The A-XDR content length once the header holds all of it, else -1. */
  private cipherContentLength(): number {
    return readAxdrLength(this.store, CIPHER_LENGTH_OFFSET, this.length)?.length ?? -1;
  }

  private readCipherBody(bytes: Buffer, i: number): number {
    const end = Math.min(bytes.length, i + this.cipherFrameSize - this.length);
    this.append(bytes, i, end);
    if (this.length === this.cipherFrameSize) {
      const frame = Buffer.from(this.store.subarray(0, this.length));
      this.counters.encryptedFrames++;
      this.startHunting(true);
      this.onFrame({ kind: 'encrypted', bytes: frame });
    }
    return end;
  }

  // ── Buffer and discards ───────────────────────────────────────────────────────────────────

  private append(bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.ensureCapacity(this.length + end - start);
    bytes.copy(this.store, this.length, start, end);
    this.length += end - start;
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.store.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxSize, Math.max(needed, INITIAL_CAPACITY, this.store.length * 2)));
    this.store.copy(grown, 0, 0, this.length);
    this.store = grown;
  }

  /** The telegram would pass the cap at `at`: drop it and hunt on from that byte. */
  private overflow(segmentStart: number, at: number, atLineStart: boolean): number {
    const dropped = this.length + at - segmentStart;
    this.dropOversize(dropped, `telegram longer than ${this.maxSize} bytes dropped (no "!" line in time); resynchronising`);
    this.startHunting(atLineStart);
    return at;
  }

  private dropOversize(bytes: number, detail: string): void {
    this.counters.oversize++;
    this.onDiscard?.({ reason: 'oversize', bytes, detail });
  }

  private dropPartial(bytes: number, detail: string): void {
    this.counters.droppedPartials++;
    this.onDiscard?.({ reason: 'partial', bytes, detail: `${detail} (${bytes} bytes)` });
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const CR_BYTE = Uint8Array.of(CR);

/**
 * CRC of `bytes[0, end)` as if every LF were CR LF; -1 when the text already has a CR
 * (then CRs were not lost and there is nothing to restore).
 */
function crcRestoringCrLf(bytes: Buffer, end: number): number {
  const text = bytes.subarray(0, end);
  if (text.indexOf(CR) >= 0) return -1;
  let crc = 0;
  let from = 0;
  for (let newline = text.indexOf(LF); newline >= 0; newline = text.indexOf(LF, newline + 1)) {
    crc = crc16Update(crc, text, from, newline);
    crc = crc16Update(crc, CR_BYTE);
    from = newline; // the LF itself goes with the next stretch
  }
  return crc16Update(crc, text, from);
}
