/**
 * What `p1-filter-obis` does, without Node-RED: pick values out of a parsed telegram by
 * friendly name, OBIS code or pattern, scale them, drop the ones that did not change
 * enough, and shape them into messages for charts, gauges, databases and MQTT.
 */
import type { MbusDevice, ObisObject, P1Telegram } from '../../protocol/types';
import { lookupObis } from '../../protocol/obis-registry';

/** One value picked out of a telegram. */
export interface PickedValue {
  /** Friendly name (`powerDelivered`, `gas`) or, when the code is unknown, the OBIS code. */
  name: string;
  /** Reduced OBIS code (`1-0:1.7.0`), `null` for a friendly field without a matching line. */
  code: string | null;
  /** Human label from the OBIS registry, else the name. */
  label: string;
  value: number | string;
  unit?: string;
  /** Telegram time, or the capture time for values that carry one (M-Bus readings, peaks). */
  timestamp: string | null;
}

// ---------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------

/** A parsed `values` entry: an OBIS code or pattern (five fields, `*` = any), or a friendly name. */
export type Selector = { kind: 'code'; text: string; fields: string[]; isPattern: boolean } | { kind: 'name'; text: string };

// A-B:C.D.E with an optional sixth field (`*255` / `.255`, EasyMeter style) that is ignored.
const OBIS_PATTERN = /^([0-9]+|\*)-([0-9]+|\*):([0-9]+|\*)\.([0-9]+|\*)\.([0-9]+|\*)(?:[.*](?:255|\*))?$/;
const FRIENDLY_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Parses one `values` entry; `null` when it is neither a code/pattern nor a friendly name. */
export function parseSelector(entry: string): Selector | null {
  const text = entry.trim();
  const code = OBIS_PATTERN.exec(text);
  if (code) {
    const fields = code.slice(1, 6);
    return { kind: 'code', text, fields, isPattern: fields.includes('*') };
  }
  if (FRIENDLY_NAME.test(text)) return { kind: 'name', text };
  return null;
}

/** The entries of `values` that are not valid selectors (for the editor's and runtime's validation). */
export function invalidSelectors(values: readonly string[]): string[] {
  return values.filter((v) => parseSelector(v) === null);
}

// ---------------------------------------------------------------------------------------
// Picking
// ---------------------------------------------------------------------------------------

/** Every value `selector` finds in `telegram`, in telegram order; missing values are simply absent. */
export function pickValues(telegram: P1Telegram, selector: Selector): PickedValue[] {
  return selector.kind === 'code' ? pickByCode(telegram, selector) : pickByName(telegram, selector.text);
}

function pickByCode(telegram: P1Telegram, selector: Extract<Selector, { kind: 'code' }>): PickedValue[] {
  const obis = telegram.obis ?? {};
  if (!selector.isPattern) {
    const code = `${selector.fields[0]}-${selector.fields[1]}:${selector.fields.slice(2).join('.')}`;
    const value = obis[code] && fromObisEntry(telegram, code, obis[code]);
    return value ? [value] : [];
  }
  const picked: PickedValue[] = [];
  for (const [code, entry] of Object.entries(obis)) {
    const value = codeMatches(code, selector.fields) && fromObisEntry(telegram, code, entry);
    if (value) picked.push(value);
  }
  return picked;
}

function codeMatches(code: string, pattern: string[]): boolean {
  const fields = code.split(/[-:.]/);
  if (fields.length !== 5) return false;
  return pattern.every((p, i) => p === '*' || Number(p) === Number(fields[i]));
}

function fromObisEntry(telegram: P1Telegram, code: string, entry: ObisObject): PickedValue | null {
  // Octet strings that are text (equipment ids, messages) are wanted as text, not hex.
  const value = entry.text ?? entry.value;
  if (!isUsable(value)) return null;
  const channel = channelOf(code);
  const definition = lookupObis(code);
  // M-Bus channel lines (`0-1:24.2.1`, `0-2:24.2.1`) share one registry name: the channel keeps them apart.
  const baseName = entry.name ?? definition?.name;
  const name = baseName ? (channel === null ? baseName : `${baseName}${channel}`) : code;
  return {
    name,
    code,
    label: definition ? channelLabel(definition.label, channel) : name,
    value,
    unit: entry.unit,
    timestamp: typeof entry.time === 'string' ? entry.time : telegram.timestamp,
  };
}

function channelLabel(label: string, channel: number | null): string {
  return channel === null ? label : `${label} (M-Bus ${channel})`;
}

/** M-Bus channel n of a channel line (registry code `0-n:…`), `null` for other codes. */
function channelOf(code: string): number | null {
  const match = /^0-([1-9]):/.exec(code);
  return match && lookupObis(code)?.code.startsWith('0-n:') ? Number(match[1]) : null;
}

function pickByName(telegram: P1Telegram, name: string): PickedValue[] {
  const flat = telegram[name];
  if (isUsable(flat)) return [fromFlatField(telegram, name, flat)];
  if (isMbusDevice(flat)) {
    const reading = fromMbusDevice(telegram, name, flat);
    return reading ? [reading] : [];
  }
  // Names that have no flat field (M-Bus channel lines, unknown vendor lines): every line with that name.
  const picked: PickedValue[] = [];
  for (const [code, entry] of Object.entries(telegram.obis ?? {})) {
    if (entry.name !== name) continue;
    const value = fromObisEntry(telegram, code, entry);
    if (value) picked.push(value);
  }
  return picked;
}

function fromFlatField(telegram: P1Telegram, name: string, value: number | string): PickedValue {
  const line = Object.entries(telegram.obis ?? {}).find(([, entry]) => entry.name === name);
  const code = line ? line[0] : null;
  return {
    name,
    code,
    label: (code && lookupObis(code)?.label) || name,
    value,
    unit: telegram.units?.[name] ?? line?.[1].unit,
    timestamp: line && typeof line[1].time === 'string' ? line[1].time : telegram.timestamp,
  };
}

/** `gas`, `water`, `heat`: the device's reading with its capture time. */
function fromMbusDevice(telegram: P1Telegram, name: string, device: MbusDevice): PickedValue | null {
  if (!isUsable(device.reading)) return null;
  const code = Object.keys(telegram.obis ?? {}).find((c) => isReadingCode(c) && channelOf(c) === device.channel) ?? null;
  const definition = code ? lookupObis(code) : undefined;
  return {
    name,
    code,
    label: definition ? channelLabel(definition.label, device.channel) : name,
    value: device.reading,
    unit: device.unit ?? undefined,
    timestamp: device.readingTime ?? telegram.timestamp,
  };
}

/** Reading lines of an M-Bus channel: DSMR 4/5 `24.2.1`, Belgian `24.2.3`, DSMR 2.2/3 `24.3.0`. */
function isReadingCode(code: string): boolean {
  return /:24\.(2\.1|2\.3|3\.0)$/.test(code);
}

function isMbusDevice(value: unknown): value is MbusDevice {
  return typeof value === 'object' && value !== null && 'reading' in value && 'channel' in value;
}

function isUsable(value: unknown): value is number | string {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value !== '');
}

// ---------------------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------------------

const KILO_UNITS: Record<string, string> = { kw: 'W', kwh: 'Wh', kvar: 'var', kvarh: 'varh' };

/** kW→W, kWh→Wh, kvar→var, kvarh→varh (any spelling, e.g. `kVArh`); other values unchanged. */
export function scaleToBaseUnit(value: PickedValue): PickedValue {
  const base = value.unit ? KILO_UNITS[value.unit.toLowerCase()] : undefined;
  if (!base || typeof value.value !== 'number') return value;
  // toPrecision trims binary noise (0.333 * 1000 = 333.00000000000006).
  return { ...value, value: Number((value.value * 1000).toPrecision(15)), unit: base };
}

// ---------------------------------------------------------------------------------------
// Report-by-exception gate
// ---------------------------------------------------------------------------------------

export interface GateOptions {
  /** Pass a value only when it differs from the last one passed. */
  onlyOnChange: boolean;
  /** Pass a number only when it moved by more than this from the last one passed (0 = off). */
  deadband: number;
  /** Pass a value at most once per this many milliseconds (0 = off). */
  minIntervalMs: number;
}

/** Remembers the last value passed per key and decides whether a new one may go out. */
export class ValueGate {
  private readonly last = new Map<string, { value: number | string; at: number }>();

  constructor(private readonly options: GateOptions) {}

  /** Whether `value` for `key` would pass at time `now` (ms); does not remember it. */
  allows(key: string, value: number | string, now: number): boolean {
    const previous = this.last.get(key);
    if (!previous) return true;
    const { onlyOnChange, deadband, minIntervalMs } = this.options;
    if (minIntervalMs > 0 && now - previous.at < minIntervalMs) return false;
    if (deadband > 0 && typeof value === 'number' && typeof previous.value === 'number') {
      return Math.abs(value - previous.value) > deadband;
    }
    if (onlyOnChange || deadband > 0) return value !== previous.value;
    return true;
  }

  /** Records that `value` for `key` went out at `now`. */
  passed(key: string, value: number | string, now: number): void {
    this.last.set(key, { value, at: now });
  }
}

// ---------------------------------------------------------------------------------------
// Shaping into messages
// ---------------------------------------------------------------------------------------

export type FilterMode = 'split' | 'object' | 'ports';
export type TopicStyle = 'name' | 'code';

export interface SelectionOptions extends GateOptions {
  values: readonly string[];
  mode: FilterMode;
  topicStyle: TopicStyle;
  scaleToW: boolean;
}

/** Properties of one value message (split and ports modes). */
export interface ValueMessage {
  topic: string;
  payload: number | string;
  unit?: string;
  obis: string | null;
  timestamp: string | null;
  name: string;
  label: string;
}

/** Properties of the single message in object mode. */
export interface ObjectMessage {
  payload: Record<string, number | string>;
  units: Record<string, string>;
  obis: Record<string, string | null>;
  timestamp: string | null;
}

export type SelectionResult =
  | { mode: 'split'; messages: ValueMessage[] }
  | { mode: 'object'; message: ObjectMessage | null }
  /** One entry per selector, in `values` order: the messages for that output (empty = nothing to send). */
  | { mode: 'ports'; ports: ValueMessage[][] };

/** Picks, scales, gates and shapes the values of one telegram. Keep one instance per node. */
export class ObisSelection {
  private readonly selectors: Array<Selector | null>;
  private readonly gate: ValueGate;

  constructor(private readonly options: SelectionOptions) {
    this.selectors = options.values.map(parseSelector);
    this.gate = new ValueGate(options);
  }

  /** `now` in ms (inject a clock in tests). */
  apply(telegram: P1Telegram, now: number): SelectionResult {
    const perSelector = this.selectors.map((selector) => (selector ? this.pick(telegram, selector) : []));
    switch (this.options.mode) {
      case 'ports':
        return { mode: 'ports', ports: perSelector.map((values) => this.passing(values, now).map((v) => this.toMessage(v))) };
      case 'object':
        return { mode: 'object', message: this.toObject(telegram, unique(perSelector.flat(), this.key), now) };
      default:
        return { mode: 'split', messages: this.passing(unique(perSelector.flat(), this.key), now).map((v) => this.toMessage(v)) };
    }
  }

  private pick(telegram: P1Telegram, selector: Selector): PickedValue[] {
    const values = pickValues(telegram, selector);
    return this.options.scaleToW ? values.map(scaleToBaseUnit) : values;
  }

  private readonly key = (value: PickedValue): string => (this.options.topicStyle === 'code' && value.code ? value.code : value.name);

  private passing(values: PickedValue[], now: number): PickedValue[] {
    return values.filter((value) => {
      const key = this.key(value);
      if (!this.gate.allows(key, value.value, now)) return false;
      this.gate.passed(key, value.value, now);
      return true;
    });
  }

  private toMessage(value: PickedValue): ValueMessage {
    const message: ValueMessage = {
      topic: this.key(value),
      payload: value.value,
      obis: value.code,
      timestamp: value.timestamp,
      name: value.name,
      label: value.label,
    };
    if (value.unit) message.unit = value.unit;
    return message;
  }

  /** Object mode sends all chosen values together as soon as one of them passes the gate. */
  private toObject(telegram: P1Telegram, values: PickedValue[], now: number): ObjectMessage | null {
    if (values.length === 0) return null;
    if (!values.some((value) => this.gate.allows(this.key(value), value.value, now))) return null;
    const message: ObjectMessage = { payload: {}, units: {}, obis: {}, timestamp: telegram.timestamp };
    for (const value of values) {
      const key = this.key(value);
      this.gate.passed(key, value.value, now);
      message.payload[key] = value.value;
      message.obis[key] = value.code;
      if (value.unit) message.units[key] = value.unit;
    }
    return message;
  }
}

/** First occurrence of each key (a value chosen twice, e.g. by name and by pattern, goes out once). */
function unique(values: PickedValue[], key: (v: PickedValue) => string): PickedValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const k = key(value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
