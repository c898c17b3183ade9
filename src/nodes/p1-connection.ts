/**
 * p1-connection: the config node that owns one meter source (serial port, TCP client/server,
 * replay file or simulator) and shares its telegrams with every p1-in that uses it, and, when
 * asked, with other programs through the splitter's TCP port.
 *
 * The work is done by MeterConnection; this file reads the node's config and credentials,
 * limits how often each kind of problem is logged, turns connection states into node status
 * for the p1-in nodes, lets two connections on one serial port share it, and makes Node-RED
 * wait on close until the port or socket is really released, so that a redeploy never finds
 * the port busy.
 */
import { createTransport, listSerialPorts, SplitterServer, type SplitterOptions, type TransportConfig } from '../transport';
import { readConnectionSettings, type P1ConnectionConfig, type P1ConnectionCredentials } from '../connection/connection-config';
import { FailedConnection, MeterConnection, type ConnectionHandle } from '../connection/meter-connection';
import { ProblemLog } from '../connection/problem-log';
import { TransportPool } from '../connection/shared-transport';
import type { Transport } from '../transport/transport';
import type { P1ConnectionNode } from './common/connection-node';
import type { NodeDef, NodeRedApi } from './common/node-red';
import { describeState, statusFor } from './common/node-status';
import { registerLineCheckEndpoint, type LineCheckApi } from './p1-connection/line-check-endpoint';

export = function registerP1Connection(RED: NodeRedApi): void {
  // One per runtime: config nodes on the same serial port share it instead of opening it twice.
  const serialPorts = new TransportPool();

  function P1Connection(this: P1ConnectionNode, config: P1ConnectionConfig & NodeDef) {
    RED.nodes.createNode(this, config);
    this.statusFor = (state) => statusFor(state, RED._);
    this.describe = (state) => describeState(state, RED._);
    this.connection = openConnection(this, config, (this.credentials ?? {}) as P1ConnectionCredentials, serialPorts);
  }

  RED.nodes.registerType('p1-connection', P1Connection, {
    credentials: { decryptionKey: { type: 'password' }, authenticationKey: { type: 'password' } },
  });

  // The editor's serial-port picker.
  const permission = RED.auth ? RED.auth.needsPermission('p1-connection.read') : passThrough;
  RED.httpAdmin.get('/p1-connection/serial-ports', permission, (_req: unknown, res: SerialPortsResponse) => {
    listSerialPorts().then(
      (ports) => res.json(ports),
      (err: unknown) => res.status(500).json({ error: err instanceof Error ? err.message : String(err) }),
    );
  });

  // The dialog's "Check line" button.
  registerLineCheckEndpoint(RED as unknown as LineCheckApi);
};

interface SerialPortsResponse {
  json(body: unknown): void;
  status(code: number): { json(body: unknown): void };
}

function passThrough(_req: unknown, _res: unknown, next: () => void): void {
  next();
}

function openConnection(
  node: P1ConnectionNode,
  config: P1ConnectionConfig & NodeDef,
  credentials: P1ConnectionCredentials,
  serialPorts: TransportPool,
): ConnectionHandle {
  const settings = readConnectionSettings(config, credentials);
  if (!settings.ok) return failed(node, settings.source, settings.reason);

  let connection: MeterConnection;
  // A serial port is leased from the pool (shared with other connections on it) and handed back on close.
  let releasePort = () => {};
  const warnings = new ProblemLog((message) => node.warn(message));
  const errors = new ProblemLog((message) => node.error(message));
  try {
    let transport: Transport;
    if (settings.transport.kind === 'serial') {
      const lease = leaseSerialPort(serialPorts, settings.transport, config);
      if (!lease.ok) return failed(node, settings.source, lease.reason);
      transport = lease.transport;
      releasePort = () => lease.transport.release();
    } else {
      transport = createTransport(settings.transport);
    }
    connection = new MeterConnection(
      settings.source,
      transport,
      settings.reader,
      {
        problem: (message, kind) => warnings.report(message, kind),
        failure: (message) => errors.report(message, 'failure'),
        recovered: () => {
          warnings.clear();
          errors.clear();
        },
      },
      settings.splitter && new SplitterServer(settings.splitter),
    );
  } catch (err) {
    return failed(node, settings.source, err instanceof Error ? err.message : String(err));
  }

  const open = openServerWarning(settings.transport);
  if (open) node.warn(open);
  const openSplitter = settings.splitter && openSplitterWarning(settings.splitter);
  if (openSplitter) node.warn(openSplitter);
  node.on('close', (_removed, done) => {
    // Node-RED starts the replacement only after done(): call it once the port is really free.
    connection.shutdown().then(() => {
      releasePort();
      warnings.close();
      errors.close();
      done();
    }, done);
  });
  return connection;
}

/** The serial port's shared transport; the same port with other settings (framing, "dsmr45" or "custom 9600 7 even 1") cannot be shared. */
function leaseSerialPort(pool: TransportPool, config: Extract<TransportConfig, { kind: 'serial' }>, node: NodeDef) {
  const { kind: _kind, path, ...framing } = config;
  const settings = Object.values(framing)
    .filter((value) => value !== undefined)
    .join(' ');
  return pool.lease(path, settings, `p1-connection "${node.name || node.id}"`, () => createTransport(config));
}

/** A TCP server on every interface without an allow list takes telegrams from anyone on the network: say so. */
function openServerWarning(transport: TransportConfig): string | undefined {
  if (transport.kind !== 'tcp-server' || (transport.allowedClients ?? []).length > 0) return undefined;
  if (!listensEverywhere(transport.bindAddress)) return undefined;
  return `tcp server on port ${transport.port} listens on all interfaces and accepts any client: anyone on the network can send it telegrams. Set "Allowed clients", or listen on one address.`;
}

/** A splitter on every interface without an allow list shows the meter's readings to anyone on the network: say so. */
function openSplitterWarning(splitter: SplitterOptions): string | undefined {
  if (splitter.allowedClients.length > 0 || !listensEverywhere(splitter.bindAddress)) return undefined;
  return `splitter on port ${splitter.port} listens on all interfaces and serves anyone: everyone on the network can read the meter. Set "Allowed clients", or listen on one address.`;
}

function listensEverywhere(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function failed(node: P1ConnectionNode, source: string, reason: string): ConnectionHandle {
  node.error(`invalid configuration: ${reason}`);
  return new FailedConnection(source, reason);
}
