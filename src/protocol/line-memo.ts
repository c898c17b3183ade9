import type { ZoneClock } from './timestamp';
import type { ObisGroup, ObisObject } from './types';

const NO_WARNINGS: readonly string[] = [];

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

  /**
   * True when the text (`bytes`, `textLength` of them valid) has the remembered line at `pos`,
   * and the clock is the one it was decoded with (time stamps depend on it).
   */
  matches(bytes: Uint8Array, pos: number, textLength: number, clock: ZoneClock): boolean {
    const known = this.sent;
    const length = this.lineLength;
    if (length === 0 || pos + length > textLength || clock !== this.clock) return false;
    for (let i = 0; i < length; i++) if (known[i] !== bytes[pos + i]) return false;
    return true;
  }

  /**
   * Remember `object`, just decoded from the line `bytes[start, end)` (before anyone else could
   * change it), and the warnings the line drew (`warnings` from `firstWarning` on).
   */
  remember(bytes: Uint8Array, start: number, end: number, clock: ZoneClock, object: ObisObject, warnings: readonly string[], firstWarning: number): void {
    const length = end - start;
    if (length > this.sent.length) this.sent = new Uint8Array(length * 2);
    for (let i = 0; i < length; i++) this.sent[i] = bytes[start + i];
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
