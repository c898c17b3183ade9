/**
 * Running totals split into calendar periods (hour, day, week, month, year), as plain JSON state.
 *
 * Every quantity (kWh delivered per tariff, m³ gas, euros) is a counter that starts at 0;
 * a period remembers the counters at its start, so "today" is `total - base`. Steps come with
 * the instant their readings refer to, and a step belongs to the period of the instant just before
 * it ends: a reading stamped exactly 00:00:00 closes the day before, and the step from the last
 * reading before a boundary to the first one after it (a second, or the hours Node-RED was down)
 * lands in the new period. Pure.
 */
import type { Period, PeriodKind, ZoneCalendar } from './calendar';

export type Amounts = Record<string, number>;

export interface OpenPeriod extends Period {
  /** Counters at the start of the period (missing: 0, the counter started later). */
  base: Amounts;
  /** First instant counted: the period start, or the first reading when it came later (a partial period). */
  from: number;
}

export interface TotalsState {
  /** Every counter since the first reading. */
  total: Amounts;
  /** Instant of the last step (UTC ms), `null` before the first one. */
  at: number | null;
  periods: Partial<Record<PeriodKind, OpenPeriod>>;
}

export interface ClosedPeriod {
  kind: PeriodKind;
  key: string;
  start: number;
  end: number;
  from: number;
  /** What each counter grew by in the period. */
  values: Amounts;
}

export function emptyTotals(): TotalsState {
  return { total: {}, at: null, periods: {} };
}

/**
 * Adds one step's increments at instant `at` and returns the periods it closed. Register
 * increments are never negative (see register-anchor); money may be (a negative dynamic price).
 * A clock that runs backwards never reopens a closed period: the step is added to the open ones.
 */
export function addStep(state: TotalsState, calendar: ZoneCalendar, kinds: readonly PeriodKind[], at: number, increments: Amounts): ClosedPeriod[] {
  const closed: ClosedPeriod[] = [];
  const first = state.at === null;
  for (const kind of kinds) {
    const open = state.periods[kind];
    const now = stepPeriod(state, calendar, kind, at);
    if (!open) {
      state.periods[kind] = { ...now, base: { ...state.total }, from: first ? Math.max(now.start, at) : now.start };
    } else if (now.start > open.start) {
      closed.push(close(kind, open, state.total));
      state.periods[kind] = { ...now, base: { ...state.total }, from: now.start };
    }
  }
  for (const [name, amount] of Object.entries(increments)) {
    if (Number.isFinite(amount)) state.total[name] = (state.total[name] ?? 0) + amount;
  }
  // A reading stamped exactly on a boundary completes its period: close it now, not at the next reading.
  for (const kind of kinds) {
    const open = state.periods[kind];
    if (open && at === open.end) {
      closed.push(close(kind, open, state.total));
      const next = calendar.period(kind, at);
      state.periods[kind] = { ...next, base: { ...state.total }, from: next.start };
    }
  }
  state.at = state.at === null ? at : Math.max(state.at, at);
  return closed;
}

/**
 * The period a step ending at `at` is counted in: the one holding the instant just before it.
 * A first reading stamped exactly on a boundary starts the new period rather than close an unseen one.
 */
export function stepPeriod(state: TotalsState, calendar: ZoneCalendar, kind: PeriodKind, at: number): Period {
  return calendar.period(kind, state.at === null ? at : at - 1);
}

/** What each counter grew by in the open period of this kind (all counters, 0 when unchanged). */
export function periodValues(state: TotalsState, kind: PeriodKind): Amounts {
  const open = state.periods[kind];
  return open ? difference(state.total, open.base) : {};
}

function close(kind: PeriodKind, open: OpenPeriod, total: Amounts): ClosedPeriod {
  return { kind, key: open.key, start: open.start, end: open.end, from: open.from, values: difference(total, open.base) };
}

function difference(total: Amounts, base: Amounts): Amounts {
  const out: Amounts = {};
  for (const [name, value] of Object.entries(total)) out[name] = value - (base[name] ?? 0);
  return out;
}
