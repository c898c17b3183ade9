import { checkTelegramCrc } from './crc16';
import { interpretTelegram, type ParseContext, type ScannedLine } from './interpret';
import { meaningsOf, type ObisDefinition } from './obis-registry';
import { describeBadTimestamp, decodeTimestamp, looksLikeTimestamp, ZoneClock } from './timestamp';
import type { CrcCheck, ObisGroup, ObisObject, P1Telegram, ParseOptions } from './types';
import { canonicalUnit, decodeHexText, parseDecimal } from './values';

/**
 * The telegram parser: the text line by line into `obis` (every line by its reduced OBIS id,
 * decoded by the registry's `kind`); then `interpret.ts` derives the friendly view. Pure and
 * tolerant: a line it cannot read costs one warning and nothing else. Everything it knows while
 * reading belongs to one call (a `LineScanner` and a `ParseContext`), so meters parsed in turn
 * cannot affect each other, and the work grows linearly with the text whatever its shape.
 */

const DEFAULT_ZONE = 'Europe/Amsterdam';

/** Parse one telegram (`/` … `!CRC`). Never throws; problems are listed in `warnings`. */
export function parseTelegram(text: string, options?: ParseOptions, crc?: CrcCheck): P1Telegram {
  const warnings: string[] = [];
  try {
    const source = typeof text === 'string' ? text : String(text); // JavaScript callers may pass a Buffer
    const check = crc ?? checkOwnCrc(source);
    const context: ParseContext = { clock: clockFor(options?.timezone, warnings), warnings };
    return interpretTelegram(readLines(source, context), context, check);
  } catch (error) {
    // Only a bug can get here; the caller still gets a well-formed (empty) telegram.
    warnings.push(`parser error: ${error instanceof Error ? error.message : String(error)}`);
    const context: ParseContext = { clock: ZoneClock.for(DEFAULT_ZONE), warnings };
    return interpretTelegram({ header: '', obis: {}, lines: [], sawIecSuffix: false }, context, crc ?? { present: false, stated: null, computed: '0000', valid: null });
  }
}

/** A fragment without its `/` header cannot be checked: whatever CRC it ends with covers bytes we do not have. */
function checkOwnCrc(text: string): CrcCheck {
  const check = checkTelegramCrc(text);
  return text.indexOf('/') < 0 && check.valid !== null ? { ...check, valid: null } : check;
}

function clockFor(zone: string | undefined, warnings: string[]): ZoneClock {
  if (!zone) return ZoneClock.for(DEFAULT_ZONE);
  try {
    return ZoneClock.for(zone);
  } catch {
    warnings.push(`unknown time zone "${zone}", using ${DEFAULT_ZONE}`);
    return ZoneClock.for(DEFAULT_ZONE);
  }
}

/** The header and every data line of `text`, decoded, in order. */
function readLines(text: string, context: ParseContext): { header: string; obis: Record<string, ObisObject>; lines: ScannedLine[]; sawIecSuffix: boolean } {
  const scanner = new LineScanner(text, context.warnings);
  const headerAt = text.indexOf('/');
  let header = '';
  let pos = 0;
  if (headerAt < 0) {
    context.warnings.push('no header line (/…); reading the data lines that are there');
  } else {
    const headerEnd = scanner.lineEnd(headerAt);
    header = text.slice(headerAt + 1, headerEnd);
    pos = scanner.nextLine(headerEnd);
  }
  const obis: Record<string, ObisObject> = {};
  const lines: ScannedLine[] = [];
  let sawIecSuffix = false;
  while (pos < text.length) {
    const first = text.charCodeAt(pos);
    if (first === 33 /* ! */) break;
    const end = scanner.lineEnd(pos);
    let consumed = end;
    if (first === 40 /* ( */) {
      // DSMR 2.2/3: a line that starts with '(' continues the previous object (24.3.0 values).
      const previous = lines[lines.length - 1];
      const groups = scanner.groups(pos, end, previous ? previous.id : 'continuation line');
      if (previous) appendGroups(previous, groups.raws, context);
      else context.warnings.push(`line "${excerpt(text, pos, end)}" continues no data line; ignored`);
      consumed = groups.end;
    } else if (first >= 48 && first <= 57) {
      const line = scanner.dataLine(pos, end);
      if (line === undefined) {
        context.warnings.push(`unreadable line "${excerpt(text, pos, end)}"; skipped`);
      } else {
        sawIecSuffix ||= line.iecSuffix;
        const scanned = decodeLine(line.id, line.channel, line.groups, context);
        if (obis[scanned.id] !== undefined) context.warnings.push(`${scanned.id} appears twice; the last line is kept`);
        obis[scanned.id] = scanned.object;
        lines.push(scanned);
        consumed = line.end;
      }
    } else if (!isBlank(text, pos, end)) {
      context.warnings.push(`unreadable line "${excerpt(text, pos, end)}"; skipped`);
    }
    pos = scanner.nextLine(consumed);
  }
  return { header, obis, lines, sawIecSuffix };
}

/** A data line as read: its reduced id, the contents of its value groups, and where the last line it took ends. */
interface RawLine {
  id: string;
  groups: string[];
  end: number;
  /** The id carried an IEC 62056-21 group F (`*255`). */
  iecSuffix: boolean;
  /** M-Bus channel n of `0-n:…` ids, else 0. */
  channel: number;
}

/**
 * Reads lines and value groups of one text. It remembers where the next `)` is, so that a text
 * full of unclosed groups is searched once, not once per group.
 */
class LineScanner {
  private nextClose = -1;

  constructor(private readonly text: string, private readonly warnings: string[]) {}

  /** End of the line at `pos`, before its CR LF (or LF). */
  lineEnd(pos: number): number {
    let eol = this.text.indexOf('\n', pos);
    if (eol < 0) eol = this.text.length;
    return eol > pos && this.text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  }

  /** Start of the line after the one that ends at `end`. */
  nextLine(end: number): number {
    const eol = this.text.indexOf('\n', end);
    return eol < 0 ? this.text.length : eol + 1;
  }

  /** The data line `text[pos, end)` = `A-B:C.D.E(…)…`, or undefined when it does not start with a well-formed id. */
  dataLine(pos: number, end: number): RawLine | undefined {
    const id = readObisId(this.text, pos, end);
    if (id === undefined) return undefined;
    const groups = this.groups(id.groupsAt, end, id.id);
    return { id: id.id, groups: groups.raws, end: groups.end, iecSuffix: id.iecSuffix, channel: id.channel };
  }

  /**
   * The value groups `(…)(…)` from `pos` (at a `(`). A group not closed on its line continues on
   * the next lines (DSMR 3 wraps long text messages) unless those start a new object. `end`: the
   * end of the last line the groups took.
   */
  groups(pos: number, lineEnd: number, id: string): { raws: string[]; end: number } {
    const text = this.text;
    const raws: string[] = [];
    let p = pos;
    while (p < lineEnd && text.charCodeAt(p) === 40) {
      const close = this.closeAfter(p + 1);
      if (close < lineEnd) {
        raws.push(text.slice(p + 1, close));
        p = close + 1;
        continue;
      }
      const wrapped = this.wrappedGroup(p + 1, lineEnd);
      if (!wrapped) {
        this.warnings.push(`${id}: value group without ')'; read to the end of the line`);
        raws.push(text.slice(p + 1, lineEnd));
        return { raws, end: lineEnd };
      }
      raws.push(wrapped.content);
      p = wrapped.close + 1;
      lineEnd = wrapped.lineEnd;
    }
    while (p < lineEnd && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p < lineEnd) this.warnings.push(`${id}: unexpected text after the values: "${excerpt(text, p, lineEnd)}"`);
    return { raws, end: lineEnd };
  }

  /** Index of the first `)` at or after `from`, or the text's length. */
  private closeAfter(from: number): number {
    if (this.nextClose < from) {
      const close = this.text.indexOf(')', from);
      this.nextClose = close < 0 ? this.text.length : close;
    }
    return this.nextClose;
  }

  /** A group continued over line breaks: its content without the breaks, where it closes, and that line's end. */
  private wrappedGroup(contentStart: number, lineEnd: number): { content: string; close: number; lineEnd: number } | null {
    const text = this.text;
    let content = text.slice(contentStart, lineEnd);
    let pos = this.nextLine(lineEnd);
    while (pos < text.length) {
      const end = this.lineEnd(pos);
      if (startsNewObject(text, pos, end)) return null;
      const close = this.closeAfter(pos);
      if (close < end) return { content: content + text.slice(pos, close), close, lineEnd: end };
      content += text.slice(pos, end);
      pos = this.nextLine(end);
    }
    return null;
  }
}

/** The separators of `A-B:C.D.E`. */
const ID_SEPARATORS = [45 /* - */, 58 /* : */, 46 /* . */, 46 /* . */];

/**
 * Reads `A-B:C.D.E` at `pos`, optionally followed by a group F (`*255` IEC style, or `.255` as in
 * the DSMR 4.2 specification's example), which is not part of the id. Undefined when the line does not start with a
 * well-formed id followed by `(` (`1-0:99:97.0`, `0:96.7.19`).
 */
function readObisId(text: string, pos: number, lineEnd: number): { id: string; groupsAt: number; iecSuffix: boolean; channel: number } | undefined {
  let i = pos;
  let a = 0;
  let b = 0;
  for (let field = 0; field < 5; field++) {
    const digitsStart = i;
    let value = 0;
    for (; i < lineEnd && isDigit(text.charCodeAt(i)); i++) value = value * 10 + text.charCodeAt(i) - 48;
    if (i === digitsStart || i - digitsStart > 3) return undefined;
    if (field === 0) a = value;
    else if (field === 1) b = value;
    if (field < 4) {
      if (text.charCodeAt(i) !== ID_SEPARATORS[field]) return undefined;
      i++;
    }
  }
  const idEnd = i;
  const iecSuffix = text.charCodeAt(i) === 42; /* * */
  if (iecSuffix) {
    i++;
    while (i < lineEnd && isDigit(text.charCodeAt(i))) i++;
  } else if (text.startsWith('.255', i)) {
    i += 4;
  }
  if (i >= lineEnd || text.charCodeAt(i) !== 40 /* ( */) return undefined;
  return { id: text.slice(pos, idEnd), groupsAt: i, iecSuffix, channel: a === 0 ? b : 0 };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function startsNewObject(text: string, pos: number, end: number): boolean {
  const c = text.charCodeAt(pos);
  if (pos >= end || c === 33 || c === 40 || c === 47) return true;
  return readObisId(text, pos, end) !== undefined;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0) return false;
  }
  return true;
}

function excerpt(text: string, start: number, end: number): string {
  return end - start > 40 ? text.slice(start, start + 40) + '…' : text.slice(start, end);
}

/** The registry names of the M-Bus hourly readings, whose value comes on a continuation line (DSMR 2.2/3). */
function isHourlyProfile(definition: ObisDefinition | undefined): boolean {
  return definition?.name === 'mbusHourlyReading' || definition?.name === 'mbusColdReading';
}

/** One data line decoded by the general registry meaning of its id (the profile may rename it later). */
function decodeLine(id: string, channel: number, raws: string[], context: ParseContext): ScannedLine {
  const meanings = meaningsOf(id);
  const definition = meanings?.fallback;
  // The registry's copy of a known id is already interned: as the key in `obis` it saves a string-table lookup per access.
  if (definition !== undefined && definition.code === id) id = definition.code;
  const decoding = definition ? definition.kind : 'unknown';
  const groups = raws.map((raw) => decodeGroup(raw, decoding, id, context));
  const text = decoding === 'octets' && raws.length > 0 ? decodeHexText(raws[0], 0, raws[0].length) : undefined;
  const main = mainValueOf(groups, isHourlyProfile(definition));
  return { id, channel, meanings, object: lineObject(definition?.name, main, text, groups) };
}

/** The object with only the fields that have a value, in the documented order. */
function lineObject(name: string | undefined, main: MainValue, text: string | undefined, groups: ObisGroup[]): ObisObject {
  const object = (name === undefined ? { value: main.value } : { name, value: main.value }) as ObisObject;
  if (main.unit !== undefined) object.unit = main.unit;
  if (main.time !== undefined) object.time = main.time;
  if (text !== undefined) object.text = text;
  object.groups = groups;
  return object;
}

/** Continuation line: its groups belong to the previous object. */
function appendGroups(line: ScannedLine, raws: string[], context: ParseContext): void {
  const object = line.object;
  const definition = line.meanings?.fallback;
  const decoding = definition ? definition.kind : 'unknown';
  for (const raw of raws) object.groups.push(decodeGroup(raw, decoding, line.id, context));
  const main = mainValueOf(object.groups, isHourlyProfile(definition));
  object.value = main.value;
  if (main.unit !== undefined) object.unit = main.unit;
  if (main.time !== undefined) object.time = main.time;
}

/**
 * One value group. Numbers keep the meter's unit (normalised spelling); octet strings and
 * text stay as sent; time stamps become ISO-8601 or null (with a warning, never a rolled-over date).
 */
function decodeGroup(raw: string, decoding: ObisDefinition['kind'] | 'unknown', id: string, context: ParseContext): ObisGroup {
  const end = raw.length;
  if (end === 0) return { value: null, raw };
  const valueEnd = unitSeparator(raw);
  const unit = valueEnd < end - 1 ? canonicalUnit(raw, valueEnd + 1, end) : undefined;
  let value: number | string | null;
  switch (decoding) {
    case 'octets':
    case 'text':
      value = raw.slice(0, valueEnd);
      break;
    case 'timestamp':
      value = decodeTime(raw, valueEnd, id, context);
      break;
    case 'number':
    case 'integer':
    case 'structured':
      // Structured lines carry flagless DSMR 2.2/3 stamps too: `(090212160000)`.
      if (looksLikeTimestamp(raw, 0, valueEnd, decoding !== 'structured')) {
        value = decodeTime(raw, valueEnd, id, context);
      } else {
        const number = parseDecimal(raw, 0, valueEnd);
        value = Number.isNaN(number) ? raw.slice(0, valueEnd) : number;
        if (Number.isNaN(number) && decoding !== 'structured') context.warnings.push(`${id}: "${raw}" is not a number`);
      }
      break;
    default:
      value = decodeUnknown(raw, valueEnd, unit !== undefined, id, context);
  }
  return unit === undefined ? { value, raw } : { value, unit, raw };
}

/** Longest `*unit` looked for at the end of a group (units are short: `kvarh` is the longest sent). */
const MAX_UNIT_LENGTH = 10;

/** Index of the `*` before the unit, or the group's length. Searched from the end: values never contain `*`, and ids are long. */
function unitSeparator(raw: string): number {
  const stop = Math.max(0, raw.length - MAX_UNIT_LENGTH - 1);
  for (let i = raw.length - 1; i >= stop; i--) if (raw.charCodeAt(i) === 42 /* * */) return i;
  return raw.length;
}

/** Codes the registry does not know: a unit or a short number ⇒ number, 12 digits + S/W ⇒ time, else text. */
function decodeUnknown(raw: string, end: number, hasUnit: boolean, id: string, context: ParseContext): number | string | null {
  if (looksLikeTimestamp(raw, 0, end, true)) return decodeTime(raw, end, id, context);
  if (hasUnit || end <= 15) {
    const number = parseDecimal(raw, 0, end);
    if (!Number.isNaN(number)) return number;
  }
  return raw.slice(0, end);
}

function decodeTime(raw: string, end: number, id: string, context: ParseContext): string | null {
  const iso = decodeTimestamp(raw, 0, end, context.clock);
  if (iso === null) context.warnings.push(`${id}: ${describeBadTimestamp(raw.slice(0, end))}`);
  return iso;
}

/** The main `value` of a line, with its unit and (`undefined` when the line has no time group; null for an invalid one) time. */
interface MainValue {
  value: ObisObject['value'];
  unit: string | undefined;
  time: string | null | undefined;
}

/**
 * Picks the main `value` (and `unit`, `time`) of a line from its groups:
 * - `(time)(value)` (M-Bus readings, BE monthly peak; also `(value)(time)`): the value, with the time in `time`;
 * - DSMR 2.2/3 hourly profile: the value from the continuation line, the unit from the `(m3)` group;
 * - anything else: the first group.
 * A placeholder time with a zero reading is an empty channel: value `null`.
 */
function mainValueOf(groups: ObisGroup[], hourlyProfile: boolean): MainValue {
  let main: ObisGroup | undefined = groups[0];
  let time: ObisGroup | undefined;
  let unit: string | undefined;
  if (hourlyProfile) {
    time = main;
    main = groups.length > 6 ? groups[groups.length - 1] : undefined;
    unit = main?.unit ?? (groups.length > 5 && groups[5].raw ? canonicalUnit(groups[5].raw, 0, groups[5].raw.length) : undefined);
  } else if (groups.length >= 2 && isTimeGroup(groups[0]) && !isTimeGroup(groups[1])) {
    time = groups[0];
    main = groups[1];
  } else if (groups.length === 2 && isTimeGroup(groups[1]) && !isTimeGroup(groups[0])) {
    time = groups[1];
  }
  const timeValue = time === undefined ? undefined : (time.value as string | null);
  const value = main === undefined ? null : main.value;
  return { value: timeValue === null && value === 0 ? null : value, unit: unit ?? main?.unit, time: timeValue };
}

function isTimeGroup(group: ObisGroup): boolean {
  return looksLikeTimestamp(group.raw, 0, group.raw.length, false);
}
