/**
 * What Home Assistant should be told about each value a meter sends: the sensor's device class,
 * state class, unit, icon and label. One table of rules over the friendly field names of the
 * parsed telegram (src/protocol/types.ts), so that a field nobody listed still becomes a plain
 * number sensor instead of disappearing.
 *
 * Home Assistant facts used here (https://www.home-assistant.io/integrations/sensor/#device-class,
 * https://developers.home-assistant.io/docs/core/entity/sensor/): each device class accepts a fixed
 * set of units and state classes; a sensor whose unit is not in its class's set is flagged by
 * Home Assistant and kept out of the energy dashboard. So a device class is only given when the
 * meter's unit is one the class accepts; otherwise the sensor goes without a class (still a number
 * with a unit and statistics).
 */
import { OBIS_REGISTRY } from '../protocol/obis-registry';

export type StateClass = 'measurement' | 'total' | 'total_increasing';

/** A Home Assistant sensor, before it is tied to a device and topics. */
export interface SensorSpec {
  /** Entity name shown under the device, e.g. `Energy delivered, tariff 1`. */
  label: string;
  deviceClass?: string;
  stateClass?: StateClass;
  /** Unit in Home Assistant's spelling (`m³`, not `m3`). */
  unit?: string;
  icon?: string;
  /** Shown under "Diagnostic" in Home Assistant instead of among the main sensors. */
  diagnostic?: boolean;
}

/**
 * Units each device class we use accepts, in Home Assistant's spelling. Where Home Assistant
 * added units in later releases (kvar, kVA), only the long-accepted ones are listed, so that no
 * supported Home Assistant version flags a sensor; such values become class-less sensors.
 */
const UNITS_BY_DEVICE_CLASS: Record<string, readonly string[]> = {
  energy: ['Wh', 'kWh', 'MWh', 'MJ', 'GJ'],
  power: ['W', 'kW', 'MW'],
  gas: ['m³', 'ft³', 'CCF'],
  water: ['L', 'm³', 'ft³', 'CCF', 'gal'],
  voltage: ['V', 'mV'],
  current: ['A', 'mA'],
  frequency: ['Hz'],
  duration: ['s', 'min', 'h', 'd'],
  reactive_power: ['var'],
  apparent_power: ['VA'],
};

/** Classes whose sensors carry no unit at all (timestamps) or may go without one (power factor). */
const UNITLESS_DEVICE_CLASSES = new Set(['timestamp', 'power_factor']);

/** Meter unit spellings (src/protocol/values.ts) to Home Assistant's. Units not listed are the same in both. */
const HA_UNIT_SPELLING: Record<string, string> = { m3: 'm³', dm3: 'L', l: 'L' };

export function haUnit(unit: string | null | undefined): string | undefined {
  if (!unit) return undefined;
  return HA_UNIT_SPELLING[unit] ?? unit;
}

/** Whether Home Assistant accepts `unit` (its spelling; `undefined` = no unit) for `deviceClass`. */
export function unitFitsDeviceClass(deviceClass: string, unit: string | undefined): boolean {
  if (UNITLESS_DEVICE_CLASSES.has(deviceClass)) return unit === undefined || (deviceClass === 'power_factor' && unit === '%');
  return unit !== undefined && (UNITS_BY_DEVICE_CLASS[deviceClass]?.includes(unit) ?? false);
}

interface Rule {
  match: RegExp;
  deviceClass?: string;
  stateClass?: StateClass;
  icon?: string;
  diagnostic?: boolean;
}

/** First match wins. Names are the friendly fields of the parsed telegram (obis-registry.ts). */
const RULES: readonly Rule[] = [
  // Meter registers that only grow: what the energy dashboard wants (device class energy, total_increasing).
  { match: /^energy(Delivered|Returned)(Total|Tariff\d|Sum)$|^energyAbsoluteTotal$/, deviceClass: 'energy', stateClass: 'total_increasing' },
  { match: /^reactiveEnergy/, stateClass: 'total_increasing', icon: 'mdi:sine-wave' },
  {
    match: /^(power(Delivered|Returned|Net|Absolute)(L[123]|Average)?|averageDemand(Returned)?|peakDemandMonth)$/,
    deviceClass: 'power',
    stateClass: 'measurement',
  },
  { match: /^(reactivePower|averageReactiveDemand)/, deviceClass: 'reactive_power', stateClass: 'measurement', icon: 'mdi:sine-wave' },
  { match: /^(apparentPower|averageApparentDemand)/, deviceClass: 'apparent_power', stateClass: 'measurement' },
  {
    match: /^(voltage(L[123])?|voltageAverageL[123]|voltageSagMagnitudeL[123]|voltageSwellMagnitudeL[123])$/,
    deviceClass: 'voltage',
    stateClass: 'measurement',
  },
  { match: /^current(L[123]|Neutral|Sum)?$/, deviceClass: 'current', stateClass: 'measurement' },
  // Limits the grid operator set: constants, not measurements.
  { match: /^(fuseThreshold|currentLimitL[123]|currentThreshold(Import|Export))$/, deviceClass: 'current', diagnostic: true },
  { match: /^limiterThreshold$/, icon: 'mdi:speedometer', diagnostic: true },
  { match: /^frequency$/, deviceClass: 'frequency', stateClass: 'measurement' },
  { match: /^powerFactor/, deviceClass: 'power_factor', stateClass: 'measurement' },
  { match: /^(voltageSags|voltageSwells)L[123]$|^(longPowerFailures|powerFailures)$/, stateClass: 'total_increasing', icon: 'mdi:counter', diagnostic: true },
  { match: /^(voltageSagDuration|voltageSwellDuration)L[123]$|^measurementPeriod$/, deviceClass: 'duration', stateClass: 'measurement', diagnostic: true },
  { match: /^tariff$/, icon: 'mdi:clock-outline' },
  { match: /^breakerState$/, icon: 'mdi:electric-switch', diagnostic: true },
  { match: /^(timestamp|peakDemandMonthTime)$/, deviceClass: 'timestamp', diagnostic: true },
];

/** Labels of fields that no OBIS code has (derived values, times that come from a structured line). */
const DERIVED_LABELS: Record<string, string> = {
  powerNet: 'Power, net',
  energyDeliveredSum: 'Energy delivered, all tariffs',
  energyReturnedSum: 'Energy returned, all tariffs',
  peakDemandMonthTime: 'Peak demand this month, time',
  currentThresholdExport: 'Current threshold, export',
};

const REGISTRY_BY_NAME = new Map(OBIS_REGISTRY.filter((d) => !d.code.startsWith('0-n:')).map((d) => [d.name, d]));

/** The sensor for a flat field of the parsed telegram, whose unit as the meter sent it is `meterUnit`. */
export function sensorForField(name: string, meterUnit: string | undefined): SensorSpec {
  const definition = REGISTRY_BY_NAME.get(name);
  const rule = RULES.find((r) => r.match.test(name));
  // The unit sent on the line wins; the specification's unit stands in when the meter sent none,
  // except where the unit varies between countries (the limiter: kW, A or kVA).
  const unit = haUnit(meterUnit ?? (name === 'limiterThreshold' ? undefined : definition?.unit));
  const label = DERIVED_LABELS[name] ?? definition?.label ?? name;
  if (!rule) return withoutUndefined({ label, unit, stateClass: 'measurement' });
  const deviceClass = rule.deviceClass && unitFitsDeviceClass(rule.deviceClass, unit) ? rule.deviceClass : undefined;
  return withoutUndefined({
    label,
    deviceClass,
    stateClass: rule.stateClass,
    unit: rule.deviceClass === 'timestamp' ? undefined : unit,
    icon: rule.icon,
    diagnostic: rule.diagnostic,
  });
}

/** What an M-Bus reading of each medium is, for Home Assistant. Gas and water as the energy dashboard wants them. */
const MBUS_READINGS: Record<string, { deviceClass?: string; defaultUnit?: string; label: string; deviceName: string }> = {
  gas: { deviceClass: 'gas', defaultUnit: 'm³', label: 'Gas', deviceName: 'Gas meter' },
  water: { deviceClass: 'water', defaultUnit: 'm³', label: 'Water', deviceName: 'Water meter' },
  warmWater: { deviceClass: 'water', defaultUnit: 'm³', label: 'Warm water', deviceName: 'Warm water meter' },
  heat: { deviceClass: 'energy', defaultUnit: 'GJ', label: 'Heat', deviceName: 'Heat meter' },
  cooling: { deviceClass: 'energy', defaultUnit: 'GJ', label: 'Cooling', deviceName: 'Cooling meter' },
  electricity: { deviceClass: 'energy', defaultUnit: 'kWh', label: 'Energy', deviceName: 'Electricity sub-meter' },
  unknown: { label: 'Reading', deviceName: 'M-Bus meter' },
};

/** The sensor for the reading of an M-Bus device (gas, water, heat …). Readings only grow. */
export function sensorForMbusReading(kind: string, meterUnit: string | null): SensorSpec {
  const reading = MBUS_READINGS[kind] ?? MBUS_READINGS.unknown;
  const unit = haUnit(meterUnit) ?? reading.defaultUnit;
  const deviceClass = reading.deviceClass && unitFitsDeviceClass(reading.deviceClass, unit) ? reading.deviceClass : undefined;
  return withoutUndefined({ label: reading.label, deviceClass, stateClass: 'total_increasing', unit, icon: deviceClass ? undefined : 'mdi:counter' });
}

export const MBUS_READING_TIME: SensorSpec = { label: 'Reading time', deviceClass: 'timestamp', diagnostic: true };

/** A display name for an M-Bus device of this medium, e.g. `Gas meter`. */
export function mbusDeviceName(kind: string): string {
  return (MBUS_READINGS[kind] ?? MBUS_READINGS.unknown).deviceName;
}

function withoutUndefined(spec: { [K in keyof SensorSpec]: SensorSpec[K] | undefined }): SensorSpec {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) if (value !== undefined) out[key] = value;
  return out as unknown as SensorSpec;
}
