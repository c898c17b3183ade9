/**
 * p1-connection: the config node that owns one meter source (serial port, TCP client/server,
 * replay file or simulator) and shares its telegrams with every p1-in that uses it.
 *
 * The work is done by MeterConnection; this file reads the node's config and credentials,
 * routes log lines through repeat filters, and makes Node-RED wait on close until the port or
 * socket is really released, so that a redeploy never finds the port busy.
 */
import { createTransport, listSerialPorts } from '../transport';
import { readConnectionSettings, type P1ConnectionConfig, type P1ConnectionCredentials } from '../connection/connection-config';
import { FailedConnection, MeterConnection, type ConnectionHandle } from '../connection/meter-connection';
import type { NodeDef, NodeRedApi, RuntimeNode, Translate } from './shared/node-red';
import { RepeatFilter } from '../connection/repeat-filter';
import { registerLineCheckEndpoint, type LineCheckApi } from './p1-connection/line-check-endpoint';

interface P1ConnectionNode extends RuntimeNode {
  connection: ConnectionHandle;
}

export = function registerP1Connection(RED: NodeRedApi): void {
  function P1Connection(this: P1ConnectionNode, config: P1ConnectionConfig & NodeDef) {
    RED.nodes.createNode(this, config);
    this.connection = openConnection(this, config, (this.credentials ?? {}) as P1ConnectionCredentials, RED._);
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

function openConnection(node: P1ConnectionNode, config: P1ConnectionConfig, credentials: P1ConnectionCredentials, translate: Translate): ConnectionHandle {
  const settings = readConnectionSettings(config, credentials);
  if (!settings.ok) return failed(node, settings.source, settings.reason, translate);

  let connection: MeterConnection;
  try {
    const warnings = new RepeatFilter((message) => node.warn(message));
    const errors = new RepeatFilter((message) => node.error(message));
    connection = new MeterConnection(settings.source, createTransport(settings.transport), settings.reader, {
      problem: (message, kind) => warnings.report(message, kind),
      failure: (message) => errors.report(message),
      recovered: () => {
        warnings.clear();
        errors.clear();
      },
    }, translate);
  } catch (err) {
    return failed(node, settings.source, err instanceof Error ? err.message : String(err), translate);
  }

  node.on('close', (_removed, done) => {
    // Node-RED starts the replacement only after done(): call it once the port is really free.
    connection.shutdown().then(done, done);
  });
  return connection;
}

function failed(node: P1ConnectionNode, source: string, reason: string, translate: Translate): ConnectionHandle {
  node.error(`invalid configuration: ${reason}`);
  return new FailedConnection(source, reason, translate);
}
