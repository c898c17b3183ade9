import { type CodeMeanings, OBIS_REGISTRY, type ObisDefinition } from './obis-registry';
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

export function interpretTelegram(scanned: ScannedTelegram, context: ParseContext, crc: CrcCheck): P1Telegram {
  const { header, obis } = scanned;
  const manufacturer = header.slice(0, 3);
  const profile = recogniseProfile(manufacturer, obis, scanned.sawIecSuffix);
  const fields = new FlatFields();
  const mbus: Record<string, MbusDevice> = {};
  const readingRanks = new Map<MbusDevice, number>();
  for (const { meanings, channel, object } of scanned.lines) {
    if (!meanings) continue;
    const definition = meanings.byProfile?.[profile.name] || meanings.fallback;
    object.name = definition.name; // the scanner named it by the general meaning
    if (channel !== 0) addToDevice(deviceFor(mbus, channel), definition.name, object, readingRanks);
    else addFlatField(fields, definition, object, context);
  }
  addDerivedValues(fields, obis);
  // Section by section, in the order people read a telegram (the debug sidebar lists keys as added).
  const telegram = { timestamp: timestampOf(obis) } as P1Telegram;
  fields.addSections(telegram, 0, OTHER); // headline, energy, phases, other registers
  addDeviceShortcuts(telegram, mbus);
  telegram.mbus = mbus;
  telegram.header = header;
  telegram.manufacturer = manufacturer;
  telegram.model = header.slice(4);
  telegram.profile = profile.name;
  telegram.version = versionOf(obis, crc, profile);
  telegram.equipmentId = idOf(obis['0-0:96.1.1']) ?? idOf(obis['0-0:42.0.0']);
  fields.addSections(telegram, IDENTIFICATION, IDENTIFICATION);
  telegram.units = fields.units;
  telegram.obis = obis;
  telegram.crc = crc;
  telegram.warnings = context.warnings;
  return telegram;
}

/**
 * The flat fields in payload order: each headline field in its own place, then the energy, the
 * phases, the other registers (M-Bus devices follow them), and the identification.
 */
const HEADLINE_FIELDS = ['powerDelivered', 'powerReturned', 'powerNet', 'averageDemand', 'peakDemandMonth', 'peakDemandMonthTime', 'tariff'];
const ENERGY = HEADLINE_FIELDS.length;
const PHASES = ENERGY + 1;
const OTHER = PHASES + 1;
const IDENTIFICATION = OTHER + 1;
/** Flat fields that say which meter and which firmware, not what it measured. */
const IDENTIFICATION_FIELDS = ['p1Version', 'emucsVersion', 'serialNumber', 'eanCode', 'logicalDeviceName', 'meterNumber', 'manufacturerSerial'];

function sectionOf(name: string): number {
  const headline = HEADLINE_FIELDS.indexOf(name);
  if (headline >= 0) return headline;
  if (/energy/i.test(name)) return ENERGY;
  if (/L[123]$/.test(name)) return PHASES;
  if (IDENTIFICATION_FIELDS.includes(name) || name.startsWith('firmware')) return IDENTIFICATION;
  return OTHER;
}

/** The section of every flat field the parser can add: the registry's names and the derived ones. */
const SECTION_OF = new Map<string, number>(
  [...OBIS_REGISTRY.map((definition) => definition.name), ...HEADLINE_FIELDS, 'energyDeliveredSum', 'energyReturnedSum', 'currentThresholdExport'].map(
    (name) => [name, sectionOf(name)],
  ),
);

/** The flat fields of one telegram, gathered by section in telegram order, and their units. */
class FlatFields {
  /** Per section: name, value, name, value, … */
  private readonly sections: unknown[][] = Array.from({ length: IDENTIFICATION + 1 }, () => []);
  readonly units: Record<string, string> = {};

  add(name: string, value: unknown, unit?: string): void {
    this.sections[SECTION_OF.get(name) ?? OTHER].push(name, value);
    if (unit !== undefined) this.units[name] = unit;
  }

  /** Adds the fields of the sections `first` … `last` (a repeated line: the last one's value). */
  addSections(telegram: P1Telegram, first: number, last: number): void {
    for (let section = first; section <= last; section++) {
      const fields = this.sections[section];
      for (let i = 0; i < fields.length; i += 2) telegram[fields[i] as string] = fields[i + 1];
    }
  }
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

function addFlatField(fields: FlatFields, definition: ObisDefinition, object: ObisObject, context: ParseContext): void {
  const name = definition.name;
  if (isIdentityField(name)) return;
  switch (definition.kind) {
    case 'structured':
      addStructured(fields, name, object, context);
      return;
    case 'octets': {
      const text = idOf(object);
      if (text !== null) fields.add(name, text);
      return;
    }
    case 'number':
    case 'integer':
      if (typeof object.value === 'number') fields.add(name, object.value, object.unit);
      return;
    default:
      if (object.value !== null) fields.add(name, object.value);
  }
}

function addStructured(fields: FlatFields, name: string, object: ObisObject, context: ParseContext): void {
  switch (name) {
    case 'powerFailureLog':
      fields.add('powerFailureLog', readPowerFailureLog(object.groups, context));
      return;
    case 'peakDemandMonth':
      if (typeof object.value === 'number') fields.add('peakDemandMonth', object.value, object.unit);
      fields.add('peakDemandMonthTime', object.time ?? null);
      return;
    case 'peakDemandHistory':
      // A Hungarian-style line (time first, no count) is a billing snapshot, not a peak history.
      if (object.groups.length > 0 && !isTime(object.groups[0])) fields.add('peakDemandHistory', readPeakHistory(object.groups, context));
      return;
    case 'currentThresholdImport':
      addGroupNumber(fields, 'currentThresholdImport', object.groups[0]);
      addGroupNumber(fields, 'currentThresholdExport', object.groups[1]);
      return;
    // billingSnapshot, loadProfile: their groups in `obis` say it all.
  }
}

function addGroupNumber(fields: FlatFields, name: string, group: ObisGroup | undefined): void {
  if (group && typeof group.value === 'number') fields.add(name, group.value, group.unit);
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
function addDeviceShortcuts(telegram: P1Telegram, mbus: Record<string, MbusDevice>): void {
  const devices = Object.values(mbus);
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

/** The code of a register by its general registry name. */
function codeOf(name: string): string {
  const definition = OBIS_REGISTRY.find((entry) => entry.name === name && !entry.profiles);
  if (!definition) throw new Error(`no register named ${name}`);
  return definition.code;
}

const POWER_DELIVERED = codeOf('powerDelivered');
const POWER_RETURNED = codeOf('powerReturned');
/** Each tariff sum and the codes of the tariff registers it adds up. */
const TARIFF_SUMS = (['Delivered', 'Returned'] as const).map((direction) => ({
  name: `energy${direction}Sum`,
  codes: [1, 2, 3, 4].map((tariff) => codeOf(`energy${direction}Tariff${tariff}`)),
}));

/**
 * Values users otherwise compute themselves, named so they cannot be mistaken for meter registers:
 * `powerNet` = powerDelivered − powerReturned; `energyDeliveredSum` / `energyReturnedSum` = the
 * tariff registers added up (only for meters with tariff registers, all in one unit).
 */
function addDerivedValues(fields: FlatFields, obis: Record<string, ObisObject>): void {
  const delivered = obis[POWER_DELIVERED];
  const returned = obis[POWER_RETURNED];
  if (delivered && returned && typeof delivered.value === 'number' && typeof returned.value === 'number' && delivered.unit === returned.unit) {
    const places = Math.max(decimalPlaces(delivered.groups[0].raw), decimalPlaces(returned.groups[0].raw));
    fields.add('powerNet', addDecimals(delivered.value, returned.value, places, -1), delivered.unit);
  }
  for (const { name, codes } of TARIFF_SUMS) addTariffSum(fields, obis, codes, name);
}

function addTariffSum(fields: FlatFields, obis: Record<string, ObisObject>, codes: readonly string[], name: string): void {
  let sum = 0;
  let places = 0;
  let unit: string | undefined;
  let count = 0;
  for (const code of codes) {
    const object = obis[code];
    if (!object) continue;
    if (typeof object.value !== 'number' || (count > 0 && object.unit !== unit)) return;
    places = Math.max(places, decimalPlaces(object.groups[0].raw));
    sum = addDecimals(sum, object.value, places);
    unit = object.unit;
    count++;
  }
  if (count > 0) fields.add(name, sum, unit);
}
