/**
 * What p1-energy sends, shaped for Dashboard 2, Home Assistant and databases: flat objects of
 * plain numbers (rounded to the meter's resolution), their units in a separate map, times as
 * ISO-8601 with the local offset. One shape per message kind: running totals, a closed period,
 * an event (meter swap, register reset), an alarm. Pure.
 */
import type { PeriodKind, ZoneCalendar } from './calendar';
import type { CapacityView } from './capacity';
import type { MeterEvent, MeterState, MeterStep, Medium, AlarmChange } from './energy-meter';
import { periodValues, type Amounts, type ClosedPeriod, type TotalsState } from './period-totals';
import { unitPrice, type FixedPrices, type PriceSlot } from './prices';

export type Flat = Record<string, number | string | boolean | null>;

const SUFFIX: Record<PeriodKind, string> = { hour: 'ThisHour', day: 'Today', week: 'Week', month: 'Month', year: 'Year' };
const COST_PERIODS: readonly PeriodKind[] = ['day', 'month'];

export interface OutputContext {
  meter: string;
  calendar: ZoneCalendar;
  prices: FixedPrices;
  schedule: PriceSlot[];
  currency: string;
}

/** A flat payload and the unit of each of its fields, written together. */
export class Fields {
  readonly values: Flat = {};
  readonly units: Record<string, string> = {};

  put(name: string, value: number | string | boolean | null, unit?: string): void {
    this.values[name] = value;
    if (unit !== undefined) this.units[name] = unit;
  }
}

/** The running totals after a telegram: today, this week, month and year, gas and water, costs, the capacity quarter. */
export function totalsPayload(state: MeterState, step: MeterStep, tariff: number | null, ctx: OutputContext): Fields {
  const { calendar, currency } = ctx;
  const at = step.at;
  const out = new Fields();
  out.put('meter', ctx.meter);
  out.put('equipmentId', state.electricity.anchor.equipmentId);
  out.put('time', calendar.localIso(at));
  const costs: Partial<Record<PeriodKind, Amounts>> = {};

  for (const kind of ['day', 'week', 'month', 'year'] as const) {
    const values = currentValues(state.electricity.totals, kind, at);
    electricityFields(out, values, SUFFIX[kind]);
    costs[kind] = values;
  }
  out.put('todayFrom', fromIso(state.electricity.totals, 'day', calendar));
  out.put('monthFrom', fromIso(state.electricity.totals, 'month', calendar));

  for (const medium of ['gas', 'water'] as const) {
    const track = state[medium];
    if (track.lastAt === null) continue;
    for (const kind of ['hour', 'day', 'week', 'month', 'year'] as const) {
      const values = currentValues(track.totals, kind, at);
      out.put(medium + SUFFIX[kind], round(values[medium] ?? 0, 3), 'm³');
      if (COST_PERIODS.includes(kind)) Object.assign((costs[kind] ??= {}), values);
    }
    out.put(`${medium}Flow`, track.flow === null ? null : round(track.flow, 3), 'm³/h');
    out.put(`${medium}ReadingTime`, calendar.localIso(track.lastAt));
  }
  if (state.water.lastAt !== null) out.put('waterLeak', state.water.leak);

  for (const kind of COST_PERIODS) costFields(out, costs[kind] ?? {}, SUFFIX[kind], currency);
  const register = tariff === null ? 'delivered' : `deliveredTariff${tariff}`;
  out.put('priceDelivered', round(unitPrice(ctx.prices, ctx.schedule, register, at), 5), `${currency}/kWh`);
  out.put('priceReturned', round(unitPrice(ctx.prices, ctx.schedule, register.replace('delivered', 'returned'), at), 5), `${currency}/kWh`);
  if (state.gas.lastAt !== null) out.put('priceGas', round(unitPrice(ctx.prices, ctx.schedule, 'gas', at), 5), `${currency}/m³`);

  capacityFields(out, step.capacity, calendar);
  return out;
}

/** A period that closed: one row for a database (kWh, m³ and money of that day, week, month, year, or hour for gas and water). */
export function closedPayload(period: ClosedPeriod & { medium: Medium }, ctx: OutputContext): Flat {
  const base: Flat = {
    meter: ctx.meter,
    medium: period.medium,
    period: period.kind,
    key: period.key,
    start: ctx.calendar.localIso(period.start),
    end: ctx.calendar.localIso(period.end),
    hours: round((period.end - period.start) / 3_600_000, 2),
    complete: period.from <= period.start,
  };
  if (period.medium === 'electricity') {
    const fields = new Fields();
    electricityFields(fields, period.values, '');
    costFields(fields, period.values, '', ctx.currency);
    return { ...base, ...fields.values };
  }
  const costName = period.medium === 'gas' ? 'costGas' : 'costWater';
  return { ...base, [period.medium]: round(period.values[period.medium] ?? 0, 3), [costName]: round(period.values[costName] ?? 0, 4) };
}

export function eventPayload(event: MeterEvent, at: number, ctx: OutputContext): Flat {
  const detail = event.detail;
  const base: Flat = { meter: ctx.meter, medium: event.medium, event: detail.event, time: ctx.calendar.localIso(at) };
  if (detail.event === 'registerReset') return { ...base, register: detail.register, previous: detail.previous, value: detail.value };
  return { ...base, previousId: detail.previousId, equipmentId: detail.equipmentId };
}

export function alarmPayload(change: AlarmChange, state: MeterState, step: MeterStep, ctx: OutputContext): Flat {
  const base: Flat = { meter: ctx.meter, alarm: change.alarm, active: change.active, time: ctx.calendar.localIso(step.at) };
  if (change.alarm === 'waterLeak') {
    const since = state.water.stillAt;
    return {
      ...base,
      stillSince: since === null ? null : ctx.calendar.localIso(since),
      hoursWithoutRest: since === null ? null : round((step.at - since) / 3_600_000, 2),
    };
  }
  const c = step.capacity;
  return {
    ...base,
    reason: c.alarmReason,
    projectedKw: round(c.projectedKw, 3),
    thresholdKw: c.thresholdKw === null ? null : round(c.thresholdKw, 3),
    averageKw: round(c.averageKw, 3),
    monthPeakKw: round(c.monthPeakKw, 3),
    quarterEnd: ctx.calendar.localIso(c.quarterEnd),
    secondsLeft: Math.max(0, Math.round((c.quarterEnd - step.at) / 1000)),
  };
}

/** Values of the open period of this kind, or zeros when that period is not the current one (no reading in it yet). */
function currentValues(totals: TotalsState, kind: PeriodKind, at: number): Amounts {
  const open = totals.periods[kind];
  if (!open) return {};
  if (at - 1 >= open.end) return {};
  return periodValues(totals, kind);
}

function fromIso(totals: TotalsState, kind: PeriodKind, calendar: ZoneCalendar): string | null {
  const open = totals.periods[kind];
  return open ? calendar.localIso(open.from) : null;
}

/** Delivered, returned and net energy, in total and per tariff register (`deliveredTariff1` → `energyDeliveredTariff1<suffix>`). */
function electricityFields(out: Fields, values: Amounts, suffix: string): void {
  let delivered = 0;
  let returned = 0;
  const tariffs: Array<[string, number]> = [];
  for (const name in values) {
    const kwh = values[name];
    if (name.startsWith('delivered')) delivered += kwh;
    else if (name.startsWith('returned')) returned += kwh;
    else continue;
    if (name.includes('Tariff')) tariffs.push([`energy${name[0].toUpperCase()}${name.slice(1)}${suffix}`, kwh]);
  }
  out.put(`energyDelivered${suffix}`, round(delivered, 3), 'kWh');
  out.put(`energyReturned${suffix}`, round(returned, 3), 'kWh');
  out.put(`energyNet${suffix}`, round(delivered - returned, 3), 'kWh');
  for (const [name, kwh] of tariffs) out.put(name, round(kwh, 3), 'kWh');
}

/** Money: electricity (drawn minus fed in), the standing charge, gas and water when the meter has them, and their sum. */
function costFields(out: Fields, values: Amounts, suffix: string, currency: string): void {
  const electricity = (values.costDelivered ?? 0) - (values.revenueReturned ?? 0);
  const fixed = values.costFixed ?? 0;
  const gas = values.costGas ?? 0;
  const water = values.costWater ?? 0;
  out.put(`cost${suffix}`, round(electricity + fixed + gas + water, 4), currency);
  out.put(`costElectricity${suffix}`, round(electricity, 4), currency);
  out.put(`costFixed${suffix}`, round(fixed, 4), currency);
  if ('costGas' in values) out.put(`costGas${suffix}`, round(gas, 4), currency);
  if ('costWater' in values) out.put(`costWater${suffix}`, round(water, 4), currency);
}

function capacityFields(out: Fields, c: CapacityView, calendar: ZoneCalendar): void {
  out.put('demandAverage', round(c.averageKw, 3), 'kW');
  out.put('demandProjected', round(c.projectedKw, 3), 'kW');
  out.put('demandQuarterStart', calendar.localIso(c.quarterStart));
  out.put('demandQuarterEnd', calendar.localIso(c.quarterEnd));
  out.put('demandMonthPeak', round(c.monthPeakKw, 3), 'kW');
  out.put('demandMonthPeakTime', c.monthPeakAt === null ? null : calendar.localIso(c.monthPeakAt));
  out.put('demandRollingAverage', round(c.rollingAverageKw, 3), 'kW');
  out.put('demandRollingMonths', c.rollingMonths);
  out.put('demandThreshold', c.thresholdKw === null ? null : round(c.thresholdKw, 3), 'kW');
  out.put('demandAlarm', c.alarm);
  out.put('demandSource', c.source);
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return Object.is(rounded, -0) ? 0 : rounded;
}
