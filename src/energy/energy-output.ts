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

/** The running totals after a telegram: today, this week, month and year, gas and water, costs, the capacity quarter. */
export function totalsPayload(state: MeterState, step: MeterStep, tariff: number | null, ctx: OutputContext): Flat {
  const { calendar } = ctx;
  const at = step.at;
  const out: Flat = { meter: ctx.meter, equipmentId: state.electricity.anchor.equipmentId, time: calendar.localIso(at) };
  const costs: Partial<Record<PeriodKind, Amounts>> = {};

  for (const kind of ['day', 'week', 'month', 'year'] as const) {
    const values = currentValues(state.electricity.totals, kind, at);
    Object.assign(out, suffixed(electricityFields(values), SUFFIX[kind]));
    costs[kind] = values;
  }
  for (const kind of ['day', 'month'] as const) out[`${kind === 'day' ? 'today' : 'month'}From`] = fromIso(state.electricity.totals, kind, calendar);

  for (const medium of ['gas', 'water'] as const) {
    const track = state[medium];
    if (track.lastAt === null) continue;
    for (const kind of ['hour', 'day', 'week', 'month', 'year'] as const) {
      const values = currentValues(track.totals, kind, at);
      out[`${medium}${SUFFIX[kind]}`] = round(values[medium] ?? 0, 3);
      if (COST_PERIODS.includes(kind)) Object.assign((costs[kind] ??= {}), values);
    }
    out[`${medium}Flow`] = track.flow === null ? null : round(track.flow, 3);
    out[`${medium}ReadingTime`] = calendar.localIso(track.lastAt);
  }
  if (state.water.lastAt !== null) out.waterLeak = state.water.leak;

  for (const kind of COST_PERIODS) Object.assign(out, suffixed(costFields(costs[kind] ?? {}), SUFFIX[kind]));
  const register = tariff === null ? 'delivered' : `deliveredTariff${tariff}`;
  out.priceDelivered = round(unitPrice(ctx.prices, ctx.schedule, register, at), 5);
  out.priceReturned = round(unitPrice(ctx.prices, ctx.schedule, register.replace('delivered', 'returned'), at), 5);
  if (state.gas.lastAt !== null) out.priceGas = round(unitPrice(ctx.prices, ctx.schedule, 'gas', at), 5);

  Object.assign(out, capacityFields(step.capacity, calendar));
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
  if (period.medium === 'electricity') return { ...base, ...electricityFields(period.values), ...costFields(period.values) };
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
    return { ...base, stillSince: since === null ? null : ctx.calendar.localIso(since), hoursWithoutRest: since === null ? null : round((step.at - since) / 3_600_000, 2) };
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

/** The unit of every field these payloads can hold. */
export function unitsOf(payload: Flat, currency: string): Record<string, string> {
  const units: Record<string, string> = {};
  for (const name of Object.keys(payload)) {
    const unit = unitOf(name, currency);
    if (unit) units[name] = unit;
  }
  return units;
}

function unitOf(name: string, currency: string): string | null {
  if (/^energy/.test(name)) return 'kWh';
  if (/^(gas|water)Flow$/.test(name)) return 'm³/h';
  if (/^(gas|water)(ThisHour|Today|Week|Month|Year)?$/.test(name)) return 'm³';
  if (/^cost/.test(name)) return currency;
  if (/^price(Delivered|Returned)$/.test(name)) return `${currency}/kWh`;
  if (name === 'priceGas') return `${currency}/m³`;
  if (/^demand(Average|Projected|MonthPeak|RollingAverage|Threshold)$/.test(name)) return 'kW';
  return null;
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

function electricityFields(values: Amounts): Flat {
  let delivered = 0;
  let returned = 0;
  const tariffs: Flat = {};
  for (const [name, kwh] of Object.entries(values)) {
    const match = /^(delivered|returned)(Tariff\d+)?$/.exec(name);
    if (!match) continue;
    if (match[1] === 'delivered') delivered += kwh;
    else returned += kwh;
    if (match[2]) tariffs[`energy${capitalise(match[1])}${match[2]}`] = round(kwh, 3);
  }
  return { energyDelivered: round(delivered, 3), energyReturned: round(returned, 3), energyNet: round(delivered - returned, 3), ...tariffs };
}

function costFields(values: Amounts): Flat {
  const electricity = (values.costDelivered ?? 0) - (values.revenueReturned ?? 0);
  const fixed = values.costFixed ?? 0;
  const gas = values.costGas ?? 0;
  const water = values.costWater ?? 0;
  const out: Flat = { cost: round(electricity + fixed + gas + water, 4), costElectricity: round(electricity, 4), costFixed: round(fixed, 4) };
  if ('costGas' in values) out.costGas = round(gas, 4);
  if ('costWater' in values) out.costWater = round(water, 4);
  return out;
}

function capacityFields(c: CapacityView, calendar: ZoneCalendar): Flat {
  return {
    demandAverage: round(c.averageKw, 3),
    demandProjected: round(c.projectedKw, 3),
    demandQuarterStart: calendar.localIso(c.quarterStart),
    demandQuarterEnd: calendar.localIso(c.quarterEnd),
    demandMonthPeak: round(c.monthPeakKw, 3),
    demandMonthPeakTime: c.monthPeakAt === null ? null : calendar.localIso(c.monthPeakAt),
    demandRollingAverage: round(c.rollingAverageKw, 3),
    demandRollingMonths: c.rollingMonths,
    demandThreshold: c.thresholdKw === null ? null : round(c.thresholdKw, 3),
    demandAlarm: c.alarm,
    demandSource: c.source,
  };
}

function suffixed(fields: Flat, suffix: string): Flat {
  const out: Flat = {};
  for (const [name, value] of Object.entries(fields)) out[name + suffix] = value;
  return out;
}

function capitalise(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  return Object.is(rounded, -0) ? 0 : rounded;
}
