/**
 * Listens for bridges that push telegrams (some ESP firmwares connect out instead of serving).
 * A port on a LAN is open to every host on it, so the server defends itself: an optional
 * allow list of addresses and ranges, a limit on clients at once, and an idle timeout per
 * client. Every refused or dropped client is reported as a `'rejected'` event, once.
 *
 * Several clients may send at once: each chunk travels with its client's name
 * (`'data'`, chunk, "192.168.1.7:51234"), and `'stream-end'` says when that client is gone,
 * so the connection frames each client separately and forgets it exactly when its socket closes.
 */
import * as net from 'node:net';
import { AllowList } from './allow-list';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import { clientName, describeListenError, destroySocket, formatHost, refusalReason } from './server-sockets';
import type { ClientRejection } from './transport';

export interface TcpServerOptions {
  bindAddress: string;
  port: number;
  /** Clients connected at once; one more is refused. Default 8. */
  maxClients?: number;
  /** A client that sends nothing for this long is disconnected; 0 = never. Default 60 s. */
  clientIdleTimeoutMs?: number;
  /** Addresses and CIDR ranges (checked by `parseAllowList`) allowed to connect; empty = anyone. */
  allowedClients?: readonly string[];
  /** Cap of the retry delay when listening fails (1 s doubling). Default 60 s. */
  maxBackoffMs?: number;
}

export class TcpServerTransport extends BaseTransport {
  readonly description: string;
  private readonly address: string;
  private readonly maxClients: number;
  private readonly idleTimeoutMs: number;
  private readonly allowList: AllowList | undefined;
  private server: net.Server | undefined;
  private readonly clients = new Map<string, net.Socket>();

  constructor(private readonly options: TcpServerOptions) {
    super(new Backoff(1000, options.maxBackoffMs ?? 60_000));
    this.address = `${formatHost(options.bindAddress)}:${options.port}`;
    this.description = `tcp server ${this.address}`;
    this.maxClients = options.maxClients ?? 8;
    this.idleTimeoutMs = options.clientIdleTimeoutMs ?? 60_000;
    const allowed = options.allowedClients ?? [];
    this.allowList = allowed.length > 0 ? new AllowList(allowed) : undefined;
  }

  /** Disconnects one client, e.g. one that sends only garbage. */
  dropStream(stream: string, reason: string): void {
    const socket = this.clients.get(stream);
    if (socket) this.drop(stream, socket, reason);
  }

  protected connect(): void {
    this.report({ state: 'connecting', detail: `listening on ${this.address}` });
    const server = net.createServer((socket) => this.accept(server, socket));
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server === this.server) this.retryLater(describeListenError(err, this.options.bindAddress, this.options.port));
    });
    server.on('listening', () => {
      if (server !== this.server) return;
      this.backoff.reset();
      this.reportListening();
    });
    server.listen({ host: this.options.bindAddress, port: this.options.port });
  }

  private accept(server: net.Server, socket: net.Socket): void {
    socket.on('error', () => socket.destroy()); // 'close' follows; one client's trouble is not the server's
    if (server !== this.server) {
      socket.destroy();
      return;
    }
    const id = clientName(socket);
    const refusal = refusalReason(socket, this.allowList, this.clients.size, this.maxClients, 'client');
    if (refusal) {
      this.refuse(id, socket, refusal);
      return;
    }
    this.clients.set(id, socket);
    socket.setKeepAlive(true, 15_000);
    if (this.idleTimeoutMs > 0) {
      socket.setTimeout(this.idleTimeoutMs);
      socket.on('timeout', () => this.drop(id, socket, `no data for ${Number((this.idleTimeoutMs / 1000).toFixed(1))} s`));
    }
    socket.on('data', (chunk: Buffer) => {
      if (this.clients.get(id) === socket) this.emit('data', chunk, id);
    });
    socket.on('close', () => {
      if (this.clients.get(id) !== socket) return;
      this.clients.delete(id);
      this.emit('stream-end', id);
      if (server === this.server) this.reportListening();
    });
    this.reportListening();
  }

  private refuse(client: string, socket: net.Socket, reason: string): void {
    socket.destroy();
    this.emit('rejected', { kind: 'refused', client, reason } satisfies ClientRejection);
  }

  private drop(client: string, socket: net.Socket, reason: string): void {
    // Reported before the socket's 'close' ends its stream, so the reason comes first.
    if (!socket.destroyed) this.emit('rejected', { kind: 'dropped', client, reason } satisfies ClientRejection);
    socket.destroy();
  }

  private reportListening(): void {
    const n = this.clients.size;
    this.report({ state: 'connected', detail: `listening on ${this.address}, ${n} client${n === 1 ? '' : 's'}` });
  }

  protected async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const sockets = [...this.clients.values()];
    this.clients.clear();
    const closing = sockets.map(destroySocket);
    if (server?.listening) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closing);
  }
}
