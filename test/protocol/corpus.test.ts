import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTelegram } from '../../src/protocol/parser';
import type { ObisObject, P1Telegram } from '../../src/protocol/types';
import { FIXTURES } from '../support/paths';

/**
 * The telegram corpus (test/fixtures/telegrams): every telegram parses, its CRC verdict matches index.tsv,
 * and every value a source test suite asserted (expected/**.json) equals ours.
 */

function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, suffix));
    else if (entry.name.endsWith(suffix)) out.push(full);
  }
  return out.sort();
}

function readIndex(): Map<string, string> {
  const rows = fs.readFileSync(path.join(FIXTURES, 'index.tsv'), 'utf8').split('\n').filter(Boolean);
  const header = rows[0].split('\t');
  const fileColumn = header.indexOf('file');
  const crcColumn = header.indexOf('crc_valid');
  const verdicts = new Map<string, string>();
  for (const row of rows.slice(1)) {
    const cells = row.split('\t');
    verdicts.set(cells[fileColumn], cells[crcColumn]);
  }
  return verdicts;
}

function expectedCrcValid(verdict: string): boolean | null {
  if (verdict.startsWith('valid')) return true;
  if (verdict.startsWith('INVALID')) return false;
  return null;
}

const EXPECTED_DIR = path.join(FIXTURES, 'expected');
const telegramFiles = listFiles(FIXTURES, '.txt').filter((file) => !file.startsWith(EXPECTED_DIR + path.sep));
const index = readIndex();

describe('corpus: every telegram file', () => {
  it('finds the corpus', () => {
    assert.ok(telegramFiles.length > 100, `only ${telegramFiles.length} .txt files under ${FIXTURES}`);
  });

  for (const file of telegramFiles) {
    const relative = path.relative(FIXTURES, file).split(path.sep).join('/');
    it(`${relative}: parses, JSON-safe${index.has(relative) ? ', CRC verdict as in index.tsv' : ''}`, () => {
      const telegram = parseTelegram(fs.readFileSync(file, 'latin1'));
      assert.deepEqual(JSON.parse(JSON.stringify(telegram)), telegram, 'result survives JSON unchanged');
      const verdict = index.get(relative);
      if (verdict !== undefined) assert.equal(telegram.crc.valid, expectedCrcValid(verdict), `index.tsv says ${verdict}`);
    });
  }
});

interface ExpectedObject {
  value?: string | number | null;
  unit?: string;
  timestamp?: string;
  other?: Array<Record<string, unknown>>;
}

interface ExpectedFile {
  file: string;
  notes: string;
  objects: Record<string, ExpectedObject>;
}

/** JSON.parse that keeps integers beyond 2^53 as strings (`303132333435363738` must not become …700). */
function parsePrecise(json: string): ExpectedFile {
  return JSON.parse(json.replace(/(:\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

/**
 * Stamps that are not real times, yet a source turned them into dates: month 00 and month 34
 * rolled over in JavaScript's Date (fixtures README), and `000101010000W`, the year-2000
 * clock-not-set placeholder (docs/protocol.md §3). We must return null plus a warning instead.
 */
const STAMPS_SOURCES_MISREAD = ['250000000000W', '123412341234W', '000101010000W'];

const DEFAULT_ZONE_OFFSETS = { W: '+01:00', S: '+02:00' } as const;

/** Wall-clock part `YYYY-MM-DDThh:mm:ss` of an ISO string. */
function wallClock(iso: string): string {
  return iso.slice(0, 19);
}

function hasOffset(iso: string): boolean {
  return /(Z|[+-]\d\d:?\d\d)$/.test(iso);
}

/** The Europe/Amsterdam offset of a wall-clock time, from the zone calendar (not from a meter flag). */
function calendarOffset(wall: string): string {
  const utcGuess = Date.parse(wall + 'Z');
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Amsterdam', timeZoneName: 'longOffset' }).formatToParts(new Date(utcGuess - 3_600_000));
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? 'GMT+01:00';
  return name.replace('GMT', '') || '+00:00';
}

/** The time group of an object as sent (for `(time)(value)` lines the one that looks like a stamp). */
function rawTime(object: ObisObject): string | undefined {
  return object.groups.map((group) => group.raw).find((raw) => /^\d{12}[SWsw]?$/.test(raw));
}

/** The group a decoded time came from: the stamp whose digits spell the same wall-clock time. */
function rawStampOf(object: ObisObject, iso: string | null): string | undefined {
  if (iso === null) return undefined;
  return object.groups
    .map((group) => group.raw)
    .find(
      (raw) =>
        /^\d{12}[SWsw]$/.test(raw) &&
        `20${raw.slice(0, 2)}-${raw.slice(2, 4)}-${raw.slice(4, 6)}T${raw.slice(6, 8)}:${raw.slice(8, 10)}:${raw.slice(10, 12)}` === wallClock(iso),
    );
}

function assertSameTime(ours: string | null | undefined, expected: string, raw: string | undefined, telegram: P1Telegram, what: string): void {
  if (raw !== undefined && STAMPS_SOURCES_MISREAD.includes(raw)) {
    assert.equal(ours, null, `${what}: ${raw} is not a real time (the source's ${expected} is a rolled-over or placeholder date)`);
    assert.ok(
      telegram.warnings.some((warning) => warning.includes(raw)),
      `${what}: a warning names ${raw}`,
    );
    return;
  }
  assert.equal(typeof ours, 'string', `${what}: expected a time, got ${ours}`);
  const time = ours as string;
  if (!hasOffset(expected)) {
    // athombv and Wassasin assert the meter's local wall-clock time without a zone.
    assert.equal(wallClock(time), wallClock(expected), what);
    return;
  }
  if (Date.parse(time) === Date.parse(expected)) return;
  // ndokter/dsmr_parser localises stamps with the zone calendar and ignores the S/W flag. Where
  // a meter's flag contradicts the calendar (`200305122139S`: "summer" on 5 March) we follow the
  // flag, so only the wall-clock time can be compared.
  const flag = raw?.slice(-1).toUpperCase();
  const calendar = calendarOffset(wallClock(time));
  const flagContradictsCalendar = (flag === 'S' || flag === 'W') && DEFAULT_ZONE_OFFSETS[flag] !== calendar;
  assert.ok(flagContradictsCalendar, `${what}: ${time} is not the instant ${expected}`);
  assert.equal(Date.parse(wallClock(time) + calendar), Date.parse(expected), `${what}: wall-clock time`);
}

function isDecimalText(value: unknown): boolean {
  return (typeof value === 'string' && /^[+-]?\d+(\.\d+)?$/.test(value)) || typeof value === 'number';
}

/** Numbers compare as decimals (`"0001"` = 1, `"15.70"` = 15.7); octet strings as raw hex or as decoded text. */
function assertSameValue(object: ObisObject, expected: string | number, what: string): void {
  if (expected === '') {
    assert.ok(object.value === null || object.value === '', `${what}: expected an empty value, got ${JSON.stringify(object.value)}`);
    return;
  }
  if (object.value === expected || object.text === expected) return;
  if (typeof object.value === 'string' && typeof expected === 'string' && !isDecimalText(expected)) {
    assert.fail(`${what}: ${JSON.stringify(object.value)} (text ${JSON.stringify(object.text)}) ≠ ${JSON.stringify(expected)}`);
  }
  assert.ok(isDecimalText(object.value) && isDecimalText(expected), `${what}: ${JSON.stringify(object.value)} ≠ ${JSON.stringify(expected)}`);
  assert.equal(Number(object.value), Number(expected), what);
}

function checkOther(telegram: P1Telegram, code: string, object: ObisObject | undefined, key: string, expected: unknown): void {
  const what = `${code} ${key}`;
  if (key === 'absent_filled_by_source') {
    assert.equal(object, undefined, `${what}: the telegram has no such line (the source fills in ${expected})`);
    return;
  }
  if (key === 'value_from_clock') return; // the source took the time from its own clock, not from the telegram
  assert.ok(object, `${what}: ${code} missing from obis`);
  const entry = /^\[(\d+)\]\.(\w+)$/.exec(key);
  if (entry) {
    const month = telegram.peakDemandHistory?.[Number(entry[1])];
    assert.ok(month, `${what}: no peakDemandHistory[${entry[1]}]`);
    const field = entry[2];
    if (field === 'unit') assert.equal(month.unit, expected, what);
    else if (field === 'value') assert.equal(month.value, Number(expected), what);
    else if (field === 'datetime') assertSameTime(month.month, String(expected), rawStampOf(object, month.month), telegram, what);
    else if (field === 'occurred') assertSameTime(month.time, String(expected), rawStampOf(object, month.time), telegram, what);
    else assert.fail(`${what}: unknown field`);
    return;
  }
  switch (key) {
    case 'count':
      assert.ok(Number.isInteger(object.value), `${what}: ${object.value} is not an integer`);
      assert.equal(object.value, Number(expected), what);
      return;
    case 'value_rounded_int':
      // dsmr-reader stores phase currents as integers with int(), which truncates: 1.66 A → 1.
      assert.equal(Math.trunc(object.value as number), expected, what);
      return;
    case 'interpreted_number':
      // The source turned an octet string into a JS number; ours keeps the digits exactly.
      assert.ok(object.value === null || (typeof object.value === 'string' && /^[0-9A-Fa-f]*$/.test(object.value)), `${what}: ${object.value}`);
      return;
    case 'timestamp_none_for_placeholder':
      assert.equal(object.time ?? object.value, null, what);
      return;
    case 'value_none_for_placeholder':
      assert.equal(object.value, null, what);
      return;
    default:
      assert.fail(`${what}: unknown assertion kind`);
  }
}

describe('corpus: values asserted by the source test suites', () => {
  const expectedFiles = listFiles(EXPECTED_DIR, '.json');
  it('finds the expected files', () => assert.ok(expectedFiles.length >= 40));

  for (const file of expectedFiles) {
    const expectations = parsePrecise(fs.readFileSync(file, 'utf8'));
    it(`${expectations.file} (${Object.keys(expectations.objects).length} codes)`, () => {
      const telegram = parseTelegram(fs.readFileSync(path.join(FIXTURES, expectations.file), 'latin1'));
      for (const [code, expected] of Object.entries(expectations.objects)) {
        const object = telegram.obis[code];
        if (expected.value === null) {
          // dsmr-reader reports codes the telegram lacks as None.
          assert.equal(object, undefined, `${code}: the telegram has no such line`);
          continue;
        }
        if (expected.value !== undefined) {
          assert.ok(object, `${code}: missing from obis`);
          assertSameValue(object, expected.value, code);
        }
        if (expected.unit !== undefined) {
          assert.ok(object, `${code}: missing from obis`);
          assert.equal(object.unit?.toLowerCase(), expected.unit.toLowerCase(), `${code} unit`);
        }
        if (expected.timestamp !== undefined) {
          assert.ok(object, `${code}: missing from obis`);
          const ours = object.time !== undefined ? object.time : (object.value as string | null);
          assertSameTime(ours, expected.timestamp, rawTime(object), telegram, `${code} time`);
        }
        for (const other of expected.other ?? []) {
          for (const [key, value] of Object.entries(other)) checkOther(telegram, code, object, key, value);
        }
      }
    });
  }
});
