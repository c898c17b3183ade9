/**
 * DSMR time stamps `YYMMDDhhmmssX` → ISO-8601 with the meter's UTC offset
 * (`200512135409S` → `2020-05-12T13:54:09+02:00`).
 *
 * - `X` = `W` (either case): the zone's standard offset; `S`: standard offset + 1 h.
 * - No `X` (DSMR 2.2/3): wall-clock time in the zone, offset looked up with Intl.
 * - Impossible dates (month 00 or 34, day 0, hour ≥ 24 …) and the meters' placeholders give
 *   `null`; nothing ever rolls over into another date. Placeholders:
 *   - `632525252525X`: "no value" (Fluvius peak history, BE/LU empty M-Bus channels) — already impossible;
 *   - year `00` (`000101000001W`, `000104180320W`, `000101010000W`): a meter clock that was
 *     never set counts from 2000-01-01; DSMR began in 2008, so no real telegram carries year 2000;
 *   - `700101……`: 1 January 1970 = the Unix epoch written as local time, which Iskra meters
 *     send for an empty M-Bus channel (`(700101010000W)(00000000)`).
 */

const HOUR_MS = 3_600_000;
/** ECMAScript Dates reach ±8.64e15 ms around 1970. */
const MAX_DATE_MS = 8.64e15;
const MAX_CACHED_HOURS = 4096;

/**
 * The offsets of one IANA time zone, with the per-hour Intl lookups cached. Each meter's parser
 * owns one (an Intl formatter costs about 70 µs to make, more than a parse); nothing is shared
 * between meters. Throws RangeError for an unknown zone.
 */
export class ZoneClock {
  /** `+01:00` for Europe/Amsterdam: what `W` stamps carry. */
  readonly winterSuffix: string;
  /** `+02:00` for Europe/Amsterdam: what `S` stamps carry. */
  readonly summerSuffix: string;
  /** The zone's standard offset in minutes (the smaller of January's and July's). */
  private readonly standardOffset: number;
  private readonly formatter: Intl.DateTimeFormat;
  private readonly offsetByHour = new Map<number, number>();

  constructor(readonly zone: string) {
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Standard time is the smaller of the January and July offsets (DST adds, in both hemispheres).
    this.standardOffset = Math.min(this.offsetAt(Date.UTC(2024, 0, 1)), this.offsetAt(Date.UTC(2024, 6, 1)));
    this.winterSuffix = formatOffset(this.standardOffset);
    this.summerSuffix = formatOffset(this.standardOffset + 60);
  }

  /** UTC offset in minutes of this zone at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const hour = Math.floor(utcMs / HOUR_MS);
    let offset = this.offsetByHour.get(hour);
    if (offset === undefined) {
      offset = this.computeOffset(hour * HOUR_MS);
      if (this.offsetByHour.size >= MAX_CACHED_HOURS) this.offsetByHour.clear();
      this.offsetByHour.set(hour, offset);
    }
    return offset;
  }

  /** Offset in minutes that wall-clock time `wallMs` (local time written as if UTC) has in this zone. */
  offsetOfWallClock(wallMs: number): number {
    const guess = this.offsetAt(wallMs - 60 * 60_000);
    const offset = this.offsetAt(wallMs - guess * 60_000);
    return offset === guess ? offset : this.offsetAt(wallMs - offset * 60_000);
  }

  /** ISO-8601 local time with offset of the instant `utcMs` in this zone; null outside the range of a Date. */
  formatInstant(utcMs: number): string | null {
    if (!(Math.abs(utcMs) <= MAX_DATE_MS - 2 * 86_400_000)) return null;
    const offset = this.offsetAt(utcMs);
    const local = new Date(utcMs + offset * 60_000);
    return (
      pad(local.getUTCFullYear(), 4) +
      '-' +
      TWO_DIGITS[local.getUTCMonth() + 1] +
      '-' +
      TWO_DIGITS[local.getUTCDate()] +
      'T' +
      TWO_DIGITS[local.getUTCHours()] +
      ':' +
      TWO_DIGITS[local.getUTCMinutes()] +
      ':' +
      TWO_DIGITS[local.getUTCSeconds()] +
      this.suffixOf(offset)
    );
  }

  /** The `+hh:mm` of an offset; the zone's two usual ones are made once. */
  private suffixOf(offset: number): string {
    if (offset === this.standardOffset) return this.winterSuffix;
    return offset === this.standardOffset + 60 ? this.summerSuffix : formatOffset(offset);
  }

  private computeOffset(utcMs: number): number {
    const wall: Record<string, number> = {};
    for (const { type, value } of this.formatter.formatToParts(new Date(utcMs))) wall[type] = Number(value);
    return Math.round((Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - utcMs) / 60_000);
  }
}

/**
 * The instant (UTC ms) of a time this module wrote (`2019-03-26T18:00:18+01:00`): the fields are
 * read at their fixed places, which costs a quarter of `Date.parse` and its general grammar.
 */
export function instantOf(iso: string): number {
  const year = twoDigits(iso, 0) * 100 + twoDigits(iso, 2);
  const wall = Date.UTC(year, twoDigits(iso, 5) - 1, twoDigits(iso, 8), twoDigits(iso, 11), twoDigits(iso, 14), twoDigits(iso, 17));
  const offset = twoDigits(iso, 20) * 60 + twoDigits(iso, 23);
  return wall - (iso.charCodeAt(19) === 45 /* - */ ? -offset : offset) * 60_000;
}

/** `+01:00` for 60, `-03:30` for -210. */
function formatOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + pad(Math.floor(abs / 60), 2) + ':' + pad(abs % 60, 2);
}

/** '00' … '99', so formatting a time allocates no padding strings. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** True when `text[start, end)` has the shape of a time stamp: 12 digits, optionally followed by S/W. */
export function looksLikeTimestamp(text: string, start: number, end: number, flagRequired: boolean): boolean {
  const length = end - start;
  if (length === 13) {
    const flag = text.charCodeAt(end - 1) | 0x20;
    if (flag !== 115 /* s */ && flag !== 119 /* w */) return false;
  } else if (length !== 12 || flagRequired) {
    return false;
  }
  for (let i = start; i < start + 12; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

/**
 * The time stamp in `text[start, end)` as ISO-8601 with offset, or `null` when it is not a
 * real time (wrong shape, impossible date, placeholder). See the module comment.
 */
export function decodeTimestamp(text: string, start: number, end: number, clock: ZoneClock): string | null {
  if (!looksLikeTimestamp(text, start, end, false)) return null;
  const yy = twoDigits(text, start);
  const month = twoDigits(text, start + 2);
  const day = twoDigits(text, start + 4);
  const hour = twoDigits(text, start + 6);
  const minute = twoDigits(text, start + 8);
  const second = twoDigits(text, start + 10);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = month === 2 && yy % 4 === 0 ? 1 : 0;
  if (day > DAYS_IN_MONTH[month - 1] + leap) return null;
  if (isPlaceholderDate(yy, month, day)) return null;
  // One string from the digits as sent (one allocation instead of a dozen slices and concatenations).
  const c = (i: number): number => text.charCodeAt(start + i);
  const date = String.fromCharCode(50, 48, c(0), c(1), 45, c(2), c(3), 45, c(4), c(5), 84, c(6), c(7), 58, c(8), c(9), 58, c(10), c(11));
  if (end - start === 13) return date + ((text.charCodeAt(end - 1) | 0x20) === 115 ? clock.summerSuffix : clock.winterSuffix);
  const wall = Date.UTC(2000 + yy, month - 1, day, hour, minute, second);
  return date + formatOffset(clock.offsetOfWallClock(wall));
}

function isPlaceholderDate(yy: number, month: number, day: number): boolean {
  return yy === 0 || (yy === 70 && month === 1 && day === 1);
}

/** Why a stamp that looks like one decoded to `null`: for warnings. */
export function describeBadTimestamp(raw: string): string {
  if (raw.startsWith('632525252525') || raw.startsWith('00') || raw.startsWith('700101')) return `placeholder time ${raw} (no value)`;
  return `invalid time ${raw}`;
}
