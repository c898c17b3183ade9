import { checkTelegramCrc } from './crc16';
import { interpretTelegram, type ParseContext, type ScannedLine } from './interpret';
import { channelOfKey, meaningsOfKey, type ObisDefinition, type ObisId, readObisId } from './obis-registry';
import { describeBadTimestamp, decodeTimestamp, looksLikeTimestamp, ZoneClock } from './timestamp';
import type { CrcCheck, ObisGroup, ObisObject, P1Telegram, ParseOptions } from './types';
import { canonicalUnit, decodeHexText, parseDecimal } from './values';

/**
 * The telegram parser: the text line by line into `obis` (every line by its reduced OBIS id,
 * decoded by the registry's `kind`); then `interpret.ts` derives the friendly view. Pure and
 * tolerant: a line it cannot read costs one warning and nothing else. Everything it knows while
 * reading belongs to one call (a `LineScanner` and a `ParseContext`); between calls a parser keeps
 * only its meter's clock. So meters parsed in turn cannot affect each other, and the work grows
 * linearly with the text whatever its shape.
 */

const DEFAULT_ZONE = 'Europe/Amsterdam';

/**
 * The parser of one meter's telegrams. It owns the meter's clock (the time zone's offsets, with
 * the hours it has looked up): the one thing kept from one telegram to the next, and never shared
 * with another meter. A `P1Reader` holds one; `parseTelegram` makes one per call.
 */
export class TelegramParser {
  private readonly clock: ZoneClock;
  /** Said with every telegram: the time zone asked for is unknown. */
  private readonly zoneWarning: string | undefined;

  constructor(options?: ParseOptions) {
    const zone = options?.timezone || DEFAULT_ZONE;
    try {
      this.clock = new ZoneClock(zone);
    } catch {
      this.clock = new ZoneClock(DEFAULT_ZONE);
      this.zoneWarning = `unknown time zone "${zone}", using ${DEFAULT_ZONE}`;
    }
  }

  /** Parse one telegram (`/` … `!CRC`). Never throws; problems are listed in `warnings`. */
  parse(text: string, crc?: CrcCheck): P1Telegram {
    const warnings: string[] = this.zoneWarning === undefined ? [] : [this.zoneWarning];
    const context: ParseContext = { clock: this.clock, warnings };
    try {
      const source = typeof text === 'string' ? text : String(text); // JavaScript callers may pass a Buffer
      const check = crc ?? checkOwnCrc(source);
      return interpretTelegram(readLines(source, context), context, check);
    } catch (error) {
      // Only a bug can get here; the caller still gets a well-formed (empty) telegram.
      warnings.push(`parser error: ${error instanceof Error ? error.message : String(error)}`);
      return interpretTelegram(
        { header: '', obis: {}, lines: [], sawIecSuffix: false },
        context,
        crc ?? { present: false, stated: null, computed: '0000', valid: null },
      );
    }
  }
}

/**
 * Parse one telegram with a parser made for it. Making one costs more than parsing (the time
 * zone's rules are loaded): for a stream of telegrams keep one `TelegramParser` or `P1Reader`.
 */
export function parseTelegram(text: string, options?: ParseOptions, crc?: CrcCheck): P1Telegram {
  return new TelegramParser(options).parse(text, crc);
}

/** A fragment without its `/` header cannot be checked: whatever CRC it ends with covers bytes we do not have. */
function checkOwnCrc(text: string): CrcCheck {
  const check = checkTelegramCrc(text);
  return text.indexOf('/') < 0 && check.valid !== null ? { ...check, valid: null } : check;
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
      const raws: string[] = [];
      consumed = scanner.groups(pos, end, previous ? previous.id : 'continuation line', raws);
      if (previous) appendGroups(previous, raws, context);
      else context.warnings.push(`line "${excerpt(text, pos, end)}" continues no data line; ignored`);
    } else if (first >= 48 && first <= 57) {
      const id = readLineId(text, pos, end);
      if (id === undefined) {
        context.warnings.push(`unreadable line "${excerpt(text, pos, end)}"; skipped`);
      } else {
        sawIecSuffix ||= text.charCodeAt(id.end) === 42 /* * */;
        const { line, end: lineEnd } = readDataLine(scanner, pos, end, id, context);
        if (obis[line.id] !== undefined) context.warnings.push(`${line.id} appears twice; the last line is kept`);
        obis[line.id] = line.object;
        lines.push(line);
        consumed = lineEnd;
      }
    } else if (!isBlank(text, pos, end)) {
      context.warnings.push(`unreadable line "${excerpt(text, pos, end)}"; skipped`);
    }
    pos = scanner.nextLine(consumed);
  }
  return { header, obis, lines, sawIecSuffix };
}

/**
 * The data line at `pos` whose id has been read: the id as the key of `obis` (a known one is its
 * registry code, the same string in every telegram), its groups decoded by the id's general
 * meaning, and the end of the last line its groups took.
 */
function readDataLine(scanner: LineScanner, pos: number, lineEnd: number, id: ObisId, context: ParseContext): { line: ScannedLine; end: number } {
  const meanings = meaningsOfKey(id.key);
  const definition = meanings?.fallback;
  const channel = definition !== undefined && isChannelPattern(definition) ? channelOfKey(id.key) : 0;
  const code = definition !== undefined && channel === 0 ? definition.code : scanner.text.slice(pos, id.end);
  const raws: string[] = [];
  const end = scanner.groups(groupsStart(scanner.text, id.end), lineEnd, code, raws);
  const decoding = definition ? definition.kind : 'unknown';
  const groups: ObisGroup[] = [];
  for (const raw of raws) groups.push(decodeGroup(raw, decoding, code, context));
  const text = decoding === 'octets' && raws.length > 0 ? decodeHexText(raws[0], 0, raws[0].length) : undefined;
  return { line: { id: code, channel, meanings, object: lineObject(definition, groups, text) }, end };
}

/** `0-n:C.D.E`: a code of every M-Bus channel. */
function isChannelPattern(definition: ObisDefinition): boolean {
  return definition.code.charCodeAt(2) === 110 /* n */;
}

/**
 * Reads lines and value groups of one text. It remembers where the next `)` is, so that a text
 * full of unclosed groups is searched once, not once per group.
 */
class LineScanner {
  private nextClose = -1;

  constructor(
    readonly text: string,
    private readonly warnings: string[],
  ) {}

  /** End of the line at `pos`, before its CR LF (or LF). */
  lineEnd(pos: number): number {
    let eol = this.text.indexOf('\n', pos);
    if (eol < 0) eol = this.text.length;
    return eol > pos && this.text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  }

  /** Start of the line after the one that ends at `end`. */
  nextLine(end: number): number {
    // Mostly `end` is at the line's own CR LF: no need to search for it again.
    const text = this.text;
    if (text.charCodeAt(end) === 10) return end + 1;
    if (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10) return end + 2;
    const eol = text.indexOf('\n', end);
    return eol < 0 ? this.text.length : eol + 1;
  }

  /**
   * Reads the value groups `(…)(…)` from `pos` (at a `(`) into `raws`. A group not closed on its
   * line continues on the next lines (DSMR 3 wraps long text messages) unless those start a new
   * object. Returns the end of the last line the groups took.
   */
  groups(pos: number, lineEnd: number, id: string, raws: string[]): number {
    const text = this.text;
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
        return lineEnd;
      }
      raws.push(wrapped.content);
      p = wrapped.close + 1;
      lineEnd = wrapped.lineEnd;
    }
    while (p < lineEnd && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p < lineEnd) this.warnings.push(`${id}: unexpected text after the values: "${excerpt(text, p, lineEnd)}"`);
    return lineEnd;
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

/**
 * The id a data line starts with, or undefined when the line does not start with a well-formed id
 * followed by its value groups (`1-0:99:97.0`, `0:96.7.19`). A group F after the id (`*255` IEC
 * style, or `.255` as in the DSMR 4.2 specification's example) is not part of it.
 */
function readLineId(text: string, pos: number, lineEnd: number): ObisId | undefined {
  const id = readObisId(text, pos);
  if (id === undefined) return undefined;
  const open = groupsStart(text, id.end);
  return open < lineEnd && text.charCodeAt(open) === 40 /* ( */ ? id : undefined;
}

/** Where the value groups start after the id that ends at `idEnd`: past a group F, if any. */
function groupsStart(text: string, idEnd: number): number {
  let i = idEnd;
  if (text.charCodeAt(i) === 42 /* * */) {
    i++;
    while (isDigit(text.charCodeAt(i))) i++;
  } else if (text.charCodeAt(i) === 46 /* . */ && text.startsWith('.255', i)) {
    i += 4;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function startsNewObject(text: string, pos: number, end: number): boolean {
  const c = text.charCodeAt(pos);
  if (pos >= end || c === 33 || c === 40 || c === 47) return true;
  return readLineId(text, pos, end) !== undefined;
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

/** Continuation line: its groups belong to the previous object. */
function appendGroups(line: ScannedLine, raws: string[], context: ParseContext): void {
  const object = line.object;
  const definition = line.meanings?.fallback;
  const decoding = definition ? definition.kind : 'unknown';
  for (const raw of raws) object.groups.push(decodeGroup(raw, decoding, line.id, context));
  const main = lineObject(definition, object.groups, undefined);
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

/**
 * The object of a line, with only the fields that have a value, in the documented order. Its main
 * `value` (and `unit`, `time`) comes from the groups:
 * - `(time)(value)` (M-Bus readings, BE monthly peak; also `(value)(time)`): the value, with the time in `time`;
 * - DSMR 2.2/3 hourly profile: the value from the continuation line, the unit from the `(m3)` group;
 * - anything else: the first group.
 * A placeholder time with a zero reading is an empty channel: value `null`. `time` is absent when
 * the line has no time group (null means an invalid time).
 */
function lineObject(definition: ObisDefinition | undefined, groups: ObisGroup[], text: string | undefined): ObisObject {
  let main: ObisGroup | undefined = groups[0];
  let timeGroup: ObisGroup | undefined;
  let unit: string | undefined;
  if (isHourlyProfile(definition)) {
    timeGroup = main;
    main = groups.length > 6 ? groups[groups.length - 1] : undefined;
    unit = main?.unit ?? (groups.length > 5 && groups[5].raw ? canonicalUnit(groups[5].raw, 0, groups[5].raw.length) : undefined);
  } else if (groups.length >= 2 && isTimeGroup(groups[0]) && !isTimeGroup(groups[1])) {
    timeGroup = groups[0];
    main = groups[1];
  } else if (groups.length === 2 && isTimeGroup(groups[1]) && !isTimeGroup(groups[0])) {
    timeGroup = groups[1];
  }
  const time = timeGroup === undefined ? undefined : (timeGroup.value as string | null);
  const mainValue = main === undefined ? null : main.value;
  const value = time === null && mainValue === 0 ? null : mainValue;
  unit ??= main?.unit;
  const name = definition?.name;
  // The usual shapes as one literal each; the rest field by field.
  if (name !== undefined && time === undefined && text === undefined) return unit === undefined ? { name, value, groups } : { name, value, unit, groups };
  const object = (name === undefined ? { value } : { name, value }) as ObisObject;
  if (unit !== undefined) object.unit = unit;
  if (time !== undefined) object.time = time;
  if (text !== undefined) object.text = text;
  object.groups = groups;
  return object;
}

function isTimeGroup(group: ObisGroup): boolean {
  return looksLikeTimestamp(group.raw, 0, group.raw.length, false);
}
