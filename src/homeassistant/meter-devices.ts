/**
 * Turns a parsed telegram into the Home Assistant devices it describes: the electricity meter
 * (identified by its equipment id) with one sensor per value it sent, and each M-Bus meter (gas,
 * water, heat) as a device of its own, linked to the electricity meter through `via_device`.
 *
 * The result is neutral (devices, sensors, state values); discovery.ts turns it into MQTT
 * messages. Other message kinds (p1-energy's answers) can be turned into the same shape.
 */
import type { MbusDevice, P1Telegram } from '../protocol/types';
import { MBUS_READING_TIME, mbusDeviceName, sensorForField, sensorForMbusReading, type SensorSpec } from './sensor-catalogue';

/** The `device` block of a discovery config (https://www.home-assistant.io/integrations/sensor.mqtt/). */
export interface HaDevice {
  identifiers: string[];
  name: string;
  manufacturer?: string;
  model?: string;
  serial_number?: string;
  sw_version?: string;
  via_device?: string;
}

export type StateValue = number | string | null;

/** One Home Assistant device and what it measured in one telegram. */
export interface DeviceReading {
  /** Topic-safe id (`[A-Za-z0-9_-]`), unique per device: the discovery node id and the state topic level. */
  key: string;
  device: HaDevice;
  /** Sensor key (the JSON key in the state payload and the discovery object id) → sensor. */
  sensors: Map<string, SensorSpec>;
  state: Record<string, StateValue>;
}

/** A meter with its M-Bus devices: they share one availability. */
export interface MeterReading {
  /** Topic-safe id of the electricity meter. */
  key: string;
  devices: DeviceReading[];
}

/** Top-level fields of the parsed telegram that are not flat values (src/protocol/types.ts). */
const STRUCTURE = new Set([
  'header',
  'manufacturer',
  'model',
  'profile',
  'version',
  'equipmentId',
  'units',
  'mbus',
  'gas',
  'water',
  'heat',
  'powerFailureLog',
  'peakDemandHistory',
  'textMessage',
  'obis',
  'crc',
  'warnings',
]);
/** Flat fields that hold an ISO-8601 time rather than a number. */
const TIME_FIELDS = new Set(['timestamp', 'peakDemandMonthTime']);

/** Manufacturer flags (the three letters after `/`) of the meters in the corpus, by the names Home Assistant users know. */
const MANUFACTURERS: Record<string, string> = {
  ISK: 'Iskraemeco',
  KFM: 'Kaifa',
  KMP: 'Kamstrup',
  LGF: 'Landis+Gyr',
  SAG: 'Sagemcom',
  ESY: 'EasyMeter',
  FLU: 'Fluvius',
  LUX: 'Smarty (Luxembourg)',
  XMX: 'Xemex',
};

export interface DeviceNaming {
  /** Name of the electricity meter device in Home Assistant. */
  meterName: string;
}

export function meterReading(telegram: P1Telegram, naming: DeviceNaming): MeterReading {
  const key = topicSafe(telegram.equipmentId ?? telegram.header) || 'meter';
  const meter: DeviceReading = {
    key,
    device: withoutEmpty({
      identifiers: [`p1_${key}`],
      name: naming.meterName,
      manufacturer: MANUFACTURERS[telegram.manufacturer.toUpperCase()] ?? telegram.manufacturer,
      model: cleanModel(telegram.model),
      serial_number: telegram.equipmentId ?? undefined,
      sw_version: telegram.version ?? undefined,
    }),
    sensors: new Map(),
    state: {},
  };
  for (const [name, value] of Object.entries(telegram)) {
    if (STRUCTURE.has(name)) continue;
    const isValue = TIME_FIELDS.has(name) ? typeof value === 'string' : typeof value === 'number';
    if (!isValue) continue;
    meter.sensors.set(name, sensorForField(name, telegram.units[name]));
    meter.state[name] = value as StateValue;
  }
  const devices = [meter];
  for (const mbus of Object.values(telegram.mbus)) {
    if (mbus.reading === null) continue; // an empty channel: nothing to show
    devices.push(mbusReading(mbus, key, meter.device.identifiers[0]));
  }
  return { key, devices };
}

function mbusReading(mbus: MbusDevice, meterKey: string, meterIdentifier: string): DeviceReading {
  const key = (mbus.equipmentId && topicSafe(mbus.equipmentId)) || `${meterKey}_mbus${mbus.channel}`;
  const sensors = new Map<string, SensorSpec>([['reading', sensorForMbusReading(mbus.kind, mbus.unit)]]);
  const state: Record<string, StateValue> = { reading: mbus.reading };
  if (mbus.readingTime) {
    sensors.set('readingTime', MBUS_READING_TIME);
    state.readingTime = mbus.readingTime;
  }
  return {
    key,
    device: withoutEmpty({
      identifiers: [`p1_${key}`],
      name: mbusDeviceName(mbus.kind),
      serial_number: mbus.equipmentId ?? undefined,
      via_device: meterIdentifier,
    }),
    sensors,
    state,
  };
}

/** Only the characters Home Assistant allows in discovery topic ids (`[a-zA-Z0-9_-]`); others become `_`. */
export function topicSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `\2M550T-1011` → `M550T-1011`: drop the `\` and the enhanced-identification character. */
function cleanModel(model: string): string {
  const clean = model.startsWith('\\') ? model.slice(2) : model;
  return clean.trim();
}

function withoutEmpty(device: { [K in keyof HaDevice]: HaDevice[K] | undefined }): HaDevice {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(device)) if (v !== undefined && v !== '') out[k] = v;
  return out as unknown as HaDevice;
}
