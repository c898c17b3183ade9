import { crc16String, formatCrc } from '../protocol/crc16';
import { centralEuropeanTime, formatDsmrTimestamp, fromCentralEuropeanTime } from './eu-time';
import { householdPower, noise } from './simulated-household';

export type SimulatedProfile = 'nl-dsmr5' | 'be-fluvius';

const MINUTE = 60_000;
const FIVE_MINUTES = 5 * MINUTE;
const QUARTER = 15 * MINUTE;
const VOLTAGE_NOMINAL = 230;
/** Further behind than this, the registers catch up in 5-minute steps. */
const CATCH_UP_AFTER = 6 * 60 * MINUTE;

interface PeakRecord {
  /** When the month this peak belongs to was closed (00:00 on the 1st of the next month). */
  capturedAt: number;
  at: number;
  kw: number;
}

/**
 * A smart meter that writes telegrams: a Dutch DSMR 5 meter (Iskra AM550 style, gas on
 * channel 1) or a Belgian Fluvius e-MUCS meter (capacity tariff: quarter-hour demand, month
 * peak, 13-month history; gas on 24.2.3). Pure: no clock, no I/O. Power is a function of
 * (seed, instant) (see simulated-household); the energy registers integrate it between the
 * instants you ask for, so the same seed and the same sequence of times give the same telegrams.
 */
export class SimulatedMeter {
  private lastMs: number | undefined;
  /** kWh: import tariff 1, import tariff 2, export tariff 1, export tariff 2. */
  private readonly energy = { import1: 0, import2: 0, export1: 0, export2: 0 };
  private gasM3 = 0;
  private gasReading = { at: 0, m3: 0 };
  private quarter = { start: 0, importKwh: 0 };
  private monthPeak: PeakRecord = { capturedAt: 0, at: 0, kw: 0 };
  private monthKey = '';
  private history: PeakRecord[] = [];

  private readonly gasIntervalMs: number;

  /** `options.gasReadingMinutes`: how often the gas meter's reading is captured (5, as DSMR 5 and Belgian meters; 60 for a DSMR 4 meter). */
  constructor(
    readonly profile: SimulatedProfile,
    private readonly seed = 1,
    options: { gasReadingMinutes?: number } = {},
  ) {
    this.gasIntervalMs = (options.gasReadingMinutes ?? 5) * MINUTE;
  }

  /** The telegrams from `fromMs` up to `toMs` (exclusive), one every `everyMs`: travel through days and months without waiting. */
  *telegramsBetween(fromMs: number, toMs: number, everyMs: number): Generator<{ at: number; telegram: string }> {
    for (let at = fromMs; at < toMs; at += everyMs) yield { at, telegram: this.telegramAt(at) };
  }

  /** The telegram the meter sends at `utcMs` (CRLF line ends, valid CRC). Earlier times than the last one do not move the registers back. */
  telegramAt(utcMs: number): string {
    this.advanceTo(utcMs);
    const now = Math.max(utcMs, this.lastMs ?? utcMs);
    const body = this.profile === 'nl-dsmr5' ? this.dutchLines(now) : this.belgianLines(now);
    const text = body.join('\r\n') + '\r\n!';
    return `${text}${formatCrc(crc16String(text))}\r\n`;
  }

  // ── registers ──────────────────────────────────────────────────────────────────────────

  private advanceTo(utcMs: number): void {
    if (this.lastMs === undefined) {
      this.start(utcMs);
      return;
    }
    // Steps end on minute boundaries (5-minute ones when far behind), so gas readings (5 min)
    // and quarters (15 min) close exactly on time.
    while (this.lastMs < utcMs) {
      const step = utcMs - this.lastMs > CATCH_UP_AFTER ? FIVE_MINUTES : MINUTE;
      const stepEnd = Math.min(utcMs, (Math.floor(this.lastMs / step) + 1) * step);
      this.integrate(this.lastMs, stepEnd);
      this.lastMs = stepEnd;
      if (stepEnd % this.gasIntervalMs === 0) this.gasReading = { at: stepEnd, m3: this.gasM3 };
      if (stepEnd % QUARTER === 0) this.closeQuarter(stepEnd);
    }
  }

  private start(utcMs: number): void {
    const s = this.seed;
    this.lastMs = utcMs;
    this.energy.import1 = 2000 + 3000 * noise(s, 100, 0);
    this.energy.import2 = 1800 + 2500 * noise(s, 101, 0);
    this.energy.export1 = 400 + 900 * noise(s, 102, 0);
    this.energy.export2 = 900 + 1800 * noise(s, 103, 0);
    this.gasM3 = 1500 + 4000 * noise(s, 104, 0);
    this.gasReading = { at: Math.floor(utcMs / this.gasIntervalMs) * this.gasIntervalMs, m3: this.gasM3 };
    this.quarter = { start: Math.floor(utcMs / QUARTER) * QUARTER, importKwh: 0 };
    const monthStart = this.monthStartOf(utcMs);
    this.monthKey = monthKeyOf(utcMs);
    this.monthPeak = { capturedAt: 0, at: monthStart + (utcMs - monthStart) * noise(s, 105, 0), kw: 2 + 2.5 * noise(s, 106, 0) };
    this.history = this.initialHistory(monthStart);
  }

  private integrate(from: number, to: number): void {
    const hours = (to - from) / 3_600_000;
    const flows = this.flows(from);
    const tariff = this.tariff(from);
    const importKwh = flows.importKw * hours;
    const exportKwh = flows.exportKw * hours;
    if (tariff === 1) {
      this.energy.import1 += importKwh;
      this.energy.export1 += exportKwh;
    } else {
      this.energy.import2 += importKwh;
      this.energy.export2 += exportKwh;
    }
    this.quarter.importKwh += importKwh;
    this.gasM3 += householdPower(this.seed, from).gasM3PerHour * hours;
  }

  /** A quarter hour ended: its average demand may be the month's new peak (Belgian capacity tariff). */
  private closeQuarter(end: number): void {
    const averageKw = this.quarter.importKwh / 0.25;
    const key = monthKeyOf(end - 1);
    if (key !== this.monthKey) this.closeMonth(end - 1);
    if (averageKw > this.monthPeak.kw) this.monthPeak = { capturedAt: 0, at: end, kw: averageKw };
    this.quarter = { start: end, importKwh: 0 };
  }

  private closeMonth(inNewMonth: number): void {
    this.history = [{ ...this.monthPeak, capturedAt: this.monthStartOf(inNewMonth) }, ...this.history].slice(0, 13);
    this.monthKey = monthKeyOf(inNewMonth);
    this.monthPeak = { capturedAt: 0, at: this.monthStartOf(inNewMonth), kw: 0 };
  }

  private initialHistory(monthStart: number): PeakRecord[] {
    const records: PeakRecord[] = [];
    let capturedAt = monthStart;
    for (let i = 0; i < 13; i++) {
      const previousStart = this.monthStartOf(capturedAt - 1);
      const at = previousStart + Math.floor(((capturedAt - previousStart) * noise(this.seed, 110, i)) / 1000) * 1000;
      records.push({ capturedAt, at, kw: 2.5 + 3.5 * noise(this.seed, 111, i) });
      capturedAt = previousStart;
    }
    return records;
  }

  private monthStartOf(utcMs: number): number {
    const t = centralEuropeanTime(utcMs);
    return fromCentralEuropeanTime(t.year, t.month, 1);
  }

  /** Net flows at an instant: per phase and total, import and export (the meter nets per phase and in total). */
  private flows(utcMs: number) {
    const power = householdPower(this.seed, utcMs);
    const net = power.loadKw.map((load, phase) => load - (phase === 0 ? power.solarKw : 0));
    const total = net.reduce((a, b) => a + b, 0);
    return {
      phaseNetKw: net,
      importKw: Math.max(0, total),
      exportKw: Math.max(0, -total),
    };
  }

  /**
   * NL: tariff 1 is the low (night) tariff, 23:00–07:00 and all weekend.
   * BE: tariff 1 is the day tariff, 07:00–22:00 on weekdays; tariff 2 is night and weekend.
   */
  private tariff(utcMs: number): 1 | 2 {
    const t = centralEuropeanTime(utcMs);
    const weekend = t.weekday === 0 || t.weekday === 6;
    if (this.profile === 'nl-dsmr5') return weekend || t.hour < 7 || t.hour >= 23 ? 1 : 2;
    return weekend || t.hour < 7 || t.hour >= 22 ? 2 : 1;
  }

  // ── telegram text ──────────────────────────────────────────────────────────────────────

  private electricityLines(utcMs: number, currentDecimals: number): string[] {
    const flows = this.flows(utcMs);
    const volts = flows.phaseNetKw.map((kw, phase) => VOLTAGE_NOMINAL + 4 * (noise(this.seed, 20 + phase, Math.floor(utcMs / 1000)) - 0.5) - 0.6 * kw);
    const phaseCodes = [
      ['21', '22', '32', '31'],
      ['41', '42', '52', '51'],
      ['61', '62', '72', '71'],
    ];
    const power = phaseCodes.map(([imp], i) => `1-0:${imp}.7.0(${kw(Math.max(0, flows.phaseNetKw[i]))}*kW)`);
    const powerBack = phaseCodes.map(([, exp], i) => `1-0:${exp}.7.0(${kw(Math.max(0, -flows.phaseNetKw[i]))}*kW)`);
    const voltage = phaseCodes.map(([, , v], i) => `1-0:${v}.7.0(${fixed(volts[i], 3, 1)}*V)`);
    const current = phaseCodes.map(([, , , a], i) => `1-0:${a}.7.0(${fixed((Math.abs(flows.phaseNetKw[i]) * 1000) / volts[i], 3, currentDecimals)}*A)`);
    return [
      `1-0:1.7.0(${kw(flows.importKw)}*kW)`,
      `1-0:2.7.0(${kw(flows.exportKw)}*kW)`,
      ...this.profileSpecificPowerLines(power, powerBack, voltage, current),
    ];
  }

  private profileSpecificPowerLines(power: string[], powerBack: string[], voltage: string[], current: string[]): string[] {
    if (this.profile === 'be-fluvius') return [...power, ...powerBack, ...voltage, ...current];
    const s = this.seed;
    const failures = 3 + Math.floor(5 * noise(s, 30, 0));
    const log = [Date.UTC(2019, 2, 26, 8, 50, 15), Date.UTC(2021, 10, 3, 14, 2, 40)].map(
      (at, i) =>
        `(${formatDsmrTimestamp(at + Math.floor(noise(s, 31, i) * 86_400) * 1000)})(${String(60 + Math.floor(7200 * noise(s, 32, i))).padStart(10, '0')}*s)`,
    );
    const counter = (stream: number, max: number) => String(Math.floor(max * noise(s, stream, 0))).padStart(5, '0');
    return [
      `0-0:96.7.21(${String(failures).padStart(5, '0')})`,
      `0-0:96.7.9(${String(log.length).padStart(5, '0')})`,
      `1-0:99.97.0(${log.length})(0-0:96.7.19)${log.join('')}`,
      `1-0:32.32.0(${counter(33, 5)})`,
      `1-0:52.32.0(${counter(34, 5)})`,
      `1-0:72.32.0(${counter(35, 200)})`,
      `1-0:32.36.0(${counter(36, 3)})`,
      `1-0:52.36.0(${counter(37, 3)})`,
      `1-0:72.36.0(${counter(38, 3)})`,
      '0-0:96.13.0()',
      ...voltage,
      ...current,
      ...power,
      ...powerBack,
    ];
  }

  private energyLines(): string[] {
    return [
      `1-0:1.8.1(${kwh(this.energy.import1)}*kWh)`,
      `1-0:1.8.2(${kwh(this.energy.import2)}*kWh)`,
      `1-0:2.8.1(${kwh(this.energy.export1)}*kWh)`,
      `1-0:2.8.2(${kwh(this.energy.export2)}*kWh)`,
    ];
  }

  private dutchLines(utcMs: number): string[] {
    return [
      '/ISK5\\2M550T-1012',
      '',
      '1-3:0.2.8(50)',
      `0-0:1.0.0(${formatDsmrTimestamp(utcMs)})`,
      `0-0:96.1.1(${hex(this.equipmentId('E00', 150))})`,
      ...this.energyLines(),
      `0-0:96.14.0(000${this.tariff(utcMs)})`,
      ...this.electricityLines(utcMs, 0),
      '0-1:24.1.0(003)',
      `0-1:96.1.0(${hex(this.equipmentId('G00', 151))})`,
      `0-1:24.2.1(${formatDsmrTimestamp(this.gasReading.at)})(${fixed(this.gasReading.m3, 5, 3)}*m3)`,
    ];
  }

  private belgianLines(utcMs: number): string[] {
    const elapsedHours = (utcMs - this.quarter.start) / 3_600_000;
    const averageKw = elapsedHours > 0 ? this.quarter.importKwh / elapsedHours : this.flows(utcMs).importKw;
    const history = this.history.map((r) => `(${formatDsmrTimestamp(r.capturedAt)})(${formatDsmrTimestamp(r.at)})(${kw(r.kw)}*kW)`).join('');
    return [
      '/FLU5\\253769484_A',
      '',
      '0-0:96.1.4(50217)',
      `0-0:96.1.1(${hex(this.equipmentId('1SAG', 152).slice(0, 14))})`,
      `0-0:1.0.0(${formatDsmrTimestamp(utcMs)})`,
      ...this.energyLines(),
      `1-0:1.4.0(${kw(averageKw)}*kW)`,
      `1-0:1.6.0(${formatDsmrTimestamp(this.monthPeak.at)})(${kw(this.monthPeak.kw)}*kW)`,
      `0-0:98.1.0(${this.history.length})(1-0:1.6.0)(1-0:1.6.0)${history}`,
      `0-0:96.14.0(000${this.tariff(utcMs)})`,
      ...this.electricityLines(utcMs, 2),
      '0-0:96.3.10(1)',
      '0-0:17.0.0(999.9*kW)',
      '1-0:31.4.0(999*A)',
      '0-0:96.13.0()',
      '0-1:24.1.0(003)',
      `0-1:96.1.1(${hex(this.equipmentId('7FLO', 153).slice(0, 14))})`,
      '0-1:24.4.0(1)',
      `0-1:24.2.3(${formatDsmrTimestamp(this.gasReading.at)})(${fixed(this.gasReading.m3, 5, 3)}*m3)`,
    ];
  }

  /** A plausible serial number: prefix + 14 digits from the seed. */
  private equipmentId(prefix: string, stream: number): string {
    let digits = '';
    for (let i = 0; digits.length < 14; i++) digits += Math.floor(10 * noise(this.seed, stream, i));
    return prefix + digits;
  }
}

function monthKeyOf(utcMs: number): string {
  const t = centralEuropeanTime(utcMs);
  return `${t.year}-${t.month}`;
}

/** Zero-padded fixed point: `fixed(2.5, 3, 1)` → "002.5". */
function fixed(value: number, intDigits: number, decimals: number): string {
  const text = Math.max(0, value).toFixed(decimals);
  return text.padStart(intDigits + (decimals > 0 ? decimals + 1 : 0), '0');
}

function kw(value: number): string {
  return fixed(value, 2, 3);
}

/** Registers are printed truncated, never rounded up, so a printed value never runs ahead of the register. */
function kwh(value: number): string {
  return fixed(Math.floor(value * 1000) / 1000, 6, 3);
}

function hex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex').toUpperCase();
}
