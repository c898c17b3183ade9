/**
 * One meter's energy bookkeeping, as a function of (state, telegram reading, settings, prices):
 * electricity per tariff by the telegram's clock, gas and water by their M-Bus capture time,
 * costs, the capacity tariff, meter swaps and resets. The state is plain JSON, so the node can
 * keep it in any Node-RED context store and pick up after a restart or redeploy. Pure.
 */
import type { PeriodKind, ZoneCalendar } from './calendar';
import { capacityStep, emptyCapacity, type CapacityConfig, type CapacityState, type CapacityView } from './capacity';
import { addStep, emptyTotals, stepPeriod, type Amounts, type ClosedPeriod, type TotalsState } from './period-totals';
import { unitPrice, type FixedPrices, type PriceSlot } from './prices';
import { anchorStep, emptyAnchor, type AnchorEvent, type RegisterAnchor } from './register-anchor';
import type { MbusReading, MeterReading } from './telegram-readings';

export const STATE_VERSION = 1;

export type Medium = 'electricity' | 'gas' | 'water';

export const ELECTRICITY_PERIODS: readonly PeriodKind[] = ['day', 'week', 'month', 'year'];
export const MBUS_PERIODS: readonly PeriodKind[] = ['hour', 'day', 'week', 'month', 'year'];

/** Two M-Bus readings further apart than this give no flow (the meter or Node-RED was away). */
const FLOW_MAX_SPAN = 2 * 3_600_000;

export interface MbusState {
  anchor: RegisterAnchor;
  totals: TotalsState;
  /** Capture time of the last reading taken into account. */
  lastAt: number | null;
  /** m³/h over the last two readings. */
  flow: number | null;
  /** Water: the last time two readings in a row showed no use (the leak alarm's reference). */
  stillAt: number | null;
  leak: boolean;
}

export interface MeterState {
  version: number;
  electricity: {
    anchor: RegisterAnchor;
    totals: TotalsState;
    /** The last local day (`2026-03-29`) whose standing charge was counted. */
    chargedDay: string | null;
  };
  gas: MbusState;
  water: MbusState;
  capacity: CapacityState;
  /** Telegram time of the last telegram taken into account. */
  lastAt: number | null;
}

export interface EnergySettings {
  calendar: ZoneCalendar;
  prices: FixedPrices;
  capacity: CapacityConfig;
  /** Water leak alarm after this many hours without standing still; 0 = off. */
  waterLeakHours: number;
}

export interface MeterEvent {
  medium: Medium;
  detail: AnchorEvent;
}

export interface AlarmChange {
  alarm: 'capacity' | 'waterLeak';
  active: boolean;
}

export interface MeterStep {
  /** Telegram time used (UTC ms). */
  at: number;
  capacity: CapacityView;
  closed: Array<ClosedPeriod & { medium: Medium }>;
  events: MeterEvent[];
  alarms: AlarmChange[];
}

export function emptyMeterState(): MeterState {
  return {
    version: STATE_VERSION,
    electricity: { anchor: emptyAnchor(), totals: emptyTotals(), chargedDay: null },
    gas: emptyMbus(),
    water: emptyMbus(),
    capacity: emptyCapacity(),
    lastAt: null,
  };
}

function emptyMbus(): MbusState {
  return { anchor: emptyAnchor(), totals: emptyTotals(), lastAt: null, flow: null, stillAt: null, leak: false };
}

/** Whether a value from the context store is a state this version can continue. */
export function isMeterState(value: unknown): value is MeterState {
  return (
    typeof value === 'object' && value !== null && (value as MeterState).version === STATE_VERSION && typeof (value as MeterState).electricity === 'object'
  );
}

/** Takes one telegram into account. `at` is the telegram's time (the caller falls back to the arrival time for meters without a clock). */
export function applyReading(state: MeterState, reading: MeterReading, at: number, settings: EnergySettings, schedule: PriceSlot[]): MeterStep {
  const { calendar, prices } = settings;
  const closed: MeterStep['closed'] = [];
  const events: MeterEvent[] = [];
  const alarms: AlarmChange[] = [];

  // Electricity: registers by the telegram clock, their cost at the price of the step (the instant
  // before the telegram, like the periods), and the standing charge once per day.
  const electricity = anchorStep(state.electricity.anchor, reading.equipmentId, reading.registers);
  events.push(...electricity.events.map((detail) => ({ medium: 'electricity' as const, detail })));
  const increments: Amounts = { ...electricity.increments, costDelivered: 0, revenueReturned: 0, costFixed: 0 };
  for (const [register, kwh] of Object.entries(electricity.increments)) {
    const money = kwh * unitPrice(prices, schedule, register, at - 1);
    if (register.startsWith('delivered')) increments.costDelivered += money;
    else increments.revenueReturned += money;
  }
  const day = stepPeriod(state.electricity.totals, calendar, 'day', at).key;
  if (state.electricity.chargedDay === null || day > state.electricity.chargedDay) {
    increments.costFixed = prices.perDay;
    state.electricity.chargedDay = day;
  }
  closed.push(...addStep(state.electricity.totals, calendar, ELECTRICITY_PERIODS, at, increments).map((p) => ({ ...p, medium: 'electricity' as const })));

  const delivered = Object.entries(state.electricity.totals.total)
    .filter(([name]) => name.startsWith('delivered'))
    .reduce((sum, [, kwh]) => sum + kwh, 0);
  const capacity = capacityStep(state.capacity, calendar, settings.capacity, reading, at, delivered);
  if (capacity.alarmChanged) alarms.push({ alarm: 'capacity', active: capacity.view.alarm });

  for (const medium of ['gas', 'water'] as const) {
    const mbusReading = reading[medium];
    if (!mbusReading) continue;
    const step = mbusStep(state[medium], medium, mbusReading, at, settings, schedule);
    closed.push(...step.closed);
    events.push(...step.events);
    if (step.leakChanged) alarms.push({ alarm: 'waterLeak', active: state.water.leak });
  }

  state.lastAt = state.lastAt === null ? at : Math.max(state.lastAt, at);
  return { at, capacity: capacity.view, closed, events, alarms };
}

/**
 * An M-Bus reading counts once, at its capture time (a DSMR 4 meter repeats the hourly reading in
 * every telegram for an hour; a DSMR 5 one every 5 minutes), and its use goes to the hour before
 * that time: the reading stamped 14:00 closes the hour 13:00–14:00.
 */
function mbusStep(state: MbusState, medium: 'gas' | 'water', reading: MbusReading, telegramAt: number, settings: EnergySettings, schedule: PriceSlot[]) {
  const at = reading.at ?? telegramAt;
  const none = { closed: [] as MeterStep['closed'], events: [] as MeterEvent[], leakChanged: false };
  const unchanged = reading.at === null ? state.anchor.last[medium] === reading.value : state.lastAt !== null && at <= state.lastAt;
  if (unchanged) return none;

  const step = anchorStep(state.anchor, reading.equipmentId, { [medium]: reading.value });
  const used = step.increments[medium] ?? 0;
  const increments: Amounts = { [medium]: used, [medium === 'gas' ? 'costGas' : 'costWater']: used * unitPrice(settings.prices, schedule, medium, at - 1) };
  const closed = addStep(state.totals, settings.calendar, MBUS_PERIODS, at, increments).map((p) => ({ ...p, medium }));

  const span = state.lastAt === null ? null : at - state.lastAt;
  state.flow = span !== null && span > 0 && span <= FLOW_MAX_SPAN && step.events.length === 0 ? used / (span / 3_600_000) : null;
  if (state.lastAt === null || used === 0) state.stillAt = at;
  state.lastAt = at;

  let leakChanged = false;
  if (medium === 'water') {
    const hours = settings.waterLeakHours;
    const leak = hours > 0 && state.stillAt !== null && at - state.stillAt >= hours * 3_600_000;
    leakChanged = leak !== state.leak;
    state.leak = leak;
  }
  return { closed, events: step.events.map((detail) => ({ medium, detail })), leakChanged };
}
