import type { MeterProfile } from './types';

/**
 * What the package knows about each OBIS code: its friendly name (the flat field of
 * `msg.payload`), an English label, the usual unit, and how its value groups decode.
 * Sources: DSMR 2.2–5.0.2, the Luxembourg, Swedish and Lithuanian specifications and the
 * Belgian, Austrian and Hungarian telegrams of the corpus (see docs/protocol.md §4).
 */
export interface ObisDefinition {
  /** Reduced OBIS id `A-B:C.D.E`, or a channel pattern `0-n:C.D.E` for M-Bus devices. */
  code: string;
  /** Friendly camelCase name; for non-channel codes it is the flat field of the parsed telegram. */
  name: string;
  /** Short English label, e.g. `Energy delivered, tariff 1`. */
  label: string;
  /** The unit the specifications give. The unit sent on the line always wins. */
  unit?: string;
  description: string;
  /**
   * How the value groups decode: `number` and `integer` as numbers, `octets` as hex
   * (decoded to `text` when printable), `text` kept verbatim (digit strings stay strings),
   * `timestamp` as ISO-8601, `structured` for multi-group lines with their own layout.
   */
  kind: 'number' | 'integer' | 'text' | 'octets' | 'timestamp' | 'structured';
  /**
   * Set on the country-specific meaning of a code that means something else elsewhere
   * (`0-0:98.1.0` in Hungary, `1-0:31.4.0` in Hungary). Entries without it are the general meaning.
   */
  profiles?: MeterProfile[];
}

type Kind = ObisDefinition['kind'];

function def(code: string, name: string, kind: Kind, unit: string | undefined, label: string, description: string, profiles?: MeterProfile[]): ObisDefinition {
  const entry: ObisDefinition = { code, name, label, description, kind };
  if (unit !== undefined) entry.unit = unit;
  if (profiles) entry.profiles = profiles;
  return entry;
}

const PHASES = ['L1', 'L2', 'L3'] as const;

/** Per-phase codes: the C group is 20 + base for L1, 40 + base for L2, 60 + base for L3. */
function perPhase(base: number, rest: string, name: string, kind: Kind, unit: string | undefined, label: string, description: string): ObisDefinition[] {
  return PHASES.map((phase, i) =>
    def(`1-0:${20 * (i + 1) + base}${rest}`, `${name}${phase}`, kind, unit, `${label}, ${phase}`, `${description} (phase ${phase}).`),
  );
}

/** Register families with tariffs: `.0` total, `.1` … `.4` tariffs. */
function tariffs(prefix: string, name: string, unit: string, label: string, description: string): ObisDefinition[] {
  const out = [def(`${prefix}.0`, `${name}Total`, 'number', unit, `${label}, total`, `${description}, all tariffs together.`)];
  for (let t = 1; t <= 4; t++)
    out.push(
      def(
        `${prefix}.${t}`,
        `${name}Tariff${t}`,
        'number',
        unit,
        `${label}, tariff ${t}`,
        `${description}, tariff ${t}${t === 1 ? ' (NL: low/night, BE: day)' : t === 2 ? ' (NL: normal/day, BE: night)' : ''}.`,
      ),
    );
  return out;
}

const ELECTRICITY: ObisDefinition[] = [
  def('1-3:0.2.8', 'p1Version', 'text', undefined, 'P1 version', 'Version of the P1 output, e.g. "42" or "50" (DSMR 4/5, Luxembourg).'),
  def('0-0:1.0.0', 'timestamp', 'timestamp', undefined, 'Telegram time', 'Date and time the telegram was made, in the meter clock.'),
  def('0-0:96.1.1', 'equipmentId', 'octets', undefined, 'Equipment identifier', 'Serial number of the electricity meter (hex-encoded text).'),
  def('0-0:96.1.0', 'serialNumber', 'octets', undefined, 'Meter serial number', 'Serial number of the meter (Hungary, Iskra IE), hex-encoded text.'),
  def(
    '0-0:42.0.0',
    'logicalDeviceName',
    'octets',
    undefined,
    'Logical device name',
    'COSEM logical device name; the meter id in Luxembourg and Hungary (hex-encoded text).',
  ),
  def('0-0:96.1.2', 'eanCode', 'octets', undefined, 'EAN code', 'Belgian 18-digit EAN connection code (hex-encoded text).'),
  def('0-0:96.1.4', 'emucsVersion', 'text', undefined, 'e-MUCS version', 'Belgian e-MUCS / P1 version, e.g. "50217".'),
  ...tariffs('1-0:1.8', 'energyDelivered', 'kWh', 'Energy delivered', 'Active energy delivered to the client (import)'),
  ...tariffs('1-0:2.8', 'energyReturned', 'kWh', 'Energy returned', 'Active energy delivered by the client (export)'),
  ...tariffs('1-0:3.8', 'reactiveEnergyDelivered', 'kvarh', 'Reactive energy delivered', 'Reactive energy import (Q+)'),
  ...tariffs('1-0:4.8', 'reactiveEnergyReturned', 'kvarh', 'Reactive energy returned', 'Reactive energy export (Q−)'),
  def('0-0:96.14.0', 'tariff', 'integer', undefined, 'Tariff indicator', 'Tariff in use now (1 or 2; NL: 1 = low, 2 = normal).'),
  def('1-0:1.7.0', 'powerDelivered', 'number', 'kW', 'Power delivered', 'Actual active power delivered to the client (import), all phases.'),
  def('1-0:2.7.0', 'powerReturned', 'number', 'kW', 'Power returned', 'Actual active power delivered by the client (export), all phases.'),
  def('1-0:3.7.0', 'reactivePowerDelivered', 'number', 'kvar', 'Reactive power delivered', 'Actual reactive power import (Q+).'),
  def('1-0:4.7.0', 'reactivePowerReturned', 'number', 'kvar', 'Reactive power returned', 'Actual reactive power export (Q−).'),
  def('1-0:9.7.0', 'apparentPowerDelivered', 'number', 'kVA', 'Apparent power delivered', 'Actual apparent power import.'),
  def('1-0:10.7.0', 'apparentPowerReturned', 'number', 'kVA', 'Apparent power returned', 'Actual apparent power export.'),
  def(
    '0-0:17.0.0',
    'limiterThreshold',
    'number',
    'kW',
    'Limiter threshold',
    'Actual threshold of the power limiter; the unit varies (kW, A in DSMR 3, kVA in Luxembourg).',
  ),
  def('0-0:96.3.10', 'breakerState', 'integer', undefined, 'Breaker state', 'Position of the main breaker / switch (1 = on).'),
  def('0-0:96.7.21', 'powerFailures', 'integer', undefined, 'Power failures', 'Number of power failures in any phase.'),
  def('0-0:96.7.9', 'longPowerFailures', 'integer', undefined, 'Long power failures', 'Number of long power failures in any phase.'),
  def(
    '1-0:99.97.0',
    'powerFailureLog',
    'structured',
    undefined,
    'Power failure log',
    'Event log of long power failures: end time and duration of each (see payload.powerFailureLog).',
  ),
  ...perPhase(12, '.32.0', 'voltageSags', 'integer', undefined, 'Voltage sags', 'Number of voltage sags'),
  ...perPhase(12, '.36.0', 'voltageSwells', 'integer', undefined, 'Voltage swells', 'Number of voltage swells'),
  def('0-0:96.13.1', 'textMessageCode', 'octets', undefined, 'Text message code', 'Numeric text message (DSMR 2–4), hex-encoded; kept as a string.'),
  def('0-0:96.13.0', 'textMessage', 'octets', undefined, 'Text message', 'Text message of up to 1024 characters (hex-encoded).'),
  ...[2, 3, 4, 5].map((n) =>
    def(
      `0-0:96.13.${n}`,
      `textMessage${n}`,
      'octets',
      undefined,
      `Long message ${n}`,
      `Luxembourg long message 0-0:96.13.${n} for an M-Bus channel (hex-encoded).`,
    ),
  ),
  ...perPhase(12, '.7.0', 'voltage', 'number', 'V', 'Voltage', 'Instantaneous voltage'),
  ...perPhase(11, '.7.0', 'current', 'number', 'A', 'Current', 'Instantaneous current (signed in Sweden)'),
  ...perPhase(1, '.7.0', 'powerDelivered', 'number', 'kW', 'Power delivered', 'Instantaneous active power delivered (import)'),
  ...perPhase(2, '.7.0', 'powerReturned', 'number', 'kW', 'Power returned', 'Instantaneous active power returned (export)'),
  ...perPhase(3, '.7.0', 'reactivePowerDelivered', 'number', 'kvar', 'Reactive power delivered', 'Instantaneous reactive power import (Q+)'),
  ...perPhase(4, '.7.0', 'reactivePowerReturned', 'number', 'kvar', 'Reactive power returned', 'Instantaneous reactive power export (Q−)'),
];

/** M-Bus devices: `n` is the channel (1–4). These go to `payload.mbus`, not to flat fields. */
const MBUS: ObisDefinition[] = [
  def('0-n:24.1.0', 'mbusDeviceType', 'integer', undefined, 'M-Bus device type', 'EN 13757-3 medium code: 3 gas, 4 heat, 7 water, 2 slave electricity meter.'),
  def('0-n:96.1.0', 'mbusEquipmentId', 'octets', undefined, 'M-Bus equipment identifier', 'Serial number of the M-Bus device (hex-encoded text).'),
  def(
    '0-n:96.1.1',
    'mbusEquipmentIdBelgium',
    'octets',
    undefined,
    'M-Bus equipment identifier (BE)',
    'Belgian variant of the M-Bus device serial number (hex-encoded text).',
  ),
  def('0-n:96.1.2', 'mbusEanCode', 'octets', undefined, 'M-Bus EAN code', 'Belgian EAN code of the M-Bus device (hex-encoded text).'),
  def(
    '0-n:24.2.1',
    'mbusReading',
    'structured',
    'm3',
    'M-Bus reading',
    'Last reading with its capture time: (time)(value*unit); gas m3 (temperature corrected in NL), heat GJ, water m3.',
  ),
  def(
    '0-n:24.2.3',
    'mbusReadingUncorrected',
    'structured',
    'm3',
    'M-Bus gas reading (BE)',
    'Belgian gas reading, not temperature corrected: (time)(value*m3).',
  ),
  def(
    '0-n:24.3.0',
    'mbusHourlyReading',
    'structured',
    'm3',
    'M-Bus hourly reading (DSMR 2.2/3)',
    'Last hourly value, (time)(status)(period)(count)(id)(unit) with the value on the next line.',
  ),
  def('0-n:24.3.1', 'mbusColdReading', 'structured', 'GJ', 'M-Bus cold reading (DSMR 3)', 'DSMR 3 thermal (cold) reading, same layout as 24.3.0.'),
  def('0-n:24.4.0', 'mbusValvePosition', 'integer', undefined, 'M-Bus valve position', 'Valve position of the M-Bus device (gas valve; 1 = open).'),
  def('0-n:96.3.10', 'mbusBreakerState', 'integer', undefined, 'M-Bus breaker state', 'Breaker / relay state of the channel (Belgium, Luxembourg relays).'),
];

const BELGIUM: ObisDefinition[] = [
  def(
    '1-0:1.4.0',
    'averageDemand',
    'number',
    'kW',
    'Average demand',
    'Average active power import of the running quarter hour (Belgian capacity tariff; Lithuanian demand register 1).',
  ),
  def(
    '1-0:1.6.0',
    'peakDemandMonth',
    'structured',
    'kW',
    'Peak demand this month',
    'Highest quarter-hour average import this month: (time)(value); the time goes to peakDemandMonthTime.',
  ),
  def(
    '0-0:98.1.0',
    'peakDemandHistory',
    'structured',
    'kW',
    'Peak demand history',
    'Monthly peaks of the last 13 months: count, two capture ids, then (month)(time)(value) triples.',
  ),
  def('1-0:31.4.0', 'fuseThreshold', 'number', 'A', 'Fuse threshold', 'Current limit of the connection (Belgium).'),
  def('1-0:94.32.1', 'register94321', 'number', undefined, 'Register 94.32.1', 'Sent by e-MUCS 2.1.1 meters (value 400); its meaning is not documented.'),
];

const LUXEMBOURG: ObisDefinition[] = [
  def(
    '1-1:31.4.0',
    'currentThresholdImport',
    'structured',
    'A',
    'Current thresholds',
    'Import and export current thresholds: (import*A)(export*A); the export value goes to currentThresholdExport.',
  ),
];

const HUNGARY: ObisDefinition[] = [
  def(
    '0-0:98.1.0',
    'billingSnapshot',
    'structured',
    undefined,
    'Billing snapshot',
    'Monthly billing record: (time)(register 1)…(register 19), no count prefix.',
    ['hungary'],
  ),
  ...[5, 6, 7, 8].map((c, i) =>
    def(`1-0:${c}.8.0`, `reactiveEnergyQ${i + 1}Total`, 'number', 'kvarh', `Reactive energy, quadrant ${i + 1}`, `Reactive energy in quadrant Q${i + 1}.`),
  ),
  ...[5, 6, 7, 8].map((c, i) =>
    def(`1-0:${c}.7.0`, `reactivePowerQ${i + 1}`, 'number', 'kvar', `Reactive power, quadrant ${i + 1}`, `Instantaneous reactive power in quadrant Q${i + 1}.`),
  ),
  def('1-0:15.8.0', 'energyAbsoluteTotal', 'number', 'kWh', 'Energy, absolute total', 'Combined active energy |import| + |export|.'),
  def('1-0:13.7.0', 'powerFactor', 'number', undefined, 'Power factor', 'Instantaneous power factor (no unit).'),
  ...perPhase(13, '.7.0', 'powerFactor', 'number', undefined, 'Power factor', 'Instantaneous power factor'),
  def('1-0:14.7.0', 'frequency', 'number', 'Hz', 'Frequency', 'Grid frequency.'),
  def('1-0:31.4.0', 'currentLimitL1', 'number', 'A', 'Current limit, L1', 'Current limit of phase L1 (Hungary).', ['hungary']),
  def('1-0:51.4.0', 'currentLimitL2', 'number', 'A', 'Current limit, L2', 'Current limit of phase L2 (Hungary).'),
  def('1-0:71.4.0', 'currentLimitL3', 'number', 'A', 'Current limit, L3', 'Current limit of phase L3 (Hungary).'),
];

const LITHUANIA: ObisDefinition[] = [
  def('1-0:12.7.0', 'voltage', 'number', 'V', 'Voltage', 'Instantaneous voltage, highest of all phases.'),
  def('1-0:11.7.0', 'current', 'number', 'A', 'Current', 'Instantaneous current, highest of all phases.'),
  def('1-0:91.7.0', 'currentNeutral', 'number', 'A', 'Current, neutral', 'Instantaneous current in the neutral conductor.'),
  def('1-0:90.7.0', 'currentSum', 'number', 'A', 'Current, sum', 'Instantaneous current summed over all phases.'),
  def('1-0:15.7.0', 'powerAbsolute', 'number', 'kW', 'Power, absolute', 'Instantaneous active power |import| + |export|.'),
  def('1-0:1.24.0', 'powerDeliveredAverage', 'number', 'kW', 'Average power delivered', 'Average active power import over the measurement period.'),
  def('1-0:16.24.0', 'powerNetAverage', 'number', 'kW', 'Average net power', 'Average net active power (import − export) over the measurement period.'),
  def('1-0:15.24.0', 'powerAbsoluteAverage', 'number', 'kW', 'Average absolute power', 'Average active power |import| + |export| over the measurement period.'),
  ...perPhase(9, '.7.0', 'apparentPowerDelivered', 'number', 'kVA', 'Apparent power delivered', 'Instantaneous apparent power import'),
  ...perPhase(10, '.7.0', 'apparentPowerReturned', 'number', 'kVA', 'Apparent power returned', 'Instantaneous apparent power export'),
  ...perPhase(12, '.24.0', 'voltageAverage', 'number', 'V', 'Average voltage', 'Average voltage over the measurement period'),
  ...perPhase(12, '.33.0', 'voltageSagDuration', 'number', 's', 'Last voltage sag duration', 'Duration of the last voltage sag'),
  ...perPhase(12, '.34.0', 'voltageSagMagnitude', 'number', 'V', 'Last voltage sag magnitude', 'Magnitude of the last voltage sag'),
  ...perPhase(12, '.37.0', 'voltageSwellDuration', 'number', 's', 'Last voltage swell duration', 'Duration of the last voltage swell'),
  ...perPhase(12, '.38.0', 'voltageSwellMagnitude', 'number', 'V', 'Last voltage swell magnitude', 'Magnitude of the last voltage swell'),
  def('1-0:13.3.0', 'powerFactorMin', 'number', undefined, 'Minimum power factor', 'Lowest power factor of the last 10-minute period.'),
  def('1-0:0.8.2', 'measurementPeriod', 'number', 's', 'Measurement period', 'Averaging period of the instantaneous values.'),
  def('1-0:2.4.0', 'averageDemandReturned', 'number', 'kW', 'Average demand returned', 'Demand register 2: active power export.'),
  def('1-0:3.4.0', 'averageReactiveDemandDelivered', 'number', 'kvar', 'Average reactive demand delivered', 'Demand register 3: reactive power import.'),
  def('1-0:4.4.0', 'averageReactiveDemandReturned', 'number', 'kvar', 'Average reactive demand returned', 'Demand register 4: reactive power export.'),
  def('1-0:9.4.0', 'averageApparentDemandDelivered', 'number', 'kVA', 'Average apparent demand delivered', 'Demand register 5: apparent power import.'),
  def('1-0:10.4.0', 'averageApparentDemandReturned', 'number', 'kVA', 'Average apparent demand returned', 'Demand register 6: apparent power export.'),
  def('1-0:0.2.0', 'firmwareVersion', 'text', undefined, 'Firmware version', 'Active firmware identifier of the meter (Lithuania).'),
  def(
    '1-0:0.2.8',
    'firmwareSignature',
    'text',
    undefined,
    'Firmware signature',
    'Active firmware signature (checksum) of the meter (Lithuania). Not the P1 version 1-3:0.2.8.',
  ),
  def('1-1:0.2.0', 'firmwareVersion1', 'text', undefined, 'Firmware version 1', 'Second active firmware identifier (Lithuania).'),
  def('1-1:0.2.8', 'firmwareSignature1', 'text', undefined, 'Firmware signature 1', 'Second active firmware signature (Lithuania).'),
];

/** IEC 62056-21 meters (EasyMeter Q3D) and the Iskra IE profile. */
const IEC: ObisDefinition[] = [
  def('1-0:0.0.0', 'meterNumber', 'text', undefined, 'Meter number', 'Ownership / meter number (EasyMeter, Iskra IE).'),
  def('0-0:96.1.255', 'manufacturerSerial', 'text', undefined, 'Manufacturer serial', 'Manufacturer serial number, plain text (EasyMeter Q3D).'),
  def('1-0:96.5.5', 'meterStatus', 'text', undefined, 'Meter status', 'Status word of the meter, hex digits (EasyMeter Q3D).'),
  def('1-0:99.1.0', 'loadProfile', 'structured', undefined, 'Load profile', 'Load profile buffer: (count)(capture ids…)(time)(status)(values…).'),
];

/** Every known code. A code appears twice only when a `profiles` entry overrides the general meaning. */
export const OBIS_REGISTRY: readonly ObisDefinition[] = Object.freeze([...ELECTRICITY, ...MBUS, ...BELGIUM, ...LUXEMBOURG, ...HUNGARY, ...LITHUANIA, ...IEC]);

/** The meanings of one code: the general one, and the country-specific ones where they differ. */
export interface CodeMeanings {
  /** Used when no profile is known or no profile-specific entry matches. */
  fallback: ObisDefinition;
  byProfile?: Partial<Record<MeterProfile, ObisDefinition>>;
}

/** An id `A-B:C.D.E` as read from a text: the registry's key for it, and where it ends. */
export interface ObisId {
  /** The five numbers in one small integer, -1 when the registry holds no id like it (A > 1, B > 9, C/D/E > 255). */
  key: number;
  end: number;
}

const ID_SEPARATORS = [45 /* - */, 58 /* : */, 46 /* . */, 46 /* . */];
const KEY_FIELD_MAX = [1, 9, 255, 255, 255]; // A: 0 or 1; B: the channel, M-Bus devices 1–9
const KEY_FIELD_WEIGHT = [2 ** 28, 2 ** 24, 2 ** 16, 2 ** 8, 1];

/**
 * The id at `pos`, or undefined when `text` has no `A-B:C.D.E` there (1–3 digits each). The key
 * is made from the digits as they are read, so the parser looks a line up without cutting its id
 * out as a string. A number written with a leading zero gives no key: no specification writes one.
 */
export function readObisId(text: string, pos: number): ObisId | undefined {
  let i = pos;
  let key = 0;
  for (let field = 0; field < 5; field++) {
    const digitsStart = i;
    let number = 0;
    let c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      number = number * 10 + c - 48;
      c = text.charCodeAt(++i);
    }
    const digits = i - digitsStart;
    if (digits === 0 || digits > 3) return undefined;
    const fits = number <= KEY_FIELD_MAX[field] && (digits === 1 || text.charCodeAt(digitsStart) !== 48);
    key = key >= 0 && fits ? key + number * KEY_FIELD_WEIGHT[field] : -1;
    if (field === 4) break;
    if (c !== ID_SEPARATORS[field]) return undefined;
    i++;
  }
  return { key, end: i };
}

/** The key `0-n:C.D.E` patterns are filed under: B = 10, which no id as sent can have. */
const CHANNEL_PATTERN = KEY_FIELD_MAX[1] + 1;

const BY_KEY = buildIndex();

function buildIndex(): Map<number, CodeMeanings> {
  const index = new Map<number, CodeMeanings>();
  for (const definition of OBIS_REGISTRY) {
    const key = keyOfCode(definition.code);
    let entry = index.get(key);
    if (!entry) index.set(key, (entry = { fallback: definition }));
    else if (!definition.profiles && entry.fallback.profiles) entry.fallback = definition;
    if (definition.profiles) {
      entry.byProfile ??= {};
      for (const profile of definition.profiles) entry.byProfile[profile] = definition;
    }
  }
  return index;
}

/** The key of a code as the registry and users write it (`1-0:1.8.1`, `0-n:24.2.1`, optionally `*255`); -1 if none. */
function keyOfCode(code: string): number {
  const star = code.indexOf('*');
  const reduced = star < 0 ? code : code.slice(0, star);
  const isPattern = reduced.startsWith('0-n:');
  const id = readObisId(isPattern ? `0-1${reduced.slice(3)}` : reduced, 0);
  if (id === undefined || id.end !== reduced.length) return -1;
  return isPattern ? id.key + (CHANNEL_PATTERN - 1) * KEY_FIELD_WEIGHT[1] : id.key;
}

/**
 * The definition of a code (`'1-0:1.8.1'`, `'0-2:24.2.1'`, `'1-0:1.8.0*255'`), or `undefined`.
 * With a profile, codes whose meaning depends on the country resolve to that country's meaning.
 */
export function lookupObis(code: string, profile?: MeterProfile): ObisDefinition | undefined {
  const meanings = meaningsOf(code);
  if (!meanings) return undefined;
  return (profile && meanings.byProfile?.[profile]) || meanings.fallback;
}

/** Every meaning of a code; M-Bus channels `0-1:` … `0-9:` have those of their `0-n:` pattern. */
export function meaningsOf(code: string): CodeMeanings | undefined {
  return meaningsOfKey(keyOfCode(code));
}

/** The same by key: exact ids first, then channels 1–9 of `0-n:` patterns. */
export function meaningsOfKey(key: number): CodeMeanings | undefined {
  const exact = BY_KEY.get(key);
  if (exact !== undefined) return exact;
  const channel = channelOfKey(key);
  // Patterns are filed with A = 0, so `1-1:…` finds none.
  return channel >= 1 ? BY_KEY.get(key + (CHANNEL_PATTERN - channel) * KEY_FIELD_WEIGHT[1]) : undefined;
}

/** B of the id whose key this is: the M-Bus channel of `0-n:` lines. */
export function channelOfKey(key: number): number {
  return Math.floor(key / KEY_FIELD_WEIGHT[1]) % 16;
}
