/**
 * What p1-energy adds per telegram, next to what parsing that telegram costs: both on the same
 * stream of simulated telegrams (one a second, every value changing as on a real meter), so
 * the two figures compare directly. Also the size of one meter's stored state, which the
 * context store writes to disk.
 */
import { ZoneCalendar } from '../src/energy/calendar';
import { emptyBook, takeTelegram, type BookSettings, type EnergyBook } from '../src/energy/energy-book';
import { TelegramParser } from '../src/protocol/parser';
import type { P1Telegram } from '../src/protocol/types';
import { SimulatedMeter, type SimulatedProfile } from '../src/transport/simulated-meter';
import { microsecondsPerCall } from './measure';

const STREAMS: Array<[string, SimulatedProfile]> = [
  ['Simulated NL stream', 'nl-dsmr5'],
  ['Simulated BE stream', 'be-fluvius'],
];
/** Two hours of telegrams, one a second: quarter hours, gas readings and an hour close in it. */
const STREAM_TELEGRAMS = 7200;

function settings(): BookSettings {
  return {
    calendar: new ZoneCalendar('Europe/Amsterdam'),
    prices: { deliveredTariff: { 0: 0.25, 1: 0.25, 2: 0.28 }, returnedTariff: { 0: 0.05, 1: 0.05, 2: 0.05 }, gas: 1.3, water: 0, perDay: 0.9 },
    capacity: { minimumKw: 2.5, limitKw: 0, alarmOnMonthPeak: true },
    waterLeakHours: 24,
    currency: 'EUR',
  };
}

export async function runEnergyBench(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const [kind, profile] of STREAMS) {
    const meter = new SimulatedMeter(profile, 7);
    const start = Date.UTC(2026, 2, 31, 21, 0, 0); // across the month end, 23:00 → 01:00 local
    const texts = Array.from({ length: STREAM_TELEGRAMS }, (_, i) => meter.telegramAt(start + i * 1000));
    const parser = new TelegramParser();
    const telegrams: P1Telegram[] = texts.map((text) => parser.parse(text));

    let next = 0;
    const parse = microsecondsPerCall(() => parser.parse(texts[next++ % STREAM_TELEGRAMS]));

    // The stream replays from its start with a fresh book each time round, so the meter's clock never runs back.
    const energySettings = settings();
    let book: EnergyBook = emptyBook();
    let i = 0;
    const energy = microsecondsPerCall(() => {
      if (i === STREAM_TELEGRAMS) {
        i = 0;
        book = emptyBook();
      }
      return takeTelegram(book, telegrams[i++], 'meter', 0, energySettings);
    });
    const stateBytes = JSON.stringify(book).length;
    console.log(
      `  ${kind.padEnd(22)} parse ${parse.toFixed(2).padStart(6)} µs/telegram   p1-energy ${energy.toFixed(2).padStart(6)} µs/telegram (${Math.round((100 * energy) / parse)} % of parsing)   state ${stateBytes} bytes/meter`,
    );
    results[kind] = { parseMicroseconds: parse, energyMicroseconds: energy, stateBytes };
  }
  return results;
}
