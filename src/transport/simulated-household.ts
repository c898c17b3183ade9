import { centralEuropeanTime } from './eu-time';

/**
 * A household behind a simulated meter: what it draws and what its solar panels return, as a
 * pure function of (seed, instant), so the same seed and time always give the same power.
 * Randomness comes from hashing the seed with a time slot, never from Math.random.
 */

export interface HouseholdPower {
  /** Consumption per phase L1, L2, L3 in kW. */
  loadKw: [number, number, number];
  /** Solar production in kW, fed in on L1 (a single-phase inverter). */
  solarKw: number;
  /** Gas use in m³ per hour (heating and hot water). */
  gasM3PerHour: number;
}

const MINUTE = 60_000;

/** Peak solar output on a clear summer noon, kW. */
const SOLAR_PEAK_KW = 3.8;

export function householdPower(seed: number, utcMs: number): HouseholdPower {
  const local = centralEuropeanTime(utcMs);
  const hourOfDay = local.hour + local.minute / 60 + local.second / 3600;
  const minuteSlot = Math.floor(utcMs / MINUTE);

  const base = 0.12 + 0.1 * noise(seed, 1, 0) + 0.03 * noise(seed, 2, minuteSlot);
  const fridge = fridgeKw(seed, utcMs);
  const cooking = cookingKw(seed, utcMs, hourOfDay);
  const appliance = applianceBurstKw(seed, utcMs);

  return {
    loadKw: [base / 3 + fridge, base / 3 + cooking, base / 3 + appliance],
    solarKw: solarKw(seed, utcMs),
    gasM3PerHour: gasUse(seed, utcMs, hourOfDay, cooking),
  };
}

/** A compressor that runs ~18 of every 50 minutes. */
function fridgeKw(seed: number, utcMs: number): number {
  const minutes = utcMs / MINUTE + 50 * noise(seed, 3, 0);
  return minutes % 50 < 18 ? 0.11 : 0;
}

/** Kettle and coffee in the morning, the stove in the evening, switching element by element. */
function cookingKw(seed: number, utcMs: number, hourOfDay: number): number {
  const slot = Math.floor(utcMs / (2 * MINUTE));
  const morning = hourOfDay >= 7 && hourOfDay < 8.25;
  const evening = hourOfDay >= 17.5 && hourOfDay < 19;
  if (!morning && !evening) return 0;
  const on = noise(seed, 4, slot) < (morning ? 0.35 : 0.6);
  return on ? (morning ? 1.8 : 1.2) + 1.2 * noise(seed, 5, slot) : 0;
}

/** Now and then a washing machine, dishwasher or oven heats for a while (per 10-minute slot). */
function applianceBurstKw(seed: number, utcMs: number): number {
  const slotLength = 10 * MINUTE;
  const slot = Math.floor(utcMs / slotLength);
  if (noise(seed, 6, slot) >= 0.15) return 0;
  const runsFor = slotLength * (0.3 + 0.7 * noise(seed, 7, slot));
  return utcMs - slot * slotLength < runsFor ? 1.9 + 0.4 * noise(seed, 8, slot) : 0;
}

/**
 * Solar: zero between sunset and sunrise, a sine-shaped day (longer and higher in summer,
 * solar noon around 12:40 CET), dimmed by clouds that drift per 10 minutes.
 */
export function solarKw(seed: number, utcMs: number): number {
  const dayOfYear = Math.floor((utcMs - Date.UTC(new Date(utcMs).getUTCFullYear(), 0, 1)) / (24 * 60 * MINUTE));
  const season = Math.sin((2 * Math.PI * (dayOfYear - 80)) / 365); // -1 midwinter … +1 midsummer
  const dayLengthHours = 12 + 4.4 * season; // ~52° N
  const solarNoonUtcHours = 11.65;
  const utcHours = (utcMs % (24 * 60 * MINUTE)) / (60 * MINUTE);
  const fromSunrise = utcHours - (solarNoonUtcHours - dayLengthHours / 2);
  if (fromSunrise <= 0 || fromSunrise >= dayLengthHours) return 0;
  const elevation = Math.sin((Math.PI * fromSunrise) / dayLengthHours);
  const seasonal = 0.65 + 0.35 * season;
  return SOLAR_PEAK_KW * seasonal * elevation ** 1.5 * cloudFactor(seed, utcMs);
}

/** Between 0.25 (overcast) and 1 (clear), interpolated between 10-minute slots so it drifts. */
function cloudFactor(seed: number, utcMs: number): number {
  const slotLength = 10 * MINUTE;
  const position = utcMs / slotLength;
  const slot = Math.floor(position);
  const blend = position - slot;
  const clouds = (1 - blend) * noise(seed, 9, slot) + blend * noise(seed, 9, slot + 1);
  return 1 - 0.75 * clouds ** 2;
}

/** Heating follows the season and the daily schedule; hot water follows cooking. */
function gasUse(seed: number, utcMs: number, hourOfDay: number, cookingKw: number): number {
  const dayOfYear = Math.floor((utcMs - Date.UTC(new Date(utcMs).getUTCFullYear(), 0, 1)) / (24 * 60 * MINUTE));
  const winter = 0.5 + 0.5 * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365);
  const heatingHours = (hourOfDay >= 6 && hourOfDay < 9) || (hourOfDay >= 17 && hourOfDay < 22.5);
  const heating = heatingHours ? 1.1 * winter : 0.15 * winter;
  const hotWater = cookingKw > 0 ? 0.4 : 0;
  return heating * (0.7 + 0.6 * noise(seed, 10, Math.floor(utcMs / (15 * MINUTE)))) + hotWater;
}

/** A deterministic number in [0, 1) for (seed, stream, slot): an integer hash, no state. */
export function noise(seed: number, stream: number, slot: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (slot | 0), 0x27d4eb2f) ^ Math.imul(Math.floor(slot / 4294967296), 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}
