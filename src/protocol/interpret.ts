import type { CodeMeanings, ObisDefinition } from './obis-registry';
import { recogniseProfile, type ProfileEntry } from './profiles';
import { instantOf, looksLikeTimestamp, type ZoneClock } from './timestamp';
import type { CrcCheck, MbusDevice, MbusDeviceKind, ObisGroup, ObisObject, P1Telegram, PeakDemandMonth, PowerFailureEvent } from './types';
import { addDecimals, decimalPlaces } from './values';

/**
 * From the decoded lines (`obis`) to the friendly telegram: identity and profile, flat
 * fields by registry name, M-Bus devices, the power-failure log, the Belgian peaks and
 * derived totals. Values stay in the meter's units. Everything is built fresh for each telegram.
 */

/** What one parse call carries along: the meter's clock and the warnings of this telegram. */
export interface ParseContext {
  readonly clock: ZoneClock;
  readonly warnings: string[];
}

/** One data line as the scanner decoded it, by the general registry meaning of its id. */
export interface ScannedLine {
  id: string;
  /** M-Bus channel n of `0-n:…` ids, else 0. */
  channel: number;
  /** What the registry knows of the id; undefined for codes nobody mapped. */
  meanings: CodeMeanings | undefined;
  object: ObisObject;
}

/** What the line scanner hands over. */
export interface ScannedTelegram {
  header: string;
  obis: Record<string, ObisObject>;
  /** Every data line read, in telegram order (a repeated id twice). */
  lines: readonly ScannedLine[];
  /** A `*255` value-group F was seen (IEC 62056-21 style). */
  sawIecSuffix: boolean;
}

/** Registry names whose values feed `powerNet` and the tariff sums. */
const DERIVED_INPUTS = [
  'powerDelivered',
  'powerReturned',
  'energyDeliveredTariff1',
  'energyDeliveredTariff2',
  'energyDeliveredTariff3',
  'energyDeliveredTariff4',
  'energyReturnedTariff1',
  'energyReturnedTariff2',
  'energyReturnedTariff3',
  'energyReturnedTariff4',
] as const;

type DerivedInputs = Partial<Record<(typeof DERIVED_INPUTS)[number], ObisObject>>;

export function interpretTelegram(scanned: ScannedTelegram, context: ParseContext, crc: CrcCheck): P1Telegram {
  const { header, obis } = scanned;
  const manufacturer = header.slice(0, 3);
  const profile = recogniseProfile(manufacturer, obis, scanned.sawIecSuffix);
  // Identity first, then the flat fields, then obis/crc/warnings: the order users see in the debug sidebar.
  const telegram: P1Telegram = {
    header,
    manufacturer,
    model: header.slice(4),
    profile: profile.name,
    version: versionOf(obis, crc, profile),
    equipmentId: idOf(obis['0-0:96.1.1']) ?? idOf(obis['0-0:42.0.0']),
    timestamp: timestampOf(obis),
    units: {},
    mbus: {},
  } as P1Telegram;
  const derived: DerivedInputs = {};
  const readingRanks = new Map<MbusDevice, number>();
  for (const { meanings, channel, object } of scanned.lines) {
    if (!meanings) continue;
    const definition = meanings.byProfile?.[profile.name] || meanings.fallback;
    object.name = definition.name; // the scanner named it by the general meaning
    if (channel !== 0) addToDevice(deviceFor(telegram.mbus, channel), definition.name, object, readingRanks);
    else addFlatField(telegram, definition, object, context);
    if (channel === 0 && isDerivedInput(meanings.fallback.name)) derived[meanings.fallback.name] = object;
  }
  addDerivedValues(telegram, derived);
  addDeviceShortcuts(telegram);
  telegram.obis = obis;
  telegram.crc = crc;
  telegram.warnings = context.warnings;
  return telegram;
}

function isDerivedInput(name: string | undefined): name is (typeof DERIVED_INPUTS)[number] {
  return (DERIVED_INPUTS as readonly (string | undefined)[]).includes(name);
}

function timestampOf(obis: Record<string, ObisObject>): string | null {
  const time = obis['0-0:1.0.0']?.value;
  return typeof time === 'string' ? time : null;
}

/** The lines that state the version: DSMR's P1 version, else the Belgian e-MUCS version. */
const VERSION_CODES = ['1-3:0.2.8', '0-0:96.1.4'];

function versionOf(obis: Record<string, ObisObject>, crc: CrcCheck, profile: ProfileEntry): string | null {
  for (const code of VERSION_CODES) {
    const stated = obis[code]?.value;
    if (stated !== undefined && stated !== null) return String(stated);
  }
  return crc.present ? null : (profile.versionWithoutCrc ?? null);
}

/** Decoded id of an octet-string object: its text, else the string as sent; null when empty. */
function idOf(object: ObisObject | undefined): string | null {
  if (!object) return null;
  if (object.text !== undefined) return object.text;
  return typeof object.value === 'string' && object.value !== '' ? object.value : null;
}

/** The identity fields already come from these codes; a second copy among the flat fields would add nothing. */
function isIdentityField(name: string): boolean {
  return name === 'timestamp' || name === 'equipmentId';
}

function addFlatField(telegram: P1Telegram, definition: ObisDefinition, object: ObisObject, context: ParseContext): void {
  const name = definition.name;
  if (isIdentityField(name)) return;
  switch (definition.kind) {
    case 'structured':
      addStructured(telegram, name, object, context);
      return;
    case 'octets': {
      const text = idOf(object);
      if (text !== null) telegram[name] = text;
      return;
    }
    case 'number':
    case 'integer':
      if (typeof object.value === 'number') addWithUnit(telegram, name, object.value, object.unit);
      return;
    default:
      if (object.value !== null) telegram[name] = object.value;
  }
}

function addWithUnit(telegram: P1Telegram, name: string, value: number, unit: string | undefined): void {
  telegram[name] = value;
  if (unit !== undefined) telegram.units[name] = unit;
}

function addStructured(telegram: P1Telegram, name: string, object: ObisObject, context: ParseContext): void {
  switch (name) {
    case 'powerFailureLog':
      telegram.powerFailureLog = readPowerFailureLog(object.groups, context);
      return;
    case 'peakDemandMonth':
      if (typeof object.value === 'number') addWithUnit(telegram, 'peakDemandMonth', object.value, object.unit);
      telegram.peakDemandMonthTime = object.time ?? null;
      return;
    case 'peakDemandHistory':
      // A Hungarian-style line (time first, no count) is a billing snapshot, not a peak history.
      if (object.groups.length > 0 && !isTime(object.groups[0])) telegram.peakDemandHistory = readPeakHistory(object.groups, context);
      return;
    case 'currentThresholdImport':
      addGroupNumber(telegram, 'currentThresholdImport', object.groups[0]);
      addGroupNumber(telegram, 'currentThresholdExport', object.groups[1]);
      return;
    // billingSnapshot, loadProfile: their groups in `obis` say it all.
  }
}

function addGroupNumber(telegram: P1Telegram, name: string, group: ObisGroup | undefined): void {
  if (group && typeof group.value === 'number') addWithUnit(telegram, name, group.value, group.unit);
}

function isTime(group: ObisGroup): boolean {
  return looksLikeTimestamp(group.raw, 0, group.raw.length, false);
}

/** The decoded time of a group that holds a time stamp; null for placeholders and for groups that hold something else. */
function timeOf(group: ObisGroup): string | null {
  return typeof group.value === 'string' && isTime(group) ? group.value : null;
}

function isObisId(group: ObisGroup): boolean {
  return group.raw.indexOf(':') > 0;
}

/** Index of the first group after the leading count and capture-object ids `(z)(0-0:96.7.19)`. */
function firstEntryGroup(groups: ObisGroup[]): number {
  if (groups.length === 0 || isTime(groups[0])) return 0;
  let i = 1;
  while (i < groups.length && isObisId(groups[i])) i++;
  return i;
}

/**
 * `1-0:99.97.0(z)(0-0:96.7.19)(end)(duration*s)…`: the pairs that are there (the count z
 * is not trusted). `start` = end − duration, in the meter's zone.
 */
function readPowerFailureLog(groups: ObisGroup[], { clock, warnings }: ParseContext): PowerFailureEvent[] {
  const events: PowerFailureEvent[] = [];
  let i = firstEntryGroup(groups);
  for (; i + 1 < groups.length; i += 2) {
    const duration = groups[i + 1].value;
    if (typeof duration !== 'number') {
      warnings.push(`1-0:99.97.0: "${groups[i + 1].raw}" is not a duration; event skipped`);
      continue;
    }
    const endIso = timeOf(groups[i]);
    if (endIso === null && !isTime(groups[i])) warnings.push(`1-0:99.97.0: "${groups[i].raw}" is not a time`);
    const start = endIso === null ? null : clock.formatInstant(instantOf(endIso) - duration * 1000);
    events.push({ end: endIso, start, durationSeconds: duration });
  }
  if (i < groups.length) warnings.push(`1-0:99.97.0: "${groups[i].raw}" has no duration; ignored`);
  return events;
}

/** BE `0-0:98.1.0(z)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(value)…`; empty months have a placeholder time and value null. */
function readPeakHistory(groups: ObisGroup[], { warnings }: ParseContext): PeakDemandMonth[] {
  const months: PeakDemandMonth[] = [];
  let i = firstEntryGroup(groups);
  for (; i + 2 < groups.length; i += 3) {
    const time = timeOf(groups[i + 1]);
    const peak = groups[i + 2];
    const value = typeof peak.value === 'number' && !(time === null && peak.value === 0) ? peak.value : null;
    months.push({ month: timeOf(groups[i]), time, value, unit: peak.unit ?? null });
  }
  if (i < groups.length) warnings.push(`0-0:98.1.0: ${groups.length - i} group(s) after the last complete month; ignored`);
  return months;
}

/** Reading codes by preference when a channel sends several. */
const READING_RANKS: Record<string, number> = { mbusReading: 4, mbusReadingUncorrected: 3, mbusHourlyReading: 2, mbusColdReading: 1 };

function deviceFor(mbus: Record<string, MbusDevice>, channel: number): MbusDevice {
  return (mbus[channel] ??= { channel, deviceType: null, kind: 'unknown', equipmentId: null, reading: null, unit: null, readingTime: null });
}

/** Adds a line of a device's channel; `readingRanks`: the rank of the reading each device has so far. */
function addToDevice(device: MbusDevice, name: string, object: ObisObject, readingRanks: Map<MbusDevice, number>): void {
  switch (name) {
    case 'mbusDeviceType': {
      const type = typeof object.value === 'number' ? object.value : typeof object.value === 'string' ? parseInt(object.value, 16) : NaN;
      device.deviceType = Number.isFinite(type) ? type : null;
      device.kind = mediumKind(device.deviceType);
      return;
    }
    case 'mbusEquipmentId':
    case 'mbusEquipmentIdBelgium':
      device.equipmentId = idOf(object) ?? device.equipmentId;
      return;
    case 'mbusValvePosition':
    case 'mbusBreakerState':
      if (typeof object.value === 'number') device.valvePosition = object.value;
      return;
  }
  const rank = READING_RANKS[name] ?? 0;
  if (rank === 0 || rank < (readingRanks.get(device) ?? 0)) return;
  readingRanks.set(device, rank);
  device.reading = typeof object.value === 'number' ? object.value : null;
  device.unit = object.unit ?? null;
  device.readingTime = object.time ?? null;
}

/** EN 13757-3 medium codes as used on `0-n:24.1.0`. */
function mediumKind(code: number | null): MbusDeviceKind {
  switch (code) {
    case 2:
      return 'electricity';
    case 3:
      return 'gas';
    case 4:
    case 12:
      return 'heat';
    case 6:
      return 'warmWater';
    case 7:
      return 'water';
    case 10:
    case 11:
      return 'cooling';
    default:
      return 'unknown';
  }
}

/**
 * `gas`, `water`, `heat`: the device of that kind on the lowest channel, passing over empty
 * channels (no id, no reading: Iskra meters announce gas on a channel with nothing connected).
 */
function addDeviceShortcuts(telegram: P1Telegram): void {
  const devices = Object.values(telegram.mbus);
  for (const kind of SHORTCUT_KINDS) {
    let best: MbusDevice | undefined;
    for (const device of devices) if (device.kind === kind && (!best || isBetterShortcut(device, best))) best = device;
    if (best) telegram[kind] = best;
  }
}

function isBetterShortcut(a: MbusDevice, b: MbusDevice): boolean {
  return isInUse(a) !== isInUse(b) ? isInUse(a) : a.channel < b.channel;
}

function isInUse(device: MbusDevice): boolean {
  return device.reading !== null || device.equipmentId !== null;
}

const SHORTCUT_KINDS = ['gas', 'water', 'heat'] as const;

/**
 * Values users otherwise compute themselves, named so they cannot be mistaken for meter registers:
 * `powerNet` = powerDelivered − powerReturned; `energyDeliveredSum` / `energyReturnedSum` = the
 * tariff registers added up (only for meters with tariff registers, all in one unit).
 */
function addDerivedValues(telegram: P1Telegram, derived: DerivedInputs): void {
  const delivered = derived.powerDelivered;
  const returned = derived.powerReturned;
  if (delivered && returned && typeof delivered.value === 'number' && typeof returned.value === 'number' && delivered.unit === returned.unit) {
    const places = Math.max(decimalPlaces(delivered.groups[0].raw), decimalPlaces(returned.groups[0].raw));
    addWithUnit(telegram, 'powerNet', addDecimals(delivered.value, returned.value, places, -1), delivered.unit);
  }
  addTariffSum(
    telegram,
    [derived.energyDeliveredTariff1, derived.energyDeliveredTariff2, derived.energyDeliveredTariff3, derived.energyDeliveredTariff4],
    'energyDeliveredSum',
  );
  addTariffSum(
    telegram,
    [derived.energyReturnedTariff1, derived.energyReturnedTariff2, derived.energyReturnedTariff3, derived.energyReturnedTariff4],
    'energyReturnedSum',
  );
}

function addTariffSum(telegram: P1Telegram, tariffs: Array<ObisObject | undefined>, name: string): void {
  let sum = 0;
  let places = 0;
  let unit: string | undefined;
  let count = 0;
  for (const object of tariffs) {
    if (!object) continue;
    if (typeof object.value !== 'number' || (count > 0 && object.unit !== unit)) return;
    places = Math.max(places, decimalPlaces(object.groups[0].raw));
    sum = addDecimals(sum, object.value, places);
    unit = object.unit;
    count++;
  }
  if (count > 0) addWithUnit(telegram, name, sum, unit);
}
