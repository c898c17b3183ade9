/**
 * Central European wall-clock time (Europe/Amsterdam, Europe/Brussels, Europe/Luxembourg) as
 * DSMR meters print it, computed from the EU rule rather than a time-zone database: summer
 * time from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
 */

const HOUR = 3_600_000;

export interface LocalTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** Summer time (UTC+2) is in force. */
  summer: boolean;
}

/** Whether EU summer time is in force at this instant. */
export function isEuropeanSummerTime(utcMs: number): boolean {
  const year = new Date(utcMs).getUTCFullYear();
  return utcMs >= lastSundayAt1Utc(year, 2) && utcMs < lastSundayAt1Utc(year, 9);
}

/** The wall clock in Central European (Summer) Time. */
export function centralEuropeanTime(utcMs: number): LocalTime {
  const summer = isEuropeanSummerTime(utcMs);
  const local = new Date(utcMs + (summer ? 2 : 1) * HOUR);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
    summer,
  };
}

/** The instant of a Central European wall-clock time (for an ambiguous hour, the summer-time one). */
export function fromCentralEuropeanTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const summerGuess = asUtc - 2 * HOUR;
  return isEuropeanSummerTime(summerGuess) ? summerGuess : asUtc - HOUR;
}

/** DSMR timestamp `YYMMDDhhmmssX`: local time, X = S (summer) or W (winter). */
export function formatDsmrTimestamp(utcMs: number): string {
  const t = centralEuropeanTime(utcMs);
  return [t.year % 100, t.month, t.day, t.hour, t.minute, t.second].map(pad2).join('') + (t.summer ? 'S' : 'W');
}

function lastSundayAt1Utc(year: number, monthIndex: number): number {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0, 1));
  return lastDay.getTime() - lastDay.getUTCDay() * 24 * HOUR;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
