/**
 * Shared by the p1-energy tests: parsed telegrams of a simulated meter at chosen instants (so a
 * test travels through days, months and DST changes in milliseconds), the default settings, and
 * register values read straight from a telegram to check totals against.
 */
import { ZoneCalendar } from '../../src/energy/calendar';
import type { BookSettings } from '../../src/energy/energy-book';
import { parseTelegram } from '../../src/protocol/parser';
import type { P1Telegram } from '../../src/protocol/types';
import { SimulatedMeter, type SimulatedProfile } from '../../src/transport/simulated-meter';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface Sample {
  at: number;
  telegram: P1Telegram;
}

/** Parsed telegrams of `meter` from `from` to `to` (exclusive), every `everyMs`. */
export function samples(meter: SimulatedMeter, from: number, to: number, everyMs: number): Sample[] {
  return [...meter.telegramsBetween(from, to, everyMs)].map(({ at, telegram }) => ({ at, telegram: parseTelegram(telegram) }));
}

export function simulatedMeter(profile: SimulatedProfile, seed: number, gasReadingMinutes?: number): SimulatedMeter {
  return new SimulatedMeter(profile, seed, { gasReadingMinutes });
}

export function settingsFor(timeZone: string, overrides: Partial<BookSettings> = {}): BookSettings {
  return {
    calendar: new ZoneCalendar(timeZone),
    prices: { deliveredTariff: { 0: 0.3, 1: 0.25, 2: 0.3 }, returnedTariff: { 0: 0.05, 1: 0.05, 2: 0.05 }, gas: 1.25, water: 2, perDay: 0.75 },
    capacity: { minimumKw: 2.5, limitKw: 0, alarmOnMonthPeak: true },
    waterLeakHours: 24,
    currency: 'EUR',
    ...overrides,
  };
}

/** A register of the telegram by OBIS code, as the meter printed it. */
export function register(telegram: P1Telegram, code: string): number {
  const value = telegram.obis[code]?.value;
  if (typeof value !== 'number') throw new Error(`${code} not in the telegram`);
  return value;
}

/** kWh delivered over all tariffs, as printed (sum of 1-0:1.8.1 and 1-0:1.8.2). */
export function deliveredKwh(telegram: P1Telegram): number {
  return register(telegram, '1-0:1.8.1') + register(telegram, '1-0:1.8.2');
}

export function returnedKwh(telegram: P1Telegram): number {
  return register(telegram, '1-0:2.8.1') + register(telegram, '1-0:2.8.2');
}

/** The last sample at or before `instant` (a boundary reading closes the period before it). */
export function lastAtOrBefore(list: Sample[], instant: number): Sample {
  const found = [...list].reverse().find((s) => s.at <= instant);
  if (!found) throw new Error(`no sample at or before ${new Date(instant).toISOString()}`);
  return found;
}

export function close(actual: unknown, expected: number, tolerance = 1e-6): boolean {
  return typeof actual === 'number' && Math.abs(actual - expected) <= tolerance;
}
