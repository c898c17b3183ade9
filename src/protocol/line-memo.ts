import type { ZoneClock } from './timestamp';
import type { ObisGroup, ObisObject } from './types';

const NO_WARNINGS: readonly string[] = [];

/** `Int32Array` reads in the platform's byte order; the DataView reads of the text must use the same. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Some lines change in every telegram (time, power, voltages, currents): comparing them and
 * remembering them again is wasted work. After this many misses in a row a memo rests…
 */
const MISSES_BEFORE_REST = 4;
/** …for this many attempts (no comparison, nothing remembered), then tries again with the line of its last rest attempt. */
const REST_ATTEMPTS = 32;

/**
 * The last self-contained line of one OBIS id, as sent and as decoded, so that the same line in the
 * next telegram is neither searched for its end nor decoded again: meters repeat most lines
 * unchanged from one telegram to the next (energy registers, ids, version, failure log, peak
 * history, gas reading), and comparing bytes costs far less than slicing, number parsing,
 * unit matching and time formatting. Only strings and numbers are kept: the objects handed
 * out belong to the user (who may change them), so each replay builds new ones.
 */
export class LineMemo {
  /** The whole line as sent, id and line break included. */
  private sent = new Uint8Array(0);
  /** `sent` four bytes at a time (its length is a multiple of 4): comparing words takes about half the time of bytes. */
  private sentWords = new Int32Array(0);
  /** Length of the remembered line; 0 = nothing remembered. */
  lineLength = 0;
  private clock: ZoneClock | undefined;
  private count = 0;
  private readonly values: Array<ObisGroup['value']> = [];
  private readonly units: Array<string | undefined> = [];
  private readonly raws: string[] = [];
  value: ObisObject['value'] = null;
  unit: string | undefined;
  time: string | null | undefined;
  text: string | undefined;
  private warnings: readonly string[] = NO_WARNINGS;
  /** Failed comparisons in a row, and attempts left to skip (see `MISSES_BEFORE_REST`). */
  private misses = 0;
  private resting = 0;

  /**
   * True when the text (`bytes`, `textLength` of them valid; `view` on the same memory) has the
   * remembered line at `pos`, and the clock is the one it was decoded with (time stamps depend on it).
   */
  matches(bytes: Uint8Array, view: DataView, pos: number, textLength: number, clock: ZoneClock): boolean {
    if (this.resting > 0) {
      this.resting--; // at 0 the next `remember` stores the line again, for the next attempt
      return false;
    }
    if (this.sameLine(bytes, view, pos, textLength, clock)) {
      this.misses = 0;
      return true;
    }
    if (++this.misses >= MISSES_BEFORE_REST) {
      this.misses = 0;
      this.resting = REST_ATTEMPTS;
    }
    return false;
  }

  private sameLine(bytes: Uint8Array, view: DataView, pos: number, textLength: number, clock: ZoneClock): boolean {
    const length = this.lineLength;
    if (length === 0 || pos + length > textLength || clock !== this.clock) return false;
    // Whole words first (the text side is unaligned, hence the DataView), then the last 0–3 bytes.
    const words = this.sentWords;
    const wholeWords = length >> 2;
    for (let w = 0; w < wholeWords; w++) if (words[w] !== view.getInt32(pos + 4 * w, LITTLE_ENDIAN)) return false;
    const known = this.sent;
    for (let i = wholeWords << 2; i < length; i++) if (known[i] !== bytes[pos + i]) return false;
    return true;
  }

  /**
   * Remember `object`, just decoded from the line `bytes[start, end)` (before anyone else could
   * change it), and the warnings the line drew (`warnings` from `firstWarning` on). Not while
   * resting: the memo keeps an older line, which is as valid (it is compared whole).
   */
  remember(bytes: Uint8Array, view: DataView, start: number, end: number, clock: ZoneClock, object: ObisObject, warnings: readonly string[], firstWarning: number): void {
    if (this.resting > 0) return;
    const length = end - start;
    if (length > this.sent.length) {
      this.sent = new Uint8Array((length * 2 + 3) & ~3);
      this.sentWords = new Int32Array(this.sent.buffer);
    }
    copyLine(this.sentWords, this.sent, bytes, view, start, length);
    this.lineLength = length;
    this.clock = clock;
    const groups = object.groups;
    this.count = groups.length;
    for (let g = 0; g < groups.length; g++) {
      this.values[g] = groups[g].value;
      this.units[g] = groups[g].unit;
      this.raws[g] = groups[g].raw;
    }
    this.value = object.value;
    this.unit = object.unit;
    this.time = object.time;
    this.text = object.text;
    this.warnings = warnings.length > firstWarning ? warnings.slice(firstWarning) : NO_WARNINGS;
  }

  /** The remembered line's warnings again (a placeholder time warns in every telegram). */
  repeatWarnings(warnings: string[]): void {
    for (let i = 0; i < this.warnings.length; i++) warnings.push(this.warnings[i]);
  }

  /** New group objects equal to the remembered ones. */
  groups(): ObisGroup[] {
    if (this.count === 1) return [this.group(0)]; // most lines: an array literal is the cheapest array
    const groups: ObisGroup[] = [];
    for (let g = 0; g < this.count; g++) groups.push(this.group(g));
    return groups;
  }

  private group(g: number): ObisGroup {
    const unit = this.units[g];
    return unit === undefined ? { value: this.values[g], raw: this.raws[g] } : { value: this.values[g], unit, raw: this.raws[g] };
  }
}

/** `length` bytes from `start` into `words` / `bytes` (one memory): whole words first, like `matches` reads them. */
function copyLine(words: Int32Array, known: Uint8Array, bytes: Uint8Array, view: DataView, start: number, length: number): void {
  const wholeWords = length >> 2;
  for (let w = 0; w < wholeWords; w++) words[w] = view.getInt32(start + 4 * w, LITTLE_ENDIAN);
  for (let i = wholeWords << 2; i < length; i++) known[i] = bytes[start + i];
}
