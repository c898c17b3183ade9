/**
 * Local calendar periods (hour, quarter hour, day, week, month, year) of an instant in an IANA
 * time zone, through Intl (no time-zone database of our own). Period boundaries are local
 * midnights, so a day of a DST change lasts 23 or 25 hours. Pure apart from Intl.
 *
 * Asking Intl costs microseconds, and a meter asks once a second, so a calendar remembers the
 * day it last worked out (the next question inside that day is arithmetic) and the labels of a
 * few instants outside it. One calendar per node, never shared between nodes.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const QUARTER = 15 * MINUTE;
/** Labels of instants outside the current day kept for reuse (see localIso). */
const MAX_LABELS = 32;

export type PeriodKind = 'hour' | 'day' | 'week' | 'month' | 'year';

export interface Period {
  /** Stable name of the period in local time: `2026-03-29T02` hours are named by their UTC start instead (a local hour repeats in autumn). */
  key: string;
  /** First instant (UTC ms). */
  start: number;
  /** First instant of the next period (UTC ms). */
  end: number;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

interface DayCache {
  start: number;
  end: number;
  /** Local minus UTC (ms) at the start and at the last instant of the day: they differ only on DST days. */
  offsetAtStart: number;
  offsetAtEnd: number;
  week: Period;
  month: Period;
  year: Period;
  day: Period;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class ZoneCalendar {
  private readonly format: Intl.DateTimeFormat;
  private cachedDay: DayCache | undefined;
  private readonly labels = new Map<number, string>();

  /** Throws a RangeError for an unknown zone. */
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  static isValidZone(timeZone: string): boolean {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
      return true;
    } catch {
      return false;
    }
  }

  /** The period of kind `kind` that contains the instant. */
  period(kind: PeriodKind, utcMs: number): Period {
    const day = this.dayOf(utcMs);
    if (kind === 'hour') {
      // Whole-hour offsets (every zone with P1 meters): hours run on from local midnight, also on DST days.
      const start = day.start + Math.floor((utcMs - day.start) / HOUR) * HOUR;
      return { key: new Date(start).toISOString(), start, end: Math.min(start + HOUR, day.end) };
    }
    return day[kind];
  }

  /** The quarter hour (capacity-tariff interval) that contains the instant: [start, start + 15 min). */
  quarterStart(utcMs: number): number {
    const day = this.dayOf(utcMs);
    return day.start + Math.floor((utcMs - day.start) / QUARTER) * QUARTER;
  }

  /** ISO-8601 in local time with its offset, to the second (`2026-03-29T03:00:00+02:00`), as the telegrams' timestamps are written. */
  localIso(utcMs: number): string {
    const day = this.cachedDay;
    const inDay = day !== undefined && utcMs >= day.start && utcMs < day.end;
    if (!inDay) {
      // Instants outside today (a month's start, last month's peak) come back every telegram: remember a few.
      const known = this.labels.get(utcMs);
      if (known !== undefined) return known;
      if (this.labels.size >= MAX_LABELS) this.labels.clear();
      const label = isoWithOffset(utcMs, this.offsetAt(utcMs));
      this.labels.set(utcMs, label);
      return label;
    }
    const offset = day.offsetAtStart === day.offsetAtEnd ? day.offsetAtStart : this.offsetAt(utcMs);
    return isoWithOffset(utcMs, offset);
  }

  private dayOf(utcMs: number): DayCache {
    const cached = this.cachedDay;
    if (cached && utcMs >= cached.start && utcMs < cached.end) return cached;
    const p = this.parts(utcMs);
    const date: LocalDate = { year: p.year, month: p.month, day: p.day, weekday: p.weekday };
    const start = this.midnight(date.year, date.month, date.day);
    const end = this.midnight(date.year, date.month, date.day + 1);
    const mondayOffset = (date.weekday + 6) % 7;
    const weekStart = this.midnight(date.year, date.month, date.day - mondayOffset);
    const weekEnd = this.midnight(date.year, date.month, date.day - mondayOffset + 7);
    const monthStart = this.midnight(date.year, date.month, 1);
    const monthEnd = this.midnight(date.year, date.month + 1, 1);
    const yearStart = this.midnight(date.year, 1, 1);
    const yearEnd = this.midnight(date.year + 1, 1, 1);
    const day: DayCache = {
      start,
      end,
      offsetAtStart: this.offsetAt(start),
      offsetAtEnd: this.offsetAt(end - 1),
      day: { key: dateKey(date.year, date.month, date.day), start, end },
      week: { key: this.weekKey(weekStart), start: weekStart, end: weekEnd },
      month: { key: `${date.year}-${pad(date.month)}`, start: monthStart, end: monthEnd },
      year: { key: String(date.year), start: yearStart, end: yearEnd },
    };
    this.cachedDay = day;
    return day;
  }

  /** ISO week name (`2026-W14`) of the week that starts at local midnight `mondayStart`. */
  private weekKey(mondayStart: number): string {
    const p = this.parts(mondayStart);
    // The ISO week belongs to the year of its Thursday.
    const thursday = new Date(Date.UTC(p.year, p.month - 1, p.day + 3));
    const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
    const firstMonday = firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * 86_400_000;
    const week = 1 + Math.round((thursday.getTime() - 3 * 86_400_000 - firstMonday) / (7 * 86_400_000));
    return `${thursday.getUTCFullYear()}-W${pad(week)}`;
  }

  /** The first instant of a local calendar day (days and months may overflow, as in Date.UTC). */
  private midnight(year: number, month: number, day: number): number {
    const wall = Date.UTC(year, month - 1, day);
    let guess = wall - this.offsetAt(wall);
    // A second pass corrects a guess that landed on the other side of an offset change.
    const corrected = wall - this.offsetAt(guess);
    if (corrected !== guess) guess = corrected;
    // Where midnight itself is skipped by a DST change, the day starts at the first instant after it.
    for (let step = 0; step < 8 && this.parts(guess).day !== new Date(wall).getUTCDate(); step++) guess += 15 * MINUTE;
    return guess;
  }

  /** Local wall time minus UTC at an instant, in ms. */
  private offsetAt(utcMs: number): number {
    return localAsUtc(this.parts(utcMs)) - Math.floor(utcMs / 1000) * 1000;
  }

  private parts(utcMs: number): LocalDate & { hour: number; minute: number; second: number } {
    const out = { year: 0, month: 0, day: 0, weekday: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(utcMs)) {
      switch (part.type) {
        case 'weekday':
          out.weekday = WEEKDAYS[part.value] ?? 0;
          break;
        case 'year':
        case 'month':
        case 'day':
        case 'hour':
        case 'minute':
        case 'second':
          out[part.type] = Number(part.value);
          break;
      }
    }
    return out;
  }
}

function isoWithOffset(utcMs: number, offset: number): string {
  const offsetMinutes = Math.round(offset / MINUTE);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const local = new Date(Math.floor(utcMs / 1000) * 1000 + offset).toISOString().slice(0, 19);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function localAsUtc(p: { year: number; month: number; day: number; hour: number; minute: number; second: number }): number {
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

function dateKey(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
