import { DERIVED_INPUTS, type LineKind } from './line-kind';
import { ObjectShapes } from './object-shapes';
import { lookupObis } from './obis-registry';
import { looksLikeTimestamp, type ZoneClock } from './timestamp';
import type {
  CrcCheck,
  MbusDevice,
  MbusDeviceKind,
  MeterProfile,
  ObisGroup,
  ObisObject,
  P1Telegram,
  PeakDemandMonth,
  PowerFailureEvent,
} from './types';
import { addDecimals, decimalPlaces } from './values';

/**
 * From the decoded lines (`obis`) to the friendly telegram: identity and profile, flat
 * fields by registry name, M-Bus devices, the power-failure log, the Belgian peaks and
 * derived totals. Values stay in the meter's units.
 */

/** What the line scanner hands over: the lines in order, with their kinds. */
export interface ScannedTelegram {
  header: string;
  obis: Record<string, ObisObject>;
  /** `kinds[i]` / `objects[i]` for i < count: every data line read, in telegram order. */
  kinds: readonly LineKind[];
  objects: readonly ObisObject[];
  count: number;
  /** A `*255` value-group F was seen (IEC 62056-21 style). */
  sawIecSuffix: boolean;
}

export function interpretTelegram(scanned: ScannedTelegram, clock: ZoneClock, crc: CrcCheck, warnings: string[]): P1Telegram {
  const { header, obis } = scanned;
  const manufacturer = header.slice(0, 3);
  const profile = inferProfile(manufacturer, obis, scanned.sawIecSuffix);
  fields.reset();
  units.reset();
  // Identity first, then the flat fields, then obis/crc/warnings: the order users see in the debug sidebar.
  fields.add('header', header);
  fields.add('manufacturer', manufacturer);
  fields.add('model', header.slice(4));
  fields.add('profile', profile);
  fields.add('version', versionOf(obis, crc, profile));
  fields.add('equipmentId', idOf(obis['0-0:96.1.1']) ?? idOf(obis['0-0:42.0.0']));
  fields.add('timestamp', timestampOf(obis));
  const unitsAt = fields.add('units', null);
  const mbusAt = fields.add('mbus', null);

  const devices: MbusDevice[] = [];
  forgetDevices();
  for (let i = 0; i < derivedInputs.length; i++) derivedInputs[i] = undefined; // a loop: `fill` costs a runtime call
  for (let i = 0; i < scanned.count; i++) {
    const kind = scanned.kinds[i];
    const object = scanned.objects[i];
    const definition = kind.profileVariants ? lookupObis(kind.key, profile) : kind.definition;
    if (!definition) continue;
    if (kind.profileVariants) object.name = definition.name; // the scanner named it by the general meaning
    if (kind.channel !== 0) addToDevice(deviceFor(devices, kind.channel), definition.name, object);
    else addFlatField(definition.name, definition.kind, object, clock, warnings);
    if (kind.derivedInput >= 0) derivedInputs[kind.derivedInput] = object;
  }

  addDerivedValues();
  addDeviceShortcuts(devices);
  fields.add('obis', obis);
  fields.add('crc', crc);
  fields.add('warnings', warnings);
  fields.set(unitsAt, units.build(unitShapes));
  fields.set(mbusAt, mbusObject(devices));
  return fields.build(telegramShapes) as P1Telegram;
}

/** Keys and values collected in order, then made into one object (see object-shapes.ts). */
class FieldList {
  private readonly keys: string[] = [];
  private readonly values: unknown[] = [];
  private count = 0;

  reset(): void {
    this.count = 0;
  }

  /** Adds a field; returns its position (for `set`). */
  add(key: string, value: unknown): number {
    this.keys[this.count] = key;
    this.values[this.count] = value;
    return this.count++;
  }

  set(position: number, value: unknown): void {
    this.values[position] = value;
  }

  build(shapes: ObjectShapes): Record<string, unknown> {
    const object = shapes.build(this.keys, this.values, this.count);
    for (let i = 0; i < this.count; i++) this.values[i] = undefined; // let the values be collected (a loop: `fill` costs a runtime call)
    return object;
  }
}

/** Fields of the telegram and of its `units`, for the telegram being interpreted (parsing is synchronous). */
const fields = new FieldList();
const units = new FieldList();
const telegramShapes = new ObjectShapes();
const unitShapes = new ObjectShapes();

function timestampOf(obis: Record<string, ObisObject>): string | null {
  const time = obis['0-0:1.0.0']?.value;
  return typeof time === 'string' ? time : null;
}

/** Country/vendor profile from the header flag and the codes present (docs/protocol.md §4). */
function inferProfile(manufacturer: string, obis: Record<string, ObisObject>, sawIecSuffix: boolean): MeterProfile {
  const flag = manufacturer.toUpperCase();
  if (flag === 'FLU' || obis['0-0:96.1.4'] !== undefined) return 'emucs';
  if (flag === 'LUX') return 'smarty';
  if (flag === 'ESO') return 'lithuania';
  if (flag === 'KAM' || flag === 'LGF' || flag === 'ELL') return 'sweden';
  if (flag === 'EST' || obis['1-0:1.8.0']?.unit === 'Wh' || obis['1-0:1.8.1']?.unit === 'Wh') return 'austria';
  if (obis['0-0:42.0.0'] !== undefined && obis['1-0:1.8.3'] !== undefined) return 'hungary';
  if (sawIecSuffix || flag === 'ESY') return 'iec62056';
  return 'dsmr';
}

function versionOf(obis: Record<string, ObisObject>, crc: CrcCheck, profile: MeterProfile): string | null {
  const stated = obis['1-3:0.2.8']?.value ?? obis['0-0:96.1.4']?.value;
  if (stated !== undefined && stated !== null) return String(stated);
  // No version line and no CRC: the DSMR 2.2/3 generation (both look the same on the wire).
  return !crc.present && profile === 'dsmr' ? '2.2/3.0' : null;
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

function addFlatField(name: string, kind: string, object: ObisObject, clock: ZoneClock, warnings: string[]): void {
  if (isIdentityField(name)) return;
  switch (kind) {
    case 'structured':
      addStructured(name, object, clock, warnings);
      return;
    case 'octets': {
      const text = idOf(object);
      if (text !== null) fields.add(name, text);
      return;
    }
    case 'number':
    case 'integer':
      if (typeof object.value !== 'number') return;
      addWithUnit(name, object.value, object.unit);
      return;
    default:
      if (object.value !== null) fields.add(name, object.value);
  }
}

function addWithUnit(name: string, value: number, unit: string | undefined): void {
  fields.add(name, value);
  if (unit !== undefined) units.add(name, unit);
}

function addStructured(name: string, object: ObisObject, clock: ZoneClock, warnings: string[]): void {
  switch (name) {
    case 'powerFailureLog':
      fields.add('powerFailureLog', readPowerFailureLog(object.groups, clock, warnings));
      return;
    case 'peakDemandMonth':
      if (typeof object.value === 'number') addWithUnit('peakDemandMonth', object.value, object.unit);
      fields.add('peakDemandMonthTime', object.time ?? null);
      return;
    case 'peakDemandHistory':
      // A Hungarian-style line (time first, no count) is a billing snapshot, not a peak history.
      if (object.groups.length > 0 && !isTime(object.groups[0])) fields.add('peakDemandHistory', readPeakHistory(object.groups, clock, warnings));
      return;
    case 'currentThresholdImport':
      addGroupNumber('currentThresholdImport', object.groups[0]);
      addGroupNumber('currentThresholdExport', object.groups[1]);
      return;
    // billingSnapshot, loadProfile: their groups in `obis` say it all.
  }
}

function addGroupNumber(name: string, group: ObisGroup | undefined): void {
  if (group && typeof group.value === 'number') addWithUnit(name, group.value, group.unit);
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
function readPowerFailureLog(groups: ObisGroup[], clock: ZoneClock, warnings: string[]): PowerFailureEvent[] {
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
    const start = endIso === null ? null : startOf(events.length, endIso, duration, clock);
    events.push({ end: endIso, start, durationSeconds: duration });
  }
  if (i < groups.length) warnings.push(`1-0:99.97.0: "${groups[i].raw}" has no duration; ignored`);
  return events;
}

/**
 * The start of each event of the last log, by position: the log rarely changes, and parsing
 * and formatting a time costs more than the rest of the event. Meters keep 10 events (DSMR).
 */
const lastEventStarts: Array<{ end: string; duration: number; clock: ZoneClock; start: string | null }> = [];
const MAX_REMEMBERED_EVENTS = 32;

/** `end` − `duration` seconds, in the meter's zone, for the event at `index` of the log. */
function startOf(index: number, end: string, duration: number, clock: ZoneClock): string | null {
  const last = lastEventStarts[index];
  if (last !== undefined && last.end === end && last.duration === duration && last.clock === clock) return last.start;
  const start = clock.formatInstant(Date.parse(end) - duration * 1000);
  if (index < MAX_REMEMBERED_EVENTS) lastEventStarts[index] = { end, duration, clock, start };
  return start;
}

/** BE `0-0:98.1.0(z)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(value)…`; empty months have a placeholder time and value null. */
function readPeakHistory(groups: ObisGroup[], clock: ZoneClock, warnings: string[]): PeakDemandMonth[] {
  const months: PeakDemandMonth[] = [];
  let i = firstEntryGroup(groups);
  for (; i + 2 < groups.length; i += 3) months.push(monthOf(months.length, groups[i], groups[i + 1], groups[i + 2], clock));
  if (i < groups.length) warnings.push(`0-0:98.1.0: ${groups.length - i} group(s) after the last complete month; ignored`);
  return months;
}

/**
 * The months of the last history, by position, with the texts they were read from: the
 * history changes once a month, and telling time stamps from other groups costs more than
 * the rest of a month's entry. (The groups' values follow from their text and the clock.)
 */
const lastMonths: Array<{ monthRaw: string; timeRaw: string; peakRaw: string; clock: ZoneClock; month: PeakDemandMonth }> = [];
const MAX_REMEMBERED_MONTHS = 32;

function monthOf(index: number, monthGroup: ObisGroup, timeGroup: ObisGroup, peak: ObisGroup, clock: ZoneClock): PeakDemandMonth {
  const last = lastMonths[index];
  if (last !== undefined && last.clock === clock && last.monthRaw === monthGroup.raw && last.timeRaw === timeGroup.raw && last.peakRaw === peak.raw) {
    return { ...last.month }; // a new object: the user may change the one handed out
  }
  const time = timeOf(timeGroup);
  const value = typeof peak.value === 'number' && !(time === null && peak.value === 0) ? peak.value : null;
  const month: PeakDemandMonth = { month: timeOf(monthGroup), time, value, unit: peak.unit ?? null };
  if (index < MAX_REMEMBERED_MONTHS) lastMonths[index] = { monthRaw: monthGroup.raw, timeRaw: timeGroup.raw, peakRaw: peak.raw, clock, month: { ...month } };
  return month;
}

/** Reading codes by preference when a channel sends several. */
function readingRank(name: string): number {
  switch (name) {
    case 'mbusReading': return 4;
    case 'mbusReadingUncorrected': return 3;
    case 'mbusHourlyReading': return 2;
    case 'mbusColdReading': return 1;
    default: return 0;
  }
}

/** Rank of the reading each channel (index) has so far, for the telegram being interpreted (0 or absent: none). */
const channelReadingRank: number[] = [];

/**
 * The devices of the telegram being interpreted by channel, and their channels (`deviceCount` of
 * them) as numbers and as keys of `mbus`. `mbus` is built at the end in one go (see object-shapes.ts):
 * storing an index key into an empty object costs an elements-store allocation and transition.
 */
const deviceByChannel: Array<MbusDevice | undefined> = [];
const deviceChannels: number[] = [];
const deviceKeys: string[] = [];
let deviceCount = 0;
const mbusShapes = new ObjectShapes();

/**
 * Forgets the last telegram's devices and reading ranks (at the start: an interrupted telegram
 * leaves none behind). Entry by entry: setting an array's `length` costs a runtime call.
 */
function forgetDevices(): void {
  for (let i = 0; i < deviceCount; i++) {
    deviceByChannel[deviceChannels[i]] = undefined;
    channelReadingRank[deviceChannels[i]] = 0;
  }
  deviceCount = 0;
}

function deviceFor(devices: MbusDevice[], channel: number): MbusDevice {
  let device = deviceByChannel[channel];
  if (!device) {
    device = { channel, deviceType: null, kind: 'unknown', equipmentId: null, reading: null, unit: null, readingTime: null };
    deviceByChannel[channel] = device;
    deviceChannels[deviceCount] = channel;
    deviceKeys[deviceCount] = channelKey(channel);
    deviceCount++;
    devices.push(device);
  }
  return device;
}

/** `mbus`: the devices by channel. */
function mbusObject(devices: MbusDevice[]): Record<string, MbusDevice> {
  return mbusShapes.build(deviceKeys, devices, deviceCount) as Record<string, MbusDevice>;
}

/** Channel numbers as strings, made once each. */
const channelKeys: string[] = [];

function channelKey(channel: number): string {
  return (channelKeys[channel] ??= String(channel));
}

function addToDevice(device: MbusDevice, name: string, object: ObisObject): void {
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
  const rank = readingRank(name);
  if (rank === 0 || rank < (channelReadingRank[device.channel] ?? 0)) return;
  channelReadingRank[device.channel] = rank;
  device.reading = typeof object.value === 'number' ? object.value : null;
  device.unit = object.unit ?? null;
  device.readingTime = object.time ?? null;
}

/** EN 13757-3 medium codes as used on `0-n:24.1.0`. */
function mediumKind(code: number | null): MbusDeviceKind {
  switch (code) {
    case 2: return 'electricity';
    case 3: return 'gas';
    case 4: case 12: return 'heat';
    case 6: return 'warmWater';
    case 7: return 'water';
    case 10: case 11: return 'cooling';
    default: return 'unknown';
  }
}

/**
 * `gas`, `water`, `heat`: the device of that kind on the lowest channel, passing over empty
 * channels (no id, no reading: Iskra meters announce gas on a channel with nothing connected).
 */
function addDeviceShortcuts(devices: MbusDevice[]): void {
  for (const kind of SHORTCUT_KINDS) {
    let best: MbusDevice | undefined;
    for (const device of devices) if (device.kind === kind && (!best || isBetterShortcut(device, best))) best = device;
    if (best) fields.add(kind, best);
  }
}

function isBetterShortcut(a: MbusDevice, b: MbusDevice): boolean {
  return isInUse(a) !== isInUse(b) ? isInUse(a) : a.channel < b.channel;
}

function isInUse(device: MbusDevice): boolean {
  return device.reading !== null || device.equipmentId !== null;
}

const SHORTCUT_KINDS = ['gas', 'water', 'heat'] as const;

/** The objects behind `DERIVED_INPUTS`, by index, for the telegram being interpreted. */
const derivedInputs: Array<ObisObject | undefined> = new Array(DERIVED_INPUTS.length).fill(undefined);
const POWER_DELIVERED = 0;
const POWER_RETURNED = 1;
const DELIVERED_TARIFF_1 = 2;
const RETURNED_TARIFF_1 = 6;

/**
 * Values users otherwise compute themselves, named so they cannot be mistaken for meter registers:
 * `powerNet` = powerDelivered − powerReturned; `energyDeliveredSum` / `energyReturnedSum` = the
 * tariff registers added up (only for meters with tariff registers, all in one unit).
 */
function addDerivedValues(): void {
  const delivered = derivedInputs[POWER_DELIVERED];
  const returned = derivedInputs[POWER_RETURNED];
  if (delivered && returned && typeof delivered.value === 'number' && typeof returned.value === 'number' && delivered.unit === returned.unit) {
    const places = Math.max(decimalPlaces(delivered.groups[0].raw), decimalPlaces(returned.groups[0].raw));
    addWithUnit('powerNet', addDecimals(delivered.value, returned.value, places, -1), delivered.unit);
  }
  addTariffSum(DELIVERED_TARIFF_1, 'energyDeliveredSum');
  addTariffSum(RETURNED_TARIFF_1, 'energyReturnedSum');
}

function addTariffSum(firstInput: number, name: string): void {
  let sum = 0;
  let places = 0;
  let unit: string | undefined;
  let count = 0;
  for (let tariff = 0; tariff < 4; tariff++) {
    const object = derivedInputs[firstInput + tariff];
    if (!object) continue;
    if (typeof object.value !== 'number' || (count > 0 && object.unit !== unit)) return;
    places = Math.max(places, decimalPlaces(object.groups[0].raw));
    sum = addDecimals(sum, object.value, places);
    unit = object.unit;
    count++;
  }
  if (count > 0) addWithUnit(name, sum, unit);
}
