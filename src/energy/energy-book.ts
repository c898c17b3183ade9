/**
 * p1-energy's whole state and what one input message does to it: the state of every meter
 * (kept apart by a key the node chooses) and the dynamic price schedule, as one plain JSON
 * object that the node stores in its context. Pure: the node passes in the arrival time only for
 * meters that send no clock.
 */
import { applyReading, emptyMeterState, isMeterState, type EnergySettings, type MeterState } from './energy-meter';
import { alarmPayload, closedPayload, eventPayload, totalsPayload, type Flat, type OutputContext } from './energy-output';
import { mergeSlots, parsePriceMessage, type PriceSlot } from './prices';
import { readTelegram } from './telegram-readings';
import type { P1Telegram } from '../protocol/types';

/** More meters than this in one node is a wiring mistake (a changing topic), not a household. */
export const MAX_METERS = 32;

export interface EnergyBook {
  meters: Record<string, MeterState>;
  prices: PriceSlot[];
}

export interface BookSettings extends EnergySettings {
  currency: string;
}

export interface TelegramOutcome {
  meter: string;
  totals: Flat;
  units: Record<string, string>;
  closed: Flat[];
  events: Flat[];
  alarms: Flat[];
}

export function emptyBook(): EnergyBook {
  return { meters: {}, prices: [] };
}

/** A stored book, or a fresh one when the store held nothing usable (meters of an unknown state version start again). */
export function restoreBook(stored: unknown): EnergyBook {
  if (typeof stored !== 'object' || stored === null) return emptyBook();
  const record = stored as Partial<EnergyBook>;
  const meters: Record<string, MeterState> = {};
  for (const [key, state] of Object.entries(record.meters ?? {})) if (isMeterState(state)) meters[key] = state;
  const prices = Array.isArray(record.prices) ? record.prices.filter(isPriceSlot) : [];
  return { meters, prices };
}

function isPriceSlot(slot: unknown): slot is PriceSlot {
  const candidate = slot as PriceSlot | null;
  return (
    typeof candidate === 'object' && candidate !== null && Number.isFinite(candidate.start) && typeof candidate.prices === 'object' && candidate.prices !== null
  );
}

export function takeTelegram(book: EnergyBook, telegram: P1Telegram, meter: string, arrivalMs: number, settings: BookSettings): TelegramOutcome | string {
  let state = book.meters[meter];
  if (!state) {
    if (Object.keys(book.meters).length >= MAX_METERS) return `more than ${MAX_METERS} meters; give each meter a stable msg.topic`;
    state = book.meters[meter] = emptyMeterState();
  }
  const reading = readTelegram(telegram);
  const at = reading.at ?? arrivalMs;
  const step = applyReading(state, reading, at, settings, book.prices);
  const ctx: OutputContext = { meter, calendar: settings.calendar, prices: settings.prices, schedule: book.prices, currency: settings.currency };
  const totals = totalsPayload(state, step, reading.tariff, ctx);
  return {
    meter,
    totals: totals.values,
    units: totals.units,
    closed: step.closed.map((period) => closedPayload(period, ctx)),
    events: step.events.map((event) => eventPayload(event, at, ctx)),
    alarms: step.alarms.map((change) => alarmPayload(change, state, step, ctx)),
  };
}

/** A `msg.price` arrived: it holds from the latest meter clock seen (or `arrivalMs` before any telegram). Returns an error text or null. */
export function takePrices(book: EnergyBook, value: unknown, arrivalMs: number): string | null {
  const clocks = Object.values(book.meters).map((m) => m.lastAt ?? -Infinity);
  const now = clocks.length > 0 && Math.max(...clocks) > -Infinity ? Math.max(...clocks) : arrivalMs;
  const slots = parsePriceMessage(value, now);
  if (typeof slots === 'string') return slots;
  book.prices = mergeSlots(book.prices, slots);
  return null;
}
