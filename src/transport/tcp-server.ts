/**
 * Listens for bridges that push telegrams (some ESP firmwares connect out instead of serving).
 * The door (allow list, client limit, `'rejected'` reports) is ListeningTransport's; this adds an
 * idle timeout per client.
 *
 * Several clients may send at once: each chunk travels with its client's name
 * (`'data'`, chunk, "192.168.1.7:51234"), and `'stream-end'` says when that client is gone,
 * so the connection frames each client separately and forgets it exactly when its socket closes.
 */
import type * as net from 'node:net';
import { Backoff } from './backoff';
import { ListeningTransport } from './listening-transport';

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

export class TcpServerTransport extends ListeningTransport {
  private readonly idleTimeoutMs: number;

  constructor(options: TcpServerOptions) {
    const door = { bindAddress: options.bindAddress, port: options.port, limit: options.maxClients ?? 8, allowedClients: options.allowedClients ?? [] };
    super(new Backoff(1000, options.maxBackoffMs ?? 60_000), door, 'tcp server', 'client');
    this.idleTimeoutMs = options.clientIdleTimeoutMs ?? 60_000;
  }

  /** Disconnects one client, e.g. one that sends only garbage. */
  dropStream(stream: string, reason: string): void {
    const socket = this.connections.get(stream);
    if (socket) this.drop(stream, socket, reason);
  }

  protected admit(id: string, socket: net.Socket): void {
    if (this.idleTimeoutMs > 0) {
      socket.setTimeout(this.idleTimeoutMs);
      socket.on('timeout', () => this.drop(id, socket, `no data for ${Number((this.idleTimeoutMs / 1000).toFixed(1))} s`));
    }
    socket.on('data', (chunk: Buffer) => {
      if (this.connections.get(id) === socket) this.emit('data', chunk, id);
    });
  }

  protected override forget(id: string): void {
    this.emit('stream-end', id);
  }
}
