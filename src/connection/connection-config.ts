/**
 * Turns a p1-connection's editor configuration (strings and numbers as the flow file stores
 * them) into a transport configuration and reader options, or a clear reason why it is invalid.
 * Pure: validation happens here once, so the runtime never opens a port with nonsense settings.
 */
import { MAX_TELEGRAM_SIZE } from '../protocol/framer';
import type { ReaderOptions } from '../protocol/reader';
import { parseAllowList, type SerialFraming, type SplitterOptions, type TransportConfig } from '../transport';

/** The meter clock's zone when none is configured (same offsets as Brussels and Luxembourg). */
export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

/**
 * Each numeric option's default and bounds, the one home of these facts: the editors
 * (nodes/p1-connection.html, nodes/p1-parse.html) keep a copy for validation, and a test
 * checks that copy against this table. Durations are in seconds, as the editor shows them.
 */
export const OPTION_LIMITS = {
  /** Bytes. The upper bound keeps one hostile "telegram" from holding much memory. */
  maxTelegramSize: { default: 8192, min: 256, max: MAX_TELEGRAM_SIZE },
  connectTimeout: { default: 10, min: 0 },
  idleTimeout: { default: 30, min: 0 },
  /** Retrying without a pause would hammer the bridge (and the log) in a tight loop. */
  maxBackoff: { default: 60, min: 1 },
  /** TCP server: clients connected at once. A meter needs one; a few spare for a bridge reconnecting. */
  maxClients: { default: 8, min: 1, max: 64 },
  /** TCP server: a client silent this long is disconnected (0 = never). */
  clientIdleTimeout: { default: 60, min: 0 },
  baudRate: { default: 115200, min: 50, max: 4_000_000 },
  replayInterval: { default: 0, min: 0 },
  /** Must be more than 0. */
  simulatorInterval: { default: 1, min: 0 },
  /** Splitter: readers connected at once (Home Assistant, DSMR-reader, …). */
  splitterMaxReaders: { default: 8, min: 1, max: 64 },
} as const;

export type SourceKind = 'serial' | 'tcp-client' | 'tcp-server' | 'replay' | 'simulator' | 'http';

/** The p1-connection node's properties, as the editor saves them (numbers may arrive as strings). */
export interface P1ConnectionConfig {
  name?: string;
  source?: string;
  serialPort?: string;
  serialFraming?: string;
  baudRate?: number | string;
  dataBits?: number | string;
  parity?: string;
  stopBits?: number | string;
  host?: string;
  port?: number | string;
  connectTimeout?: number | string;
  idleTimeout?: number | string;
  maxBackoff?: number | string;
  bindAddress?: string;
  listenPort?: number | string;
  maxClients?: number | string;
  clientIdleTimeout?: number | string;
  /** Addresses and CIDR ranges, separated by commas or spaces; empty = any client. */
  allowedClients?: string;
  replayFile?: string;
  replayInterval?: number | string;
  replayLoop?: boolean | string;
  simulatorProfile?: string;
  simulatorInterval?: number | string;
  httpHost?: string;
  httpPort?: number | string;
  httpPath?: string;
  httpInterval?: number | string;
  crcPolicy?: string;
  timezone?: string;
  maxTelegramSize?: number | string;
  allowUnauthenticated?: boolean | string;
  /** Serve every good telegram on a TCP port (the splitter). */
  splitter?: boolean | string;
  splitterBindAddress?: string;
  splitterPort?: number | string;
  splitterAllowedClients?: string;
  splitterMaxReaders?: number | string;
}

export interface P1ConnectionCredentials {
  decryptionKey?: string;
  authenticationKey?: string;
}

export type ConnectionSettings =
  | { ok: true; source: SourceKind; transport: TransportConfig; reader: ReaderOptions; splitter?: SplitterOptions }
  | { ok: false; source: string; reason: string };

export type ReaderSettings = { ok: true; reader: ReaderOptions } | { ok: false; reason: string };

class ConfigError extends Error {}

/** Just the reader part (CRC policy, time zone, size limit, keys): what p1-parse needs. */
export function readReaderSettings(
  config: Pick<P1ConnectionConfig, 'crcPolicy' | 'timezone' | 'maxTelegramSize' | 'allowUnauthenticated'>,
  credentials: P1ConnectionCredentials = {},
): ReaderSettings {
  try {
    return { ok: true, reader: readerOptions(config, credentials) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, reason: err.message };
    throw err;
  }
}

export function readConnectionSettings(config: P1ConnectionConfig, credentials: P1ConnectionCredentials = {}): ConnectionSettings {
  const source = config.source ?? 'serial';
  try {
    const settings: ConnectionSettings = {
      ok: true,
      source: source as SourceKind,
      transport: transportConfig(source, config),
      reader: readerOptions(config, credentials),
    };
    if (config.splitter === true || config.splitter === 'true') settings.splitter = splitterConfig(config);
    return settings;
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, source, reason: err.message };
    throw err;
  }
}

/**
 * The HTTP dongle source's defaults and bounds, their one home (the editor keeps a copy that a
 * test compares): the HomeWizard P1 meter's raw-telegram URL (local API v1), and the poll
 * interval in seconds. HomeWizard advises at most one request per 500 ms; a minute is six
 * times the slowest meter's interval (DSMR 2.2–4: 10 s), slower is what p1-in's rate limit is for.
 */
export const HTTP_SOURCE = {
  port: 80,
  path: '/api/v1/telegram',
  interval: { default: 1, min: 0.5, max: 60 },
} as const;

function httpConfig(c: P1ConnectionConfig): TransportConfig {
  const { interval } = HTTP_SOURCE;
  const seconds = c.httpInterval === undefined || c.httpInterval === '' ? interval.default : Number(c.httpInterval);
  if (!Number.isFinite(seconds) || seconds < interval.min || seconds > interval.max) {
    throw new ConfigError(`poll interval "${c.httpInterval}" must be from ${interval.min} to ${interval.max} seconds`);
  }
  const port = c.httpPort === undefined || c.httpPort === '' ? HTTP_SOURCE.port : portNumber(c.httpPort);
  return { kind: 'http', host: hostName(c.httpHost), port, path: urlPath(c.httpPath), intervalMs: Math.round(seconds * 1000) };
}

/** The path part of the dongle's URL; empty means the HomeWizard one. */
function urlPath(value: unknown): string {
  const path = text(value) || HTTP_SOURCE.path;
  if (!/^\/[!-~]*$/.test(path)) throw new ConfigError(`path "${path}" must start with / and contain no spaces`);
  return path;
}

/** The splitter listens on this machine only unless told otherwise: readers usually run next to Node-RED. */
const DEFAULT_SPLITTER_ADDRESS = '127.0.0.1';

function splitterConfig(c: P1ConnectionConfig): SplitterOptions {
  const limits = OPTION_LIMITS.splitterMaxReaders;
  return {
    bindAddress: text(c.splitterBindAddress) || DEFAULT_SPLITTER_ADDRESS,
    port: portNumber(c.splitterPort, 'splitter'),
    maxReaders: bounded(integer(c.splitterMaxReaders, limits.default, 'splitter reader limit'), limits, 'splitter reader limit'),
    allowedClients: allowList(c.splitterAllowedClients, 'splitter allowed clients'),
  };
}

function transportConfig(source: string, c: P1ConnectionConfig): TransportConfig {
  switch (source) {
    case 'serial':
      return serialConfig(c);
    case 'tcp-client': {
      const maxBackoffMs = seconds(c.maxBackoff, 'maxBackoff', 'maximum backoff');
      if (maxBackoffMs < OPTION_LIMITS.maxBackoff.min * 1000) throw new ConfigError(`maximum backoff must be at least ${OPTION_LIMITS.maxBackoff.min} s`);
      return {
        kind: 'tcp-client',
        host: hostName(c.host),
        port: portNumber(c.port),
        connectTimeoutMs: seconds(c.connectTimeout, 'connectTimeout', 'connect timeout'),
        idleTimeoutMs: seconds(c.idleTimeout, 'idleTimeout', 'idle timeout'),
        maxBackoffMs,
      };
    }
    case 'tcp-server':
      return {
        kind: 'tcp-server',
        bindAddress: listenAddress(c.bindAddress),
        port: portNumber(c.listenPort),
        maxClients: bounded(integer(c.maxClients, OPTION_LIMITS.maxClients.default, 'client limit'), OPTION_LIMITS.maxClients, 'client limit'),
        clientIdleTimeoutMs: seconds(c.clientIdleTimeout, 'clientIdleTimeout', 'client idle timeout'),
        allowedClients: allowList(c.allowedClients),
      };
    case 'replay':
      return {
        kind: 'replay',
        file: requiredText(c.replayFile, 'no replay file given'),
        intervalMs: seconds(c.replayInterval, 'replayInterval', 'replay interval'),
        loop: c.replayLoop === true || c.replayLoop === 'true',
      };
    case 'simulator': {
      const profile = text(c.simulatorProfile) || 'nl-dsmr5';
      if (profile !== 'nl-dsmr5' && profile !== 'be-fluvius') throw new ConfigError(`unknown simulator profile "${profile}"`);
      const intervalMs = seconds(c.simulatorInterval, 'simulatorInterval', 'simulator interval');
      if (intervalMs <= 0) throw new ConfigError('simulator interval must be more than 0 s');
      return { kind: 'simulator', profile, intervalMs };
    }
    case 'http':
      return httpConfig(c);
    default:
      throw new ConfigError(`unknown source "${source}"`);
  }
}

const FRAMINGS: readonly SerialFraming[] = ['dsmr45', 'dsmr23', 'auto', 'custom'];

function serialConfig(c: P1ConnectionConfig): TransportConfig {
  const path = requiredText(c.serialPort, 'no serial port given');
  const framing = (text(c.serialFraming) || 'dsmr45') as SerialFraming;
  if (!FRAMINGS.includes(framing)) throw new ConfigError(`unknown serial framing "${framing}"`);
  if (framing !== 'custom') return { kind: 'serial', path, framing };
  const baudRate = integer(c.baudRate, OPTION_LIMITS.baudRate.default, 'baud rate');
  if (baudRate < OPTION_LIMITS.baudRate.min || baudRate > OPTION_LIMITS.baudRate.max) throw new ConfigError(`baud rate ${baudRate} is out of range`);
  const dataBits = integer(c.dataBits, 8, 'data bits');
  if (dataBits !== 7 && dataBits !== 8) throw new ConfigError('data bits must be 7 or 8');
  const parity = text(c.parity) || 'none';
  if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new ConfigError(`unknown parity "${parity}"`);
  const stopBits = integer(c.stopBits, 1, 'stop bits');
  if (stopBits !== 1 && stopBits !== 2) throw new ConfigError('stop bits must be 1 or 2');
  return { kind: 'serial', path, framing, baudRate, dataBits, parity, stopBits };
}

function readerOptions(
  c: Pick<P1ConnectionConfig, 'crcPolicy' | 'timezone' | 'maxTelegramSize' | 'allowUnauthenticated'>,
  credentials: P1ConnectionCredentials,
): ReaderOptions {
  const crcPolicy = text(c.crcPolicy) || 'drop';
  if (crcPolicy !== 'drop' && crcPolicy !== 'flag') throw new ConfigError(`unknown CRC policy "${crcPolicy}"`);
  const timezone = text(c.timezone) || DEFAULT_TIME_ZONE;
  if (!isTimeZone(timezone)) throw new ConfigError(`unknown time zone "${timezone}"`);
  const size = OPTION_LIMITS.maxTelegramSize;
  const maxTelegramSize = integer(c.maxTelegramSize, size.default, 'maximum telegram size');
  if (maxTelegramSize < size.min || maxTelegramSize > size.max) {
    throw new ConfigError(`maximum telegram size must be from ${size.min} to ${size.max} bytes`);
  }
  const options: ReaderOptions = { crcPolicy, timezone, maxTelegramSize };
  if (c.allowUnauthenticated === true || c.allowUnauthenticated === 'true') options.allowUnauthenticated = true;
  const decryptionKey = text(credentials.decryptionKey);
  const authenticationKey = text(credentials.authenticationKey);
  // The messages name the key but never show it.
  if (decryptionKey) options.decryptionKey = hexKey(decryptionKey, 'decryption key');
  if (authenticationKey) options.authenticationKey = hexKey(authenticationKey, 'authentication key');
  return options;
}

function hexKey(value: string, what: string): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(compact)) throw new ConfigError(`the ${what} must be 32 hexadecimal digits (16 bytes)`);
  return compact;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** An IPv4 or IPv6 address of this machine; empty: every IPv4 interface. A host name would be looked up at each start: refused. */
function listenAddress(value: unknown): string {
  const address = text(value);
  if (!address) return '0.0.0.0';
  const parsed = parseAllowList(address);
  if (!parsed.ok || parsed.entries.length !== 1 || address.includes('/'))
    throw new ConfigError(`listen address "${address}" is not an IP address (e.g. 0.0.0.0, 192.168.1.10 or ::)`);
  return address;
}

function requiredText(value: unknown, reason: string): string {
  const result = text(value);
  if (!result) throw new ConfigError(reason);
  return result;
}

/** A host name or IP address; catches the common mistake of pasting a URL ("http://…/"). */
function hostName(value: unknown): string {
  const host = requiredText(value, 'no host given');
  if (!/^[A-Za-z0-9._:-]+$/.test(host)) throw new ConfigError(`host "${host}" is not a host name or IP address`);
  return host;
}

function portNumber(value: unknown, what = ''): number {
  const port = Number(value);
  if (value === '' || value === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${what ? `${what} ` : ''}port "${value ?? ''}" is not a number from 1 to 65535`);
  }
  return port;
}

function integer(value: unknown, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${what} "${value}" is not a whole number`);
  return n;
}

function bounded(n: number, limits: { min: number; max: number }, what: string): number {
  if (n < limits.min || n > limits.max) throw new ConfigError(`${what} must be from ${limits.min} to ${limits.max}`);
  return n;
}

/** The allowed-clients list, checked here so that a typo fails the node instead of refusing every client. */
function allowList(value: unknown, what = 'allowed clients'): string[] {
  const parsed = parseAllowList(text(value));
  if (!parsed.ok) throw new ConfigError(`${what}: ${parsed.reason}`);
  return parsed.entries;
}

/** A duration the editor gives in seconds, as milliseconds; empty means the option's default. */
function seconds(value: unknown, option: keyof typeof OPTION_LIMITS, what: string): number {
  if (value === undefined || value === '') return OPTION_LIMITS[option].default * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${what} "${value}" must be 0 or more seconds`);
  return Math.round(n * 1000);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
