/**
 * The message contract: what a parsed telegram looks like.
 *
 * `P1Telegram` is what `p1-in` and `p1-parse` put in `msg.payload`. It is plain JSON
 * (no Date, no BigInt, no class instances) so that it survives msg cloning, MQTT, the
 * debug sidebar and context storage unchanged. Keep this file stable: users' function
 * nodes and dashboards depend on these names.
 */

/** How a data line's value groups were decoded. */
export interface ObisGroup {
  /** Decoded value: a number for decimals and integers, an ISO-8601 string for timestamps, otherwise the text as sent. `null` for an empty group `()` or an invalid timestamp. */
  value: number | string | null;
  /** Unit as sent after `*`, normalised to its canonical spelling (e.g. `kwh` → `kWh`). */
  unit?: string;
  /** The group's text exactly as received, without the parentheses (a group wrapped over lines: without the line breaks). */
  raw: string;
}

/** One data line of the telegram, keyed in `P1Telegram.obis` by its reduced OBIS id (`A-B:C.D.E`). */
export interface ObisObject {
  /** Friendly name from the OBIS registry, when the code is known (e.g. `powerDelivered`). */
  name?: string;
  /** The main value: for `(TST)(value*unit)` lines the value, otherwise the first group. */
  value: number | string | null;
  /** Unit of `value`, when the meter sent one. */
  unit?: string;
  /**
   * Capture time of `value` for `(TST)(value)` lines (M-Bus readings, monthly peaks), ISO-8601 or `null` when invalid.
   * A `null` (placeholder) time with a zero value marks an empty channel or month: `value` is then `null` too (the groups keep the raw 0).
   */
  time?: string | null;
  /** Octet strings that decode to printable text (equipment ids, text messages): the text. `value` keeps the hex. */
  text?: string;
  /** Every value group of the line, decoded. */
  groups: ObisGroup[];
}

/** EN 13757-3 medium of an M-Bus device, from `0-n:24.1.0`. */
export type MbusDeviceKind = 'electricity' | 'gas' | 'heat' | 'warmWater' | 'water' | 'cooling' | 'unknown';

export interface MbusDevice {
  /** M-Bus channel n (1–4) of `0-n:…`. Channels follow installation order: find devices by `kind`. */
  channel: number;
  /** Raw device type code from `0-n:24.1.0` (3 = gas, 4 = heat, 7 = water, 2 = slave electricity meter), `null` when absent. */
  deviceType: number | null;
  kind: MbusDeviceKind;
  /** Decoded equipment id (`0-n:96.1.0`, Belgian `0-n:96.1.1`), `null` when absent or empty. */
  equipmentId: string | null;
  /** Last reading (`0-n:24.2.1`, Belgian `0-n:24.2.3`, DSMR 2.2/3 `0-n:24.3.0`), `null` when the channel is empty (placeholder time such as `700101010000W` or `632525252525S` with a zero reading). */
  reading: number | null;
  unit: string | null;
  /** Capture time of `reading`, ISO-8601 with offset, `null` when absent or a placeholder. */
  readingTime: string | null;
  /** Valve / breaker position (`0-n:24.4.0` or `0-n:96.3.10`), when sent. */
  valvePosition?: number;
}

/** One entry of the power-failure event log `1-0:99.97.0`. */
export interface PowerFailureEvent {
  /** When the failure ended, ISO-8601, `null` for the meters' placeholder stamps. */
  end: string | null;
  /** When it started (end − duration), ISO-8601, `null` when `end` is unknown. */
  start: string | null;
  durationSeconds: number;
}

/** One month of the Belgian maximum-demand history `0-0:98.1.0`. */
export interface PeakDemandMonth {
  /** Start of the month the peak belongs to, ISO-8601. */
  month: string | null;
  /** When the peak occurred, ISO-8601, `null` for an empty month. */
  time: string | null;
  /** Peak quarter-hour average demand. */
  value: number | null;
  unit: string | null;
}

export interface CrcCheck {
  /** Whether the telegram carried a CRC after `!` (DSMR 2.2/3 and some gateways send none). */
  present: boolean;
  /** The CRC as sent, upper-cased and zero-padded to 4 digits, `null` when absent. */
  stated: string | null;
  /** CRC-16/ARC computed over `/` … `!`, 4 upper-case hex digits. */
  computed: string;
  /** `true`/`false` when a CRC was present, `null` when there was none to check. */
  valid: boolean | null;
  /** True when the telegram arrived with LF-only line endings and the CRC matched only after restoring CR LF. */
  restoredCrLf?: boolean;
}

/** Country or vendor profile, inferred from the header and the codes present. */
export type MeterProfile =
  | 'dsmr' // Netherlands, DSMR 2.2 – 5
  | 'emucs' // Belgium, Fluvius e-MUCS
  | 'smarty' // Luxembourg
  | 'sweden'
  | 'austria'
  | 'hungary'
  | 'lithuania'
  | 'iec62056'; // other IEC 62056-21 style text (e.g. EasyMeter Q3D)

/**
 * A parsed telegram: `msg.payload` of `p1-in` and `p1-parse`.
 *
 * Besides the fields below, every known code also appears as a flat, friendly, plain-number
 * field (for example `powerDelivered`, `energyDeliveredTariff1`, `voltageL1`), present only when
 * the meter sent it. Their units are in `units` under the same name. The names and units come
 * from the OBIS registry (`src/protocol/obis-registry.ts`). Derived values carry names no register
 * has: `powerNet` (powerDelivered − powerReturned) and `energyDeliveredSum` / `energyReturnedSum`
 * (the tariff registers added up, for meters with tariff registers).
 */
export interface P1Telegram {
  /** The identification line without the leading `/`, e.g. `ISk5\2MT382-1000`. */
  header: string;
  /** Three-letter manufacturer flag from the header (`ISk`, `KFM`, `FLU`, `Lux`, …). */
  manufacturer: string;
  /** Identification after the flag and baud character, e.g. `\2MT382-1000`. */
  model: string;
  profile: MeterProfile;
  /** P1 version as the meter states it (`1-3:0.2.8`, e.g. `50`; Belgian `0-0:96.1.4`, e.g. `50217`), or inferred (`2.2/3.0` for telegrams without CRC and version line). */
  version: string | null;
  /** Decoded equipment id of the electricity meter (`0-0:96.1.1`, or `0-0:42.0.0` in LU/HU). */
  equipmentId: string | null;
  /** Telegram time `0-0:1.0.0`, ISO-8601 with offset; `null` when absent or invalid. */
  timestamp: string | null;
  /** Unit of each friendly field, by friendly name. */
  units: Record<string, string>;
  /** M-Bus devices by channel number (`"1"` … `"4"`). */
  mbus: Record<string, MbusDevice>;
  /** Shortcuts to the first M-Bus device of each kind (by channel, passing over empty channels when another is in use), when present. */
  gas?: MbusDevice;
  water?: MbusDevice;
  heat?: MbusDevice;
  /** Power-failure log `1-0:99.97.0`, most recent first. */
  powerFailureLog?: PowerFailureEvent[];
  /** Belgian capacity tariff: this month's peak (`1-0:1.6.0`) with its time. */
  peakDemandMonthTime?: string | null;
  /** Belgian capacity tariff: the 13-month peak history (`0-0:98.1.0`). */
  peakDemandHistory?: PeakDemandMonth[];
  /** Decoded text message `0-0:96.13.0`, when not empty. */
  textMessage?: string;
  /** Every data line by reduced OBIS id (`A-B:C.D.E`), known or not. Nothing is dropped. */
  obis: Record<string, ObisObject>;
  crc: CrcCheck;
  /** One entry per line or field that could not be read as expected. Empty for a clean telegram. */
  warnings: string[];
  /** Friendly flat fields (see the interface comment). */
  [friendly: string]: unknown;
}

export interface ParseOptions {
  /**
   * IANA time zone of the meter's clock. Decides the offsets of `S`/`W` stamps
   * (standard offset, +1 h for `S`) and the local time of DSMR 2.2/3 stamps without a flag.
   * Default `Europe/Amsterdam` (same offsets as Brussels and Luxembourg).
   */
  timezone?: string;
}
