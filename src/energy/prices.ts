/**
 * Energy prices: fixed ones from the node's dialog, and dynamic ones from input messages
 * (a price that holds from now on, or a schedule of start times for quarter-hour or hourly
 * markets). A dynamic price, while one holds, replaces the fixed price of that kind for every
 * tariff. Pure; the schedule is plain JSON so it can live in the node context.
 */

export type PriceKind = 'delivered' | 'returned' | 'gas' | 'water';

export const PRICE_KINDS: readonly PriceKind[] = ['delivered', 'returned', 'gas', 'water'];

export interface FixedPrices {
  /** Per kWh drawn from the grid, by tariff number (1, 2, …); `deliveredTariff[0]` for meters without tariff registers. */
  deliveredTariff: Record<number, number>;
  /** Per kWh fed into the grid (paid to you), by tariff number. */
  returnedTariff: Record<number, number>;
  /** Per m³. */
  gas: number;
  water: number;
  /** Standing charges per day (network, metering, fixed supply fee). */
  perDay: number;
}

/** One entry of a dynamic schedule: from `start` until the next entry's start, these prices hold (kinds left out: the fixed price). */
export interface PriceSlot {
  start: number;
  prices: Partial<Record<PriceKind, number>>;
}

/** At most this many slots are kept (two days of quarter hours and then some). */
const MAX_SLOTS = 400;

/**
 * Reads `msg.price`: a number (the delivered price, from `now` on), an object of kinds
 * (`{ delivered, returned, gas, water }`, from `now` on, or from its `start`), or an array of such
 * objects each with a `start` (ISO-8601 or ms). Returns the slots, or an error text.
 */
export function parsePriceMessage(value: unknown, now: number): PriceSlot[] | string {
  if (typeof value === 'number') return Number.isFinite(value) ? [{ start: now, prices: { delivered: value } }] : 'price is not a finite number';
  const entries = Array.isArray(value) ? value : [value];
  const slots: PriceSlot[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null)
      return 'a price entry must be an object such as { "start": "2026-03-29T14:00:00+02:00", "delivered": 0.25 }';
    const record = entry as Record<string, unknown>;
    const start = record.start === undefined && !Array.isArray(value) ? now : instant(record.start);
    if (start === null) return `price entry without a valid start: ${JSON.stringify(record.start)}`;
    const prices: PriceSlot['prices'] = {};
    for (const kind of PRICE_KINDS) {
      const price = record[kind];
      if (price === undefined || price === null) continue;
      if (typeof price !== 'number' || !Number.isFinite(price)) return `${kind} price is not a finite number`;
      prices[kind] = price;
    }
    if (Object.keys(prices).length === 0) return 'a price entry names none of delivered, returned, gas, water';
    slots.push({ start, prices });
  }
  return slots.sort((a, b) => a.start - b.start);
}

/**
 * The schedule after new slots arrived: new slots replace old ones from the first new start on,
 * per kind they name (a gas price does not end the electricity schedule).
 */
export function mergeSlots(schedule: PriceSlot[], incoming: PriceSlot[]): PriceSlot[] {
  if (incoming.length === 0) return schedule;
  const from = incoming[0].start;
  const named = new Set(incoming.flatMap((slot) => Object.keys(slot.prices)));
  const kept = schedule
    .map((slot) => {
      if (slot.start < from) return slot;
      const prices = Object.fromEntries(Object.entries(slot.prices).filter(([kind]) => !named.has(kind)));
      return { start: slot.start, prices };
    })
    .filter((slot) => Object.keys(slot.prices).length > 0);
  const merged = [...kept, ...incoming].sort((a, b) => a.start - b.start);
  if (merged.length <= MAX_SLOTS) return merged;
  // Dropped old slots hand the prices still in force on to the first slot kept.
  const dropped = merged.slice(0, merged.length - MAX_SLOTS);
  const [first, ...rest] = merged.slice(merged.length - MAX_SLOTS);
  const carried = Object.assign({}, ...dropped.map((slot) => slot.prices)) as PriceSlot['prices'];
  return [{ start: first.start, prices: { ...carried, ...first.prices } }, ...rest];
}

/** The dynamic price of a kind at an instant: the latest slot naming that kind that started at or before it. */
export function dynamicPriceAt(schedule: PriceSlot[], kind: PriceKind, at: number): number | null {
  for (let i = schedule.length - 1; i >= 0; i--) {
    const slot = schedule[i];
    if (slot.start <= at && slot.prices[kind] !== undefined) return slot.prices[kind] as number;
  }
  return null;
}

/** The price per unit of one register (`deliveredTariff2`, `returned`, `gas`, …) at an instant. */
export function unitPrice(fixed: FixedPrices, schedule: PriceSlot[], register: string, at: number): number {
  const match = /^(delivered|returned)(?:Tariff(\d+))?$/.exec(register);
  const kind: PriceKind | null = match ? (match[1] as PriceKind) : register === 'gas' || register === 'water' ? register : null;
  if (kind === null) return 0;
  const dynamic = dynamicPriceAt(schedule, kind, at);
  if (dynamic !== null) return dynamic;
  if (kind === 'gas' || kind === 'water') return fixed[kind];
  const tariff = match?.[2] === undefined ? 0 : Number(match[2]);
  const table = kind === 'delivered' ? fixed.deliveredTariff : fixed.returnedTariff;
  return table[tariff] ?? table[1] ?? 0;
}

function instant(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
