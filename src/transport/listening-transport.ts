/**
 * What the two TCP servers (the TCP server source and the telegram splitter) share: listening
 * with retry, and the door. A port on a LAN is open to every host on it, so whoever connects
 * passes an optional allow list and a limit on connections at once; every refusal and drop is
 * reported once as a `'rejected'` event. `close()` resolves only once every socket and the
 * listening socket are really gone, so a redeploy never finds the port busy.
 *
 * A subclass says what a connection that came in does (`admit`) and what it is called
 * ("client", "reader"); it keeps its own per-connection state.
 */
import * as net from 'node:net';
import { AllowList } from './allow-list';
import type { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import type { ClientRejection } from './transport';

export interface ListeningOptions {
  bindAddress: string;
  port: number;
  /** Connections at once; one more is refused. */
  limit: number;
  /** Addresses and CIDR ranges (checked by `parseAllowList`) allowed to connect; empty = anyone. */
  allowedClients: readonly string[];
}

export abstract class ListeningTransport extends BaseTransport {
  readonly description: string;
  /** The sockets let in, by their name ("192.168.1.7:51234"). */
  protected readonly connections = new Map<string, net.Socket>();
  private readonly address: string;
  private readonly allowList: AllowList | undefined;
  private server: net.Server | undefined;

  protected constructor(
    backoff: Backoff,
    private readonly door: ListeningOptions,
    kind: string,
    /** What one connection is called in states and refusals: "client", "reader". */
    private readonly noun: string,
  ) {
    super(backoff);
    this.address = `${formatHost(door.bindAddress)}:${door.port}`;
    this.description = `${kind} ${this.address}`;
    this.allowList = door.allowedClients.length > 0 ? new AllowList(door.allowedClients) : undefined;
  }

  /** Sets up a socket that was let in under `id`; it is already in `connections`. */
  protected abstract admit(id: string, socket: net.Socket): void;

  /** Called once a let-in socket has closed and left `connections`. */
  protected forget(_id: string): void {}

  protected connect(): void {
    this.report({ state: 'connecting', detail: `listening on ${this.address}` });
    const server = net.createServer((socket) => this.accept(server, socket));
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server === this.server) this.retryLater(describeListenError(err, this.door.bindAddress, this.door.port));
    });
    server.on('listening', () => {
      if (server !== this.server) return;
      this.backoff.reset();
      this.reportListening();
    });
    server.listen({ host: this.door.bindAddress, port: this.door.port });
  }

  /** Disconnects one connection and reports why, before its 'close' arrives. */
  protected drop(id: string, socket: net.Socket, reason: string): void {
    if (!socket.destroyed) this.reject({ kind: 'dropped', client: id, reason });
    socket.destroy();
  }

  /** Reports a refusal or a drop; a subclass may count it too. */
  protected reject(rejection: ClientRejection): void {
    this.emit('rejected', rejection);
  }

  protected reportListening(): void {
    const n = this.connections.size;
    this.report({ state: 'connected', detail: `listening on ${this.address}, ${n} ${this.noun}${n === 1 ? '' : 's'}` });
  }

  protected async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const sockets = [...this.connections.values()];
    this.connections.clear();
    const closing = sockets.map(destroySocket);
    if (server?.listening) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closing);
  }

  private accept(server: net.Server, socket: net.Socket): void {
    socket.on('error', () => socket.destroy()); // 'close' follows; one connection's trouble is nobody else's
    if (server !== this.server) {
      socket.destroy();
      return;
    }
    const id = clientName(socket);
    const refusal = this.refusalReason(socket);
    if (refusal) {
      socket.destroy();
      this.reject({ kind: 'refused', client: id, reason: refusal });
      return;
    }
    this.connections.set(id, socket);
    socket.setKeepAlive(true, 15_000); // a peer gone without a FIN is found even when nothing flows
    socket.on('close', () => {
      if (this.connections.get(id) !== socket) return;
      this.connections.delete(id);
      this.forget(id);
      if (server === this.server) this.reportListening();
    });
    this.admit(id, socket);
    this.reportListening();
  }

  private refusalReason(socket: net.Socket): string | undefined {
    if (this.allowList && !this.allowList.allows(socket.remoteAddress)) return 'not in the allowed clients';
    const limit = this.door.limit;
    if (this.connections.size >= limit) return `already ${limit} ${this.noun}${limit === 1 ? '' : 's'} connected (the limit)`;
    return undefined;
  }
}

/** "192.168.1.7:51234", "[fd00::7]:51234". */
function clientName(socket: net.Socket): string {
  return `${formatHost(socket.remoteAddress ?? '?')}:${socket.remotePort}`;
}

function destroySocket(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A listening failure in words a user can act on. */
function describeListenError(err: NodeJS.ErrnoException, bindAddress: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${formatHost(bindAddress)}`;
    case 'EACCES':
      return `no permission to listen on port ${port} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `${bindAddress} is not an address of this machine`;
    default:
      return `cannot listen on ${formatHost(bindAddress)}:${port}: ${err.message}`;
  }
}
