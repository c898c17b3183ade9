/**
 * The admin endpoint behind the p1-connection dialog's "Check line" button:
 * POST p1-connection/line-check with the dialog's (undeployed) settings answers with what the
 * chosen serial port or TCP bridge sends (see src/connection/line-check/).
 *
 * Guarded like a change to the connection (`p1-connection.write`), because it opens a port.
 * It reads nothing but that port: a serial path must be a listed port or a character device
 * under /dev. One check at a time. When a deployed p1-connection already reads the port, the
 * check listens along with it instead of opening the port a second time.
 */
import { promises as fs } from 'node:fs';
import { readConnectionSettings, type P1ConnectionConfig, type P1ConnectionCredentials } from '../../connection/connection-config';
import { runLineCheck, type LineSource, type RunningConnection } from '../../connection/line-check/line-check-run';
import type { LineCheckSetup, LineReading } from '../../connection/line-check/line-diagnosis';
import { createTransport, listSerialPorts, type TransportConfig } from '../../transport';
import { DSMR23_SETTINGS, DSMR45_SETTINGS, describeSettings, type SerialSettings } from '../../transport/serial';

/** The parts of the runtime API the endpoint uses. */
export interface LineCheckApi {
  httpAdmin: { post(path: string, ...handlers: unknown[]): void };
  auth?: { needsPermission(permission: string): unknown };
  nodes: {
    getNode(id: string): unknown;
    eachNode?(callback: (config: { id: string; type: string } & P1ConnectionConfig) => void): void;
    getCredentials?(id: string): P1ConnectionCredentials | undefined;
  };
}

interface CheckRequest {
  body?: unknown;
}

interface CheckResponse {
  json(body: unknown): void;
  status(code: number): { json(body: unknown): void };
}

/** Long enough for one telegram of a DSMR 2.2–4 meter, which sends every 10 s. */
const DEFAULT_SECONDS = 12;
const MAX_SECONDS = 30;
/** What a stored secret looks like when the editor sends the form back unchanged. */
const STORED_SECRET = '__PWRD__';

type SerialConfig = Extract<TransportConfig, { kind: 'serial' }>;
type TcpConfig = Extract<TransportConfig, { kind: 'tcp-client' }>;

export function registerLineCheckEndpoint(RED: LineCheckApi): void {
  const permission = RED.auth ? RED.auth.needsPermission('p1-connection.write') : passThrough;
  let running = false; // one check per Node-RED: two checks would fight over one port

  RED.httpAdmin.post('/p1-connection/line-check', permission, (req: CheckRequest, res: CheckResponse) => {
    if (running) {
      res.status(409).json({ code: 'busy', error: 'a line check is already running; try again when it has finished' });
      return;
    }
    running = true;
    check(RED, isRecord(req.body) ? req.body : {})
      .then(
        (answer) => (answer.ok ? res.json(answer.result) : res.status(400).json({ code: 'invalid', error: answer.error })),
        (err: unknown) => res.status(500).json({ code: 'failed', error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => (running = false));
  });
}

async function check(RED: LineCheckApi, body: Record<string, unknown>): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  const settings = readConnectionSettings(body as P1ConnectionConfig, credentialsFor(RED, body));
  if (!settings.ok) return { ok: false, error: settings.reason };
  const transport = settings.transport;
  if (transport.kind !== 'serial' && transport.kind !== 'tcp-client')
    return { ok: false, error: 'the line check reads serial ports and TCP bridges (TCP client)' };
  if (transport.kind === 'serial' && !(await isSerialPort(transport.path))) {
    return { ok: false, error: `${transport.path} is not a serial port of this machine` };
  }
  const listenMs = seconds(body.seconds) * 1000;
  const deployed = await findDeployed(RED, transport);
  const checked = deployed ? deployed.transport : transport;
  const setup: LineCheckSetup = { link: checked.kind === 'serial' ? 'serial' : 'tcp', reader: settings.reader, reading: readingOf(checked) };
  const source: LineSource = deployed
    ? { kind: 'shared', connection: deployed.connection }
    : { kind: 'own', transport: createTransport(ownTransport(transport, listenMs)) };
  return { ok: true, result: await runLineCheck(setup, source, listenMs) };
}

/** Keys typed into the dialog, or the stored ones when the dialog shows them as stored. */
function credentialsFor(RED: LineCheckApi, body: Record<string, unknown>): P1ConnectionCredentials {
  const stored = typeof body.id === 'string' ? (RED.nodes.getCredentials?.(body.id) ?? {}) : {};
  const pick = (name: 'decryptionKey' | 'authenticationKey') => {
    const typed = body[name];
    return typeof typed === 'string' && typed !== STORED_SECRET ? typed : stored[name];
  };
  return { decryptionKey: pick('decryptionKey'), authenticationKey: pick('authenticationKey') };
}

/** A port the serial-port list offers, a character device under /dev, or a Windows COM port. */
async function isSerialPort(path: string): Promise<boolean> {
  if ((await listSerialPorts()).some((port) => port.path === path)) return true;
  if (process.platform === 'win32') return /^COM\d+$/i.test(path);
  if (!/^\/dev\/[\w./-]+$/.test(path) || path.split('/').includes('..')) return false;
  try {
    return (await fs.stat(path)).isCharacterDevice();
  } catch {
    return false;
  }
}

/** The deployed connection that already reads this port or bridge, if any. */
async function findDeployed(
  RED: LineCheckApi,
  wanted: SerialConfig | TcpConfig,
): Promise<{ connection: RunningConnection; transport: SerialConfig | TcpConfig } | undefined> {
  const candidates: Array<{ id: string; transport: SerialConfig | TcpConfig }> = [];
  RED.nodes.eachNode?.((config) => {
    if (config.type !== 'p1-connection') return;
    const settings = readConnectionSettings(config);
    if (settings.ok && (settings.transport.kind === 'serial' || settings.transport.kind === 'tcp-client'))
      candidates.push({ id: config.id, transport: settings.transport });
  });
  for (const candidate of candidates) {
    if (!(await sameSource(candidate.transport, wanted))) continue;
    const connection = (RED.nodes.getNode(candidate.id) as { connection?: unknown } | null)?.connection;
    if (isRunningConnection(connection)) return { connection, transport: candidate.transport };
  }
  return undefined;
}

async function sameSource(a: SerialConfig | TcpConfig, b: SerialConfig | TcpConfig): Promise<boolean> {
  if (a.kind === 'tcp-client' && b.kind === 'tcp-client') return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
  if (a.kind === 'serial' && b.kind === 'serial') return a.path === b.path || (await realPath(a.path)) === (await realPath(b.path));
  return false;
}

function isRunningConnection(value: unknown): value is RunningConnection {
  return isRecord(value) && typeof value.observeBytes === 'function' && typeof value.subscribe === 'function';
}

/** How a serial port reads; auto-detect is checked at DSMR 4/5 settings (the verdict says when the other fits). */
function readingOf(transport: SerialConfig | TcpConfig): LineReading | undefined {
  if (transport.kind !== 'serial') return undefined;
  const settings = serialSettings(transport);
  return { baudRate: settings.baudRate, dataBits: settings.dataBits, description: describeSettings(settings) };
}

function serialSettings(transport: SerialConfig): SerialSettings {
  if (transport.framing === 'dsmr23') return DSMR23_SETTINGS;
  if (transport.framing !== 'custom') return DSMR45_SETTINGS;
  const { baudRate = 115200, dataBits = 8, parity = 'none', stopBits = 1 } = transport;
  return { baudRate, dataBits, parity, stopBits };
}

/** The check's own link: fixed serial settings, and no retry wait longer than the check. */
function ownTransport(transport: SerialConfig | TcpConfig, listenMs: number): TransportConfig {
  if (transport.kind === 'tcp-client') {
    return { ...transport, connectTimeoutMs: Math.min(transport.connectTimeoutMs ?? listenMs, listenMs), idleTimeoutMs: 0 };
  }
  const settings = serialSettings(transport);
  return { kind: 'serial', path: transport.path, framing: 'custom', ...settings };
}

function seconds(value: unknown): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n)) return DEFAULT_SECONDS;
  return Math.min(MAX_SECONDS, Math.max(1, n));
}

async function realPath(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch {
    return path;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function passThrough(_req: unknown, _res: unknown, next: () => void): void {
  next();
}
