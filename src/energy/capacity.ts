/**
 * The capacity tariff (Belgium: Flanders since 2023, Wallonia and Brussels to follow), worked out
 * for any meter: the quarter hour's average demand and where it will end, the month's peak, and
 * the rolling 12-month average of monthly peaks that the bill uses, each month counted at least
 * at the minimum (2.5 kW in Flanders).
 *
 * Belgian meters send their own quarter average (`1-0:1.4.0`), month peak (`1-0:1.6.0`) and
 * history (`0-0:98.1.0`); those win. Other meters get them computed from the delivered-energy
 * register. The projection assumes the power of the last telegram holds to the end of the
 * quarter, so an alarm comes while there is still time to switch a charger or heat pump down.
 * Pure; the state is plain JSON.
 */
import type { ZoneCalendar } from './calendar';
import type { MeterReading } from './telegram-readings';

const QUARTER = 15 * 60_000;
const HOUR = 3_600_000;
/** A reading at most this long before a quarter starts still measures the quarter from its start. */
const START_TOLERANCE = 60_000;
/** Own month peaks kept (the average needs 12; a little more for the message). */
const HISTORY_MONTHS = 13;

export interface CapacityConfig {
  /** Each month counts at least this much (kW); 0 for none. */
  minimumKw: number;
  /** Alarm when the projection exceeds this (kW); 0 for no fixed limit. */
  limitKw: number;
  /** Alarm when the projection would set a new month peak above the minimum. */
  alarmOnMonthPeak: boolean;
}

export interface MonthPeak {
  /** Local month `2026-03`. */
  month: string;
  kw: number;
  at: number | null;
}

export interface CapacityState {
  /** The open quarter: delivered energy (kWh, running total) at its base reading. */
  quarter: { start: number; baseAt: number; baseKwh: number; complete: boolean } | null;
  last: { at: number; kwh: number } | null;
  /** The month's peak computed from quarters (used when the meter sends none). */
  computedPeak: MonthPeak | null;
  /** Own closed months, most recent first. */
  history: MonthPeak[];
  alarm: boolean;
}

export interface CapacityView {
  source: 'meter' | 'computed';
  quarterStart: number;
  quarterEnd: number;
  /** Average demand so far in this quarter (kW). */
  averageKw: number;
  /** Expected average at the end of the quarter (kW). */
  projectedKw: number;
  monthPeakKw: number;
  monthPeakAt: number | null;
  /** Mean of the monthly peaks (this month and up to 11 before), each at least the minimum. */
  rollingAverageKw: number;
  /** Months in that average. */
  rollingMonths: number;
  /** The lowest projection that raises the alarm, `null` when no alarm is configured. */
  thresholdKw: number | null;
  alarm: boolean;
  /** Why the alarm is on: the fixed limit or a new month peak. */
  alarmReason: 'limit' | 'monthPeak' | null;
}

export interface CapacityStep {
  view: CapacityView;
  /** Set when the alarm turned on or off with this telegram. */
  alarmChanged: boolean;
}

export function emptyCapacity(): CapacityState {
  return { quarter: null, last: null, computedPeak: null, history: [], alarm: false };
}

/**
 * One telegram. `deliveredKwh` is the running total of delivered energy over all tariffs (it
 * survives meter swaps), `at` the telegram time.
 */
export function capacityStep(
  state: CapacityState,
  calendar: ZoneCalendar,
  config: CapacityConfig,
  reading: MeterReading,
  at: number,
  deliveredKwh: number,
): CapacityStep {
  const quarterStart = calendar.quarterStart(at - 1);
  if (!state.quarter || quarterStart > state.quarter.start) {
    if (state.quarter) closeQuarter(state, calendar);
    const previous = state.last;
    const fromStart = previous !== null && previous.at <= quarterStart && quarterStart - previous.at <= START_TOLERANCE;
    state.quarter = fromStart
      ? { start: quarterStart, baseAt: previous.at, baseKwh: previous.kwh, complete: true }
      : { start: quarterStart, baseAt: at, baseKwh: deliveredKwh, complete: false };
  }
  state.last = { at, kwh: deliveredKwh };
  const quarter = state.quarter;
  const quarterEnd = quarter.start + QUARTER;

  const measured = at > quarter.baseAt ? (deliveredKwh - quarter.baseKwh) / ((at - quarter.baseAt) / HOUR) : null;
  const source = reading.averageDemandKw !== null ? 'meter' : 'computed';
  const averageKw = reading.averageDemandKw ?? measured ?? reading.powerDeliveredKw ?? 0;
  const elapsed = Math.min(QUARTER, Math.max(0, at - quarter.start));
  const powerNow = reading.powerDeliveredKw ?? averageKw;
  const projectedKw = (averageKw * elapsed + powerNow * (QUARTER - elapsed)) / QUARTER;

  const month = calendar.period('month', quarter.start).key;
  // A reading stamped exactly at the end of the quarter closes it at once.
  if (at === quarterEnd) {
    closeQuarter(state, calendar);
    state.quarter = { start: quarterEnd, baseAt: at, baseKwh: deliveredKwh, complete: true };
  }

  const own = state.computedPeak?.month === month ? state.computedPeak : null;
  const peak = reading.monthPeak ?? own;
  const monthPeakKw = peak?.kw ?? 0;
  const earlier = reading.peakHistory.length > 0 ? reading.peakHistory.map((p) => p.kw) : state.history.filter((p) => p.month !== month).map((p) => p.kw);
  const months = [monthPeakKw, ...earlier.slice(0, 11)].map((kw) => Math.max(kw, config.minimumKw));
  const rollingAverageKw = months.reduce((a, b) => a + b, 0) / months.length;

  const peakThreshold = config.alarmOnMonthPeak ? Math.max(monthPeakKw, config.minimumKw) : null;
  const limitThreshold = config.limitKw > 0 ? config.limitKw : null;
  const thresholds = [limitThreshold, peakThreshold].filter((t): t is number => t !== null);
  const thresholdKw = thresholds.length > 0 ? Math.min(...thresholds) : null;
  const alarmReason =
    limitThreshold !== null && projectedKw > limitThreshold ? 'limit' : peakThreshold !== null && projectedKw > peakThreshold ? 'monthPeak' : null;
  const alarm = alarmReason !== null;
  const alarmChanged = alarm !== state.alarm;
  state.alarm = alarm;

  return {
    view: {
      source,
      quarterStart: quarter.start,
      quarterEnd,
      averageKw,
      projectedKw,
      monthPeakKw,
      monthPeakAt: peak?.at ?? null,
      rollingAverageKw,
      rollingMonths: months.length,
      thresholdKw,
      alarm,
      alarmReason,
    },
    alarmChanged,
  };
}

/**
 * The open quarter ends (measured up to the last reading): a new month first moves the computed
 * peak into the history; a quarter seen from start to end may be the month's new peak.
 */
function closeQuarter(state: CapacityState, calendar: ZoneCalendar): void {
  const quarter = state.quarter;
  const last = state.last;
  if (!quarter || !last) return;
  const month = calendar.period('month', quarter.start).key;
  if (state.computedPeak && state.computedPeak.month !== month) {
    state.history = [state.computedPeak, ...state.history].slice(0, HISTORY_MONTHS);
    state.computedPeak = null;
  }
  const end = quarter.start + QUARTER;
  if (!quarter.complete || last.at <= quarter.baseAt || last.at < end - START_TOLERANCE) return;
  const kw = (last.kwh - quarter.baseKwh) / ((last.at - quarter.baseAt) / HOUR);
  if (!state.computedPeak || kw > state.computedPeak.kw) state.computedPeak = { month, kw, at: end };
}
