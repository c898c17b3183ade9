import { crc16Update, formatCrc } from './crc16';
import { GLO_CIPHERING, SYSTEM_TITLE_LENGTH, isAxdrLengthStart, readAxdrLength } from './dlms';
import type { CrcCheck } from './types';

/**
 * The streaming side of the protocol layer: bytes in (any chunking), complete frames out.
 *
 * A frame is either a DSMR text telegram (`/` … `!CRC` line end) or a binary DLMS
 * general-glo-ciphering frame (0xDB …, Luxembourg Smarty and others). Everything else (line
 * noise, wrong baud rate, HDLC frames, the tail of a telegram we joined halfway) is skipped
 * and reported.
 *
 * The CRC decides where a telegram starts. A `/` at the start of a line always starts one; a
 * `/` elsewhere (after telnet bytes or noise, or glued to a telegram cut off mid-line) starts
 * one when a header mark follows it: three letters and one more visible character (`/ISK5`,
 * `/KFM5`, `/NWA-`). Until such a telegram proves itself by its end line, its bytes count as
 * skipped, not as a telegram: if it is dropped, it was noise.
 * Such a header inside a telegram is remembered only by its bytes: when the telegram's CRC
 * fails, the framer tries the latest headers inside it, and if the CRC holds from one of them,
 * the bytes before it are a cut-off telegram (a dropped partial), not a CRC error. Without a
 * CRC (DSMR 2.2/3) there is nothing to check, so a plausibility rule decides: the latest
 * header inside it whose line holds no parentheses starts the telegram. The same happens when a
 * telegram would pass the size cap: it restarts at its latest header instead of being lost. One pass over the bytes: lines are found with `Buffer#indexOf` (memchr), the
 * CRC is updated once per stretch of telegram bytes, and only telegram bytes are copied into a
 * buffer that never grows beyond `maxTelegramSize`. No timers: a telegram is emitted the
 * moment the line end after its CRC arrives.
 *
 * The callbacks run synchronously inside `push`; the framer's state is settled before each
 * call, so a callback that throws loses only the rest of that chunk.
 */

/** Fits the longest legal line (a 1024-character text message is 2048 hex digits) with room to spare. */
export const DEFAULT_MAX_TELEGRAM_SIZE = 8192;
/** The largest size cap accepted (64 KiB): eight times the longest real telegram; larger values are clamped. */
export const MAX_TELEGRAM_SIZE = 65536;

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
  /** Hard cap on one frame's bytes (default 8192, at most 64 KiB); values below 16 fall back to the default. */
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
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
/** Tag byte, system-title length byte, system title: the A-XDR length starts here. */
const CIPHER_LENGTH_OFFSET = 2 + SYSTEM_TITLE_LENGTH;
/** Security byte and frame counter: nothing shorter can be a ciphered APDU. */
const MIN_CIPHER_CONTENT = 5;
const INITIAL_CAPACITY = 2048;
/** `/` and the four characters of a header mark (`/ISK5`). */
const HEADER_MARK_LENGTH = 5;
/** A header line is short; a longer one is not taken as a header (and keeps the search linear). */
const MAX_HEADER_LINE = 128;
/** How many headers inside a telegram with a failing CRC are tried, latest first. */
const MAX_RESTART_TRIES = 4;

enum Mode {
  /** Between frames: skipping until a `/`, or 0xDB at the start of a line. */
  Hunting,
  /** After a `/` in the middle of a line: is a header mark (`ISK5`) next? */
  HeaderMark,
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
    telegrams: 0,
    encryptedFrames: 0,
    bytesSkipped: 0,
    droppedPartials: 0,
    oversize: 0,
    crcFailures: 0,
  };

  private mode = Mode.Hunting;
  /** Whether the next byte starts a line (the stream start and the end of a frame count). */
  private atLineStart = true;
  /** After a telegram ended on CR, its LF belongs to it and is not skipped garbage. */
  private swallowLf = false;
  /** The telegram in progress started mid-line and has not reached its end line yet: dropped, it is skipped bytes. */
  private tentative = false;

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
    this.maxSize = Number.isFinite(max) && max >= 16 ? Math.min(Math.floor(max), MAX_TELEGRAM_SIZE) : DEFAULT_MAX_TELEGRAM_SIZE;
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
        case Mode.Hunting:
          i = this.hunt(bytes, i);
          break;
        case Mode.HeaderMark:
          i = this.readHeaderMark(bytes, i);
          break;
        case Mode.Text:
          i = this.scanText(bytes, i);
          break;
        case Mode.Checksum:
          i = this.readChecksum(bytes, i);
          break;
        case Mode.CipherHeader:
          i = this.readCipherHeader(bytes, i);
          break;
        case Mode.CipherBody:
          i = this.readCipherBody(bytes, i);
          break;
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

  /**
   * Report the run of skipped bytes so far (the end of one message of a stream), without
   * changing how the bytes that follow are framed.
   */
  reportSkipped(): void {
    if (this.mode === Mode.Hunting) this.endRun('outside a telegram');
  }

  /** Start over (e.g. after a reconnect): an unfinished frame is dropped and reported. Counters are kept. */
  reset(): void {
    if (this.mode === Mode.HeaderMark) this.abandonToRun();
    if (this.mode !== Mode.Hunting) {
      const what = this.mode === Mode.CipherHeader || this.mode === Mode.CipherBody ? 'encrypted frame' : 'telegram';
      this.dropUnproven(this.length, `unfinished ${what} dropped when the input ended or restarted`);
    }
    this.endRun('outside a telegram');
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
      if (c === SLASH || (lineStart && c === GLO_CIPHERING)) break;
      lineStart = c === LF;
      if (!junk && c !== LF && c !== CR && c !== SPACE && c !== TAB) junk = true;
    }
    this.runLength += i - from;
    this.runHasJunk = junk;
    this.atLineStart = lineStart;
    if (i < stop) return this.startFrame(bytes[i], lineStart, i);
    if (this.runLength >= this.maxSize) this.endRun('without a frame start (wrong baud rate, inverted signal or not DSMR?)');
    return i;
  }

  /** A frame may start at `bytes[at]` (a `/`, or 0xDB at a line start). */
  private startFrame(c: number, lineStart: boolean, at: number): number {
    this.length = 0;
    if (c === SLASH && !lineStart) {
      // Mid-line: a header only if its mark follows; until then the run of skipped bytes stays open.
      this.ensureCapacity(HEADER_MARK_LENGTH);
      this.store[this.length++] = c;
      this.mode = Mode.HeaderMark;
      return at + 1;
    }
    this.endRun('before a frame');
    if (c === SLASH) {
      this.mode = Mode.Text;
      this.crc = 0;
      this.atLineStart = false; // the `/` itself is content, not a new header
    } else {
      this.mode = Mode.CipherHeader;
      this.cipherFrameSize = 0;
    }
    return at;
  }

  /** After a mid-line `/`: three letters and one more visible character make it a telegram header. */
  private readHeaderMark(bytes: Buffer, i: number): number {
    const c = bytes[i];
    if (!(this.length < HEADER_MARK_LENGTH - 1 ? isLetter(c) : isMarkEnd(c))) {
      // Not a header: its bytes were garbage; look at this byte afresh (it may be a `/`).
      this.abandonToRun();
      return i;
    }
    this.store[this.length++] = c;
    if (this.length === HEADER_MARK_LENGTH) {
      // The run of skipped bytes stays open: this telegram may still turn out to be noise.
      this.crc = crc16Update(0, this.store, 0, this.length);
      this.mode = Mode.Text;
      this.atLineStart = false;
      this.tentative = true;
    }
    return i + 1;
  }

  /** The bytes held for a frame start that was not one join the run of skipped bytes. */
  private abandonToRun(): void {
    this.runLength += this.length;
    this.runHasJunk = true;
    this.startHunting(false);
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
    this.tentative = false;
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
          if (this.length + i + 1 - segmentStart > this.maxSize) return this.overflow(bytes, segmentStart, i, true);
          this.append(bytes, segmentStart, i + 1);
          this.crc = crc16Update(this.crc, bytes, segmentStart, i + 1);
          this.mode = Mode.Checksum;
          this.crcDigitsStart = this.length;
          this.statedCrc = 0;
          return i + 1;
        }
        if (c === SLASH) {
          this.dropUnproven(this.length + i - segmentStart, 'a new telegram header arrived before the end (!) of the previous one');
          this.prove();
          this.length = 0;
          this.crc = 0;
          segmentStart = i;
        }
      }
      const newline = bytes.indexOf(LF, i);
      const lineEnd = newline < 0 ? bytes.length : newline + 1;
      const room = this.maxSize - this.length - (i - segmentStart);
      if (lineEnd - i > room) return this.overflow(bytes, segmentStart, i + room, lineBegins && room === 0);
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
      if (this.length >= this.maxSize) return this.overflow(bytes, i, i, false);
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
    let crc = this.checkCrc(0);
    const start = crc.valid === true ? 0 : this.headerToStartFrom(crc.present);
    if (start > 0) {
      this.dropUnproven(start, 'a telegram cut off by the header of the next one');
      crc = this.checkCrc(start);
    }
    this.prove();
    const text = this.store.toString('latin1', start, this.length) + lineEnd;
    this.counters.telegrams++;
    if (crc.valid === false) this.counters.crcFailures++;
    this.startHunting(true);
    this.onFrame({ kind: 'telegram', text, crc });
  }

  /**
   * When the CRC fails from the first byte: a header inside the telegram from which it holds
   * (the bytes before it are a cut-off telegram), else 0. Without a CRC, the latest header
   * inside it whose line holds no parentheses: the plausibility rule for DSMR 2.2/3.
   */
  private headerToStartFrom(hasCrc: boolean): number {
    const bang = this.crcDigitsStart - 1;
    let tries = MAX_RESTART_TRIES;
    for (let at = this.lastHeaderBefore(bang); at > 0 && tries > 0; at = this.lastHeaderBefore(at), tries--) {
      if (!hasCrc || this.checkCrc(at).valid) return at;
    }
    return 0;
  }

  /** The latest header (`/`, header mark, a line without parentheses) in `store[1, before)`, else -1. */
  private lastHeaderBefore(before: number): number {
    if (before <= 1) return -1;
    for (let at = this.store.lastIndexOf(SLASH, before - 1); at > 0; at = this.store.lastIndexOf(SLASH, at - 1)) {
      if (isHeaderAt(this.store, at, this.length)) return at;
    }
    return -1;
  }

  /** Same verdict as `checkTelegramCrc` on the text from `from`, without a second pass when the CRC matches from 0. */
  private checkCrc(from: number): CrcCheck {
    const crc = from === 0 ? this.crc : crc16Update(0, this.store, from, this.crcDigitsStart);
    const computed = formatCrc(crc);
    const digits = this.length - this.crcDigitsStart;
    if (digits === 0) return { present: false, stated: null, computed, valid: null };
    const stated = formatCrc(this.statedCrc);
    if (this.statedCrc === crc) return { present: true, stated, computed, valid: true };
    // CRs lost on the way (capture tools, some bridges): the meter computed it over CR LF.
    const restored = crcRestoringCrLf(this.store.subarray(from, this.crcDigitsStart));
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

  /**
   * The telegram would pass the cap at `at`: restart at the latest header inside it (what came
   * before is a cut-off telegram), or drop it all and hunt on from that byte.
   */
  private overflow(bytes: Buffer, segmentStart: number, at: number, atLineStart: boolean): number {
    this.append(bytes, segmentStart, at);
    const header = this.lastHeaderBefore(this.length);
    if (header > 0) {
      this.restartAt(header);
      return at;
    }
    if (this.tentative) {
      this.dropUnproven(this.length, '');
      this.endRun('without a telegram end');
    } else {
      this.dropOversize(this.length, `telegram longer than ${this.maxSize} bytes dropped (no "!" line in time); resynchronising`);
    }
    this.startHunting(atLineStart);
    return at;
  }

  /** Drop the bytes before the header at `header` as a cut-off telegram and go on from it. */
  private restartAt(header: number): void {
    this.dropUnproven(header, 'a telegram cut off by the header of the next one');
    this.tentative = true; // it starts mid-line
    this.store.copy(this.store, 0, header, this.length);
    this.length -= header;
    if (this.mode === Mode.Checksum) {
      this.crcDigitsStart -= header;
      this.crc = crc16Update(0, this.store, 0, this.crcDigitsStart);
    } else {
      this.crc = crc16Update(0, this.store, 0, this.length);
      this.atLineStart = this.store[this.length - 1] === LF;
    }
  }

  private dropOversize(bytes: number, detail: string): void {
    this.counters.oversize++;
    this.onDiscard?.({ reason: 'oversize', bytes, detail });
  }

  /**
   * Drop the first `bytes` of the telegram in progress: a cut-off telegram (a dropped partial),
   * or, when it started mid-line and never reached its end line, bytes that were never a telegram.
   */
  private dropUnproven(bytes: number, detail: string): void {
    if (!this.tentative) {
      this.dropPartial(bytes, detail);
      return;
    }
    if (this.runLength + bytes > this.maxSize) this.endRun('before a frame');
    this.runLength += bytes;
    this.runHasJunk = true;
  }

  /** The telegram in progress is taken as one (it reached its end, or a header at a line start follows): report the skipped bytes before it. */
  private prove(): void {
    if (!this.tentative) return;
    this.endRun('before a frame');
    this.tentative = false;
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

function isLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/** The fourth character of a header mark: visible ASCII, but not what ends or opens something else. */
function isMarkEnd(c: number): boolean {
  return c > SPACE && c < 0x7f && c !== SLASH && c !== OPEN_PAREN && c !== CLOSE_PAREN;
}

/**
 * Whether a telegram header starts at `bytes[at]` (a `/`): a header mark follows, and its line
 * (up to `end`, the bytes held so far) is short and holds no `(` or `)` as data lines do.
 */
function isHeaderAt(bytes: Buffer, at: number, end: number): boolean {
  if (at + HEADER_MARK_LENGTH > end) return false;
  for (let k = 1; k < HEADER_MARK_LENGTH; k++) {
    const c = bytes[at + k];
    if (!(k < HEADER_MARK_LENGTH - 1 ? isLetter(c) : isMarkEnd(c))) return false;
  }
  const limit = Math.min(end, at + MAX_HEADER_LINE);
  for (let k = at + HEADER_MARK_LENGTH; k < limit; k++) {
    if (bytes[k] === LF) return true;
    if (bytes[k] === OPEN_PAREN || bytes[k] === CLOSE_PAREN) return false;
  }
  return limit === end;
}

const CR_BYTE = Uint8Array.of(CR);

/**
 * CRC of `text` as if every LF were CR LF; -1 when the text already has a CR
 * (then CRs were not lost and there is nothing to restore).
 */
function crcRestoringCrLf(text: Buffer): number {
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
