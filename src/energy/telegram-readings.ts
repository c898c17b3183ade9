/**
 * The values p1-energy needs, read from a parsed telegram (the message contract of
 * src/protocol/types.ts, never parser internals) and brought to kWh, kW and m³ whatever unit the
 * meter uses (Austrian meters send Wh and W). Registers are read by OBIS code so every country
 * profile works alike. Pure.
 */
import type { MbusDevice, ObisObject, P1Telegram } from '../protocol/types';
import type { Amounts } from './period-totals';

export interface MbusReading {
  equipmentId: string | null;
  /** m³ */
  value: number;
  /** Capture time of the reading (UTC ms), `null` when the meter gave none. */
  at: number | null;
}

export interface PeakReading {
  kw: number;
  /** When the peak occurred (UTC ms), `null` when unknown. */
  at: number | null;
}

export interface MeterReading {
  /** Telegram time (UTC ms) from `0-0:1.0.0`, `null` when absent. */
  at: number | null;
  equipmentId: string | null;
  /** kWh per register: `deliveredTariff1`, `deliveredTariff2`, … or `delivered` for meters without tariff registers; the same with `returned`. */
  registers: Amounts;
  /** Tariff in force `0-0:96.14.0` (1, 2, …), `null` when not sent. */
  tariff: number | null;
  powerDeliveredKw: number | null;
  powerReturnedKw: number | null;
  /** The meter's own quarter-hour average demand `1-0:1.4.0` (Belgium). */
  averageDemandKw: number | null;
  /** The meter's own month peak `1-0:1.6.0` (Belgium). */
  monthPeak: PeakReading | null;
  /** Earlier months' peaks `0-0:98.1.0` (Belgium), most recent first. */
  peakHistory: PeakReading[];
  gas: MbusReading | null;
  water: MbusReading | null;
}

const ENERGY_FACTORS: Record<string, number> = { kWh: 1, Wh: 0.001, MWh: 1000 };
const POWER_FACTORS: Record<string, number> = { kW: 1, W: 0.001, MW: 1000 };
const VOLUME_FACTORS: Record<string, number> = { m3: 1, 'm³': 1, dm3: 0.001, l: 0.001 };

export function readTelegram(telegram: P1Telegram): MeterReading {
  const obis = telegram.obis ?? {};
  return {
    at: instant(telegram.timestamp),
    equipmentId: typeof telegram.equipmentId === 'string' && telegram.equipmentId !== '' ? telegram.equipmentId : null,
    registers: { ...registers(obis, '1', 'delivered'), ...registers(obis, '2', 'returned') },
    tariff: tariffOf(obis['0-0:96.14.0']),
    powerDeliveredKw: scaled(obis['1-0:1.7.0'], POWER_FACTORS),
    powerReturnedKw: scaled(obis['1-0:2.7.0'], POWER_FACTORS),
    averageDemandKw: scaled(obis['1-0:1.4.0'], POWER_FACTORS),
    monthPeak: peak(obis['1-0:1.6.0']),
    peakHistory: (telegram.peakDemandHistory ?? []).flatMap((month) => {
      const kw = month.value === null ? null : month.value * (POWER_FACTORS[month.unit ?? 'kW'] ?? NaN);
      return kw === null || !Number.isFinite(kw) ? [] : [{ kw, at: instant(month.time) ?? instant(month.month) }];
    }),
    gas: mbus(telegram.gas),
    water: mbus(telegram.water),
  };
}

/** Tariff registers `1-0:<c>.8.1` … `1-0:<c>.8.9`, or the total `1-0:<c>.8.0` when the meter has no tariff registers. */
function registers(obis: Record<string, ObisObject>, c: '1' | '2', name: string): Amounts {
  const out: Amounts = {};
  for (let tariff = 1; tariff <= 9; tariff++) {
    const kwh = scaled(obis[`1-0:${c}.8.${tariff}`], ENERGY_FACTORS);
    if (kwh !== null) out[`${name}Tariff${tariff}`] = kwh;
  }
  if (Object.keys(out).length === 0) {
    const total = scaled(obis[`1-0:${c}.8.0`], ENERGY_FACTORS);
    if (total !== null) out[name] = total;
  }
  return out;
}

function scaled(object: ObisObject | undefined, factors: Record<string, number>): number | null {
  if (!object || typeof object.value !== 'number' || !Number.isFinite(object.value)) return null;
  const factor = object.unit === undefined ? 1 : factors[object.unit];
  return factor === undefined ? null : object.value * factor;
}

function peak(object: ObisObject | undefined): PeakReading | null {
  const kw = scaled(object, POWER_FACTORS);
  return kw === null ? null : { kw, at: instant(object?.time ?? null) };
}

function mbus(device: MbusDevice | undefined): MbusReading | null {
  if (!device || device.reading === null || !Number.isFinite(device.reading)) return null;
  const factor = device.unit === null ? 1 : VOLUME_FACTORS[device.unit];
  if (factor === undefined) return null;
  return { equipmentId: device.equipmentId, value: device.reading * factor, at: instant(device.readingTime) };
}

function tariffOf(object: ObisObject | undefined): number | null {
  const tariff = typeof object?.value === 'number' ? object.value : typeof object?.value === 'string' ? Number(object.value) : NaN;
  return Number.isInteger(tariff) && tariff > 0 ? tariff : null;
}

function instant(iso: string | null | undefined): number | null {
  if (typeof iso !== 'string') return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}
