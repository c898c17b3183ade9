import { asciiBytes, viewOf } from './ascii-bytes';
import { checkAsciiTelegramCrc, checkTelegramCrc } from './crc16';
import { lineKindFor, type LineKind } from './line-kind';
import type { LineMemo } from './line-memo';
import { describeBadTimestamp, decodeTimestamp, looksLikeTimestamp, ZoneClock } from './timestamp';
import type { CrcCheck, ObisGroup, ObisObject, P1Telegram, ParseOptions } from './types';
import { canonicalUnit, decodeHexText, parseDecimal } from './values';
import { interpretTelegram } from './interpret';
import { ObjectShapes } from './object-shapes';

/**
 * The telegram parser: one pass over the text with `charCodeAt`, line by line, into
 * `obis` (every line by its reduced OBIS id, decoded by the registry's `kind`); then
 * `interpret.ts` derives the friendly view. Pure and tolerant: a line it cannot read
 * costs one warning and nothing else.
 */

const DEFAULT_ZONE = 'Europe/Amsterdam';

/** Parse one telegram (`/` … `!CRC`). Never throws; problems are listed in `warnings`. */
export function parseTelegram(text: string, options?: ParseOptions, crc?: CrcCheck): P1Telegram {
  const warnings: string[] = [];
  try {
    const source = typeof text === 'string' ? text : String(text); // JavaScript callers may pass a Buffer
    const bytes = asciiBytes(source);
    const check = crc ?? checkOwnCrc(source, bytes);
    const clock = clockFor(options?.timezone, warnings);
    return scanTelegram(source, bytes, clock, check, warnings);
  } catch (error) {
    // Only a bug can get here; the caller still gets a well-formed (empty) telegram.
    warnings.push(`parser error: ${error instanceof Error ? error.message : String(error)}`);
    return interpretTelegram({ header: '', obis: {}, kinds: [], objects: [], count: 0, sawIecSuffix: false }, ZoneClock.for(DEFAULT_ZONE), fallbackCrc(crc), warnings);
  }
}

/** A fragment without its `/` header cannot be checked: whatever CRC it ends with covers bytes we do not have. */
function checkOwnCrc(text: string, bytes: Uint8Array | undefined): CrcCheck {
  const check = bytes === undefined ? checkTelegramCrc(text) : checkAsciiTelegramCrc(text, bytes);
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

function fallbackCrc(crc: CrcCheck | undefined): CrcCheck {
  return crc ?? { present: false, stated: null, computed: '0000', valid: null };
}

type Decoding = LineKind['decoding'];

/** Scratch space for the value groups of the line being read (reused: no per-line arrays). */
const groupStart: number[] = [];
const groupEnd: number[] = [];
const groupSource: string[] = [];
let groupCount = 0;

/** The separators of `A-B:C.D.E`. */
const ID_SEPARATORS = [45 /* - */, 58 /* : */, 46 /* . */, 46 /* . */];

/** Set by `scanObisId`: end of `A-B:C.D.E`, fields A and B, and C.D.E packed as C·2²⁰ + D·2¹⁰ + E (a small integer). */
let idEnd = 0;
let idA = 0;
let idB = 0;
let idCde = 0;

/** The lines read, in order (reused; parsing is synchronous). */
const lineKeys: string[] = [];
const lineKinds: LineKind[] = [];
const lineObjects: ObisObject[] = [];
const obisShapes = new ObjectShapes();
/** Numbers each scan, so that a line kind can tell whether it was already seen in this telegram. */
let telegramsScanned = 0;

/** `bytes`: the text as ASCII bytes (`asciiBytes`), or undefined when it is not ASCII. */
function scanTelegram(text: string, bytes: Uint8Array | undefined, clock: ZoneClock, crc: CrcCheck, warnings: string[]): P1Telegram {
  const length = text.length;
  const headerAt = text.indexOf('/');
  let header = '';
  let pos = 0;
  if (headerAt < 0) {
    warnings.push('no header line (/…); reading the data lines that are there');
  } else {
    let headerEnd = text.indexOf('\n', headerAt);
    if (headerEnd < 0) headerEnd = length;
    pos = headerEnd + 1;
    if (headerEnd > headerAt && text.charCodeAt(headerEnd - 1) === 13) headerEnd--;
    header = text.slice(headerAt + 1, headerEnd);
  }

  const view = bytes === undefined ? undefined : viewOf(bytes);
  const telegramNumber = ++telegramsScanned;
  let lineCount = 0;
  let previous: ObisObject | undefined;
  let previousKind: LineKind | undefined;
  let sawIecSuffix = false;

  while (pos < length) {
    const expected = previousKind ? previousKind.next : firstLineKind;
    let eol: number;
    let kind: LineKind | undefined;
    let object: ObisObject | undefined;
    if (bytes !== undefined && view !== undefined && expected !== undefined && expected.memo?.matches(bytes, view, pos, length, clock)) {
      // The line this id had last time, byte for byte (see line-memo.ts): no search for its end, no decoding.
      kind = expected;
      object = replayLine(kind, expected.memo, warnings);
      if (bytes[pos + kind.key.length] !== 40 /* ( */) sawIecSuffix = true;
      eol = pos + expected.memo.lineLength - 1;
    } else {
      eol = text.indexOf('\n', pos);
      if (eol < 0) eol = length;
      let lineEnd = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
      const first = text.charCodeAt(pos);
      if (first === 33 /* ! */) break;

      if (first === 40 /* ( */) {
        // DSMR 2.2/3: a line that starts with '(' continues the previous object (24.3.0 values).
        const consumed = scanGroups(text, pos, lineEnd, warnings, previousKind ? previousKind.key : 'continuation line');
        if (previous && previousKind) {
          appendGroups(previous, previousKind, clock, warnings);
        } else {
          warnings.push(`line "${excerpt(text, pos, lineEnd)}" continues no data line; ignored`);
        }
        lineEnd = consumed;
      } else if (first >= 48 && first <= 57) {
        kind = readLineKind(text, bytes, pos, lineEnd, expected);
        if (kind === undefined) {
          warnings.push(`unreadable line "${excerpt(text, pos, lineEnd)}"; skipped`);
        } else {
          if (groupsAt > pos + kind.key.length) sawIecSuffix = true; // `1-0:1.8.0*255(` — group F, not part of the key
          if (previousKind) previousKind.next = kind;
          else firstLineKind = kind;
          object = decodeLine(text, bytes, view, pos, lineEnd, eol, kind, clock, warnings);
          lineEnd = groupsEnd;
        }
      } else if (!isBlank(text, pos, lineEnd)) {
        warnings.push(`unreadable line "${excerpt(text, pos, lineEnd)}"; skipped`);
      }

      if (lineEnd > eol) {
        eol = text.indexOf('\n', lineEnd);
        if (eol < 0) eol = length;
      }
    }

    if (kind !== undefined && object !== undefined) {
      if (kind.lastTelegram === telegramNumber) warnings.push(`${kind.key} appears twice; the last line is kept`);
      kind.lastTelegram = telegramNumber;
      lineKeys[lineCount] = kind.key;
      lineKinds[lineCount] = kind;
      lineObjects[lineCount] = object;
      lineCount++;
      previous = object;
      previousKind = kind;
    }
    pos = eol + 1;
  }

  const obis = obisShapes.build(lineKeys, lineObjects, lineCount) as Record<string, ObisObject>;
  const telegram = interpretTelegram({ header, obis, kinds: lineKinds, objects: lineObjects, count: lineCount, sawIecSuffix }, clock, crc, warnings);
  // Let the objects be collected (a loop: `fill` costs a runtime call).
  for (let i = 0; i < lineCount; i++) lineObjects[i] = undefined as unknown as ObisObject;
  return telegram;
}

/** The kind of the first data line of the last telegram: the guess for the next one. */
let firstLineKind: LineKind | undefined;
/** Set by `readLineKind`: where the value groups of the line start. */
let groupsAt = 0;

/**
 * The kind of the data line at `pos`, or undefined for a malformed id. Meters repeat their
 * line order, so the line that followed the previous one last time (`expected`) is tried
 * first with one key comparison (on the text's bytes; none for text that is not ASCII); only
 * when that guess fails is the id read digit by digit. Sets `groupsAt`.
 */
function readLineKind(text: string, bytes: Uint8Array | undefined, pos: number, lineEnd: number, expected: LineKind | undefined): LineKind | undefined {
  if (expected !== undefined && bytes !== undefined && startsWithKey(bytes, pos, lineEnd, expected.keyBytes)) {
    groupsAt = pos + expected.key.length;
    return expected;
  }
  const open = scanObisId(text, pos, lineEnd);
  if (open < 0) return undefined;
  groupsAt = open;
  return lineKindFor(text, pos, idEnd, idA, idB, idCde);
}

/** Set by `decodeLine`: the end of the last line the value groups took. */
let groupsEnd = 0;

/**
 * The object of the data line at `pos` of `kind`, its value groups decoded from `groupsAt`;
 * remembered in the kind's memo when the result depends on the line's own text alone.
 * Sets `groupsEnd`.
 */
function decodeLine(text: string, bytes: Uint8Array | undefined, view: DataView | undefined, pos: number, lineEnd: number, eol: number, kind: LineKind, clock: ZoneClock, warnings: string[]): ObisObject {
  const warningCount = warnings.length;
  groupsEnd = scanGroups(text, groupsAt, lineEnd, warnings, kind.key);
  const object = buildObject(kind, clock, warnings);
  // A group not closed on its line depends on the lines after it; a last line without a break cannot be compared whole.
  if (bytes !== undefined && view !== undefined && kind.memo !== undefined && groupsClosedOnLine && eol < text.length) {
    kind.memo.remember(bytes, view, pos, eol + 1, clock, object, warnings, warningCount);
  }
  return object;
}

/** The object (and the warnings) of the line `memo` remembers, for a line with the same text. */
function replayLine(kind: LineKind, memo: LineMemo, warnings: string[]): ObisObject {
  memo.repeatWarnings(warnings);
  return newObject(kind.definition?.name, memo.value, memo.unit, memo.time, memo.text, memo.groups());
}

/** The line `bytes[pos, lineEnd)` starts with `key(`. */
function startsWithKey(bytes: Uint8Array, pos: number, lineEnd: number, key: Uint8Array): boolean {
  const length = key.length;
  if (pos + length >= lineEnd) return false;
  for (let i = 0; i < length; i++) if (bytes[pos + i] !== key[i]) return false;
  return bytes[pos + length] === 40 /* ( */;
}

/**
 * Reads `A-B:C.D.E` (optionally `*F`) at `pos`. Returns the index of the first `(`, or -1
 * when the line does not start with a well-formed id (`1-0:99:97.0`, `0:96.7.19`).
 * Sets `idEnd`, `idA`, `idB` and `idCde`.
 */
function scanObisId(text: string, pos: number, lineEnd: number): number {
  let i = pos;
  let cde = 0;
  for (let field = 0; field < 5; field++) {
    const digitsStart = i;
    let value = 0;
    while (i < lineEnd) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    if (i === digitsStart || i - digitsStart > 3) return -1;
    if (field === 0) idA = value;
    else if (field === 1) idB = value;
    else cde = (cde << 10) | value;
    if (field < 4) {
      if (text.charCodeAt(i) !== ID_SEPARATORS[field]) return -1;
      i++;
    }
  }
  idEnd = i;
  idCde = cde;
  if (text.charCodeAt(i) === 42 /* * */) {
    i++;
    while (i < lineEnd && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  }
  return i < lineEnd && text.charCodeAt(i) === 40 ? i : -1;
}

/**
 * Reads the value groups `(…)(…)` from `pos` (at a `(`) into the scratch arrays. A group
 * not closed on its line continues on the next lines (DSMR 3 wraps long text messages)
 * unless those start a new object. Returns the end of the last line consumed.
 */
function scanGroups(text: string, pos: number, lineEnd: number, warnings: string[], key: string): number {
  groupCount = 0;
  groupsClosedOnLine = true;
  let p = pos;
  while (p < lineEnd && text.charCodeAt(p) === 40) {
    const close = text.indexOf(')', p + 1);
    if (close >= 0 && close < lineEnd) {
      pushGroup(text, p + 1, close);
      p = close + 1;
      continue;
    }
    groupsClosedOnLine = false;
    const wrapped = readWrappedGroup(text, p + 1, lineEnd);
    if (!wrapped) {
      warnings.push(`${key}: value group without ')'; read to the end of the line`);
      pushGroup(text, p + 1, lineEnd);
      return lineEnd;
    }
    pushGroup(wrapped.content, 0, wrapped.content.length);
    p = wrapped.close + 1;
    lineEnd = wrapped.lineEnd;
  }
  while (p < lineEnd && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
  if (p < lineEnd) warnings.push(`${key}: unexpected text after the values: "${excerpt(text, p, lineEnd)}"`);
  return lineEnd;
}

/** Set by `scanGroups`: every group closed on the line where it opened. */
let groupsClosedOnLine = true;

function pushGroup(source: string, start: number, end: number): void {
  groupSource[groupCount] = source;
  groupStart[groupCount] = start;
  groupEnd[groupCount] = end;
  groupCount++;
}

/** A group continued over line breaks: its content without the breaks, where it closes, and that line's end. */
function readWrappedGroup(text: string, contentStart: number, lineEnd: number): { content: string; close: number; lineEnd: number } | null {
  let content = text.slice(contentStart, lineEnd);
  let pos = nextLine(text, lineEnd);
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (startsNewObject(text, pos, end)) return null;
    const close = text.indexOf(')', pos);
    if (close >= 0 && close < end) return { content: content + text.slice(pos, close), close, lineEnd: end };
    content += text.slice(pos, end);
    pos = nextLine(text, end);
  }
  return null;
}

function nextLine(text: string, from: number): number {
  const eol = text.indexOf('\n', from);
  return eol < 0 ? text.length : eol + 1;
}

function startsNewObject(text: string, pos: number, end: number): boolean {
  const c = text.charCodeAt(pos);
  if (pos >= end || c === 33 || c === 40 || c === 47) return true;
  return scanObisId(text, pos, end) >= 0;
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

/** Decode the scratch groups into a new object. */
function buildObject(kind: LineKind, clock: ZoneClock, warnings: string[]): ObisObject {
  let groups: ObisGroup[];
  if (groupCount === 1) {
    groups = [decodeGroup(groupSource[0], groupStart[0], groupEnd[0], kind.decoding, kind.key, clock, warnings)];
  } else {
    groups = [];
    for (let g = 0; g < groupCount; g++) groups.push(decodeGroup(groupSource[g], groupStart[g], groupEnd[g], kind.decoding, kind.key, clock, warnings));
  }
  const text = kind.decoding === 'octets' && groupCount > 0 ? decodeHexText(groupSource[0], groupStart[0], groupEnd[0]) : undefined;
  pickMainValue(groups, kind.hourlyProfile);
  return newObject(kind.definition?.name, mainValue, mainUnit, mainTime, text, groups);
}

/**
 * The object with only the fields that have a value, made by one literal of its final shape:
 * adding fields one by one would cost a map transition and a property-store allocation each.
 * `time` is `undefined` when the line has no time group (null means an invalid time).
 */
function newObject(name: string | undefined, value: ObisObject['value'], unit: string | undefined, time: string | null | undefined, text: string | undefined, groups: ObisGroup[]): ObisObject {
  if (name !== undefined) {
    if (text !== undefined) {
      if (unit === undefined && time === undefined) return { name, value, text, groups };
    } else if (time !== undefined) {
      return unit !== undefined ? { name, value, unit, time, groups } : { name, value, time, groups };
    } else {
      return unit !== undefined ? { name, value, unit, groups } : { name, value, groups };
    }
  }
  // Unknown codes and rare combinations: field by field, in the documented order.
  const object = {} as ObisObject;
  if (name !== undefined) object.name = name;
  object.value = value;
  if (unit !== undefined) object.unit = unit;
  if (time !== undefined) object.time = time;
  if (text !== undefined) object.text = text;
  object.groups = groups;
  return object;
}

/** Continuation line: its groups belong to the previous object. */
function appendGroups(object: ObisObject, kind: LineKind, clock: ZoneClock, warnings: string[]): void {
  for (let g = 0; g < groupCount; g++) object.groups.push(decodeGroup(groupSource[g], groupStart[g], groupEnd[g], kind.decoding, kind.key, clock, warnings));
  pickMainValue(object.groups, kind.hourlyProfile);
  object.value = mainValue;
  if (mainUnit !== undefined) object.unit = mainUnit;
  if (mainTime !== undefined) object.time = mainTime;
}

/**
 * One value group. Numbers keep the meter's unit (normalised spelling); octet strings and
 * text stay as sent; time stamps become ISO-8601 or null (with a warning, never a rolled-over date).
 */
function decodeGroup(source: string, start: number, end: number, decoding: Decoding, key: string, clock: ZoneClock, warnings: string[]): ObisGroup {
  const raw = source.slice(start, end);
  if (start === end) return { value: null, raw };
  const valueEnd = unitSeparator(source, start, end);
  const unit = valueEnd < end - 1 ? canonicalUnit(source, valueEnd + 1, end) : undefined;

  let value: number | string | null;
  switch (decoding) {
    case 'octets':
    case 'text':
      value = source.slice(start, valueEnd);
      break;
    case 'timestamp':
      value = decodeTime(source, start, valueEnd, key, clock, warnings);
      break;
    case 'number':
    case 'integer':
    case 'structured':
      // Structured lines carry flagless DSMR 2.2/3 stamps too: `(090212160000)`.
      if (looksLikeTimestamp(source, start, valueEnd, decoding !== 'structured')) {
        value = decodeTime(source, start, valueEnd, key, clock, warnings);
      } else {
        const number = parseDecimal(source, start, valueEnd);
        if (number === number) value = number;
        else {
          value = source.slice(start, valueEnd);
          if (decoding !== 'structured') warnings.push(`${key}: "${raw}" is not a number`);
        }
      }
      break;
    default:
      value = decodeUnknown(source, start, valueEnd, unit !== undefined, key, clock, warnings);
  }
  return unit === undefined ? { value, raw } : { value, unit, raw };
}

/** Longest `*unit` looked for at the end of a group (units are short: `kvarh` is the longest sent). */
const MAX_UNIT_LENGTH = 10;

/** Index of the `*` before the unit, or `end`. Searched from the end: values never contain `*`, and ids are long. */
function unitSeparator(source: string, start: number, end: number): number {
  const stop = Math.max(start, end - MAX_UNIT_LENGTH - 1);
  for (let i = end - 1; i >= stop; i--) if (source.charCodeAt(i) === 42 /* * */) return i;
  return end;
}

/** Codes the registry does not know: a unit or a short number ⇒ number, 12 digits + S/W ⇒ time, else text. */
function decodeUnknown(source: string, start: number, end: number, hasUnit: boolean, key: string, clock: ZoneClock, warnings: string[]): number | string | null {
  if (looksLikeTimestamp(source, start, end, true)) return decodeTime(source, start, end, key, clock, warnings);
  if (hasUnit || end - start <= 15) {
    const number = parseDecimal(source, start, end);
    if (number === number) return number;
  }
  return source.slice(start, end);
}

function decodeTime(source: string, start: number, end: number, key: string, clock: ZoneClock, warnings: string[]): string | null {
  const iso = decodeTimestamp(source, start, end, clock);
  if (iso === null) warnings.push(`${key}: ${describeBadTimestamp(source.slice(start, end))}`);
  return iso;
}

/** Set by `pickMainValue`. */
let mainValue: ObisObject['value'] = null;
let mainUnit: string | undefined;
let mainTime: string | null | undefined;

/**
 * Picks the main `value` (and `unit`, `time`) of a line from its groups:
 * - `(time)(value)` (M-Bus readings, BE monthly peak; also `(value)(time)`): the value, with the time in `time`;
 * - DSMR 2.2/3 hourly profile: the value from the continuation line, the unit from the `(m3)` group;
 * - anything else: the first group.
 * A placeholder time with a zero reading is an empty channel: value `null`.
 */
function pickMainValue(groups: ObisGroup[], hourlyProfile: boolean): void {
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
  mainValue = main === undefined ? null : main.value;
  mainUnit = unit ?? main?.unit;
  mainTime = time === undefined ? undefined : (time.value as string | null);
  if (mainTime === null && mainValue === 0) mainValue = null;
}

function isTimeGroup(group: ObisGroup): boolean {
  const raw = group.raw;
  return looksLikeTimestamp(raw, 0, raw.length, false);
}
