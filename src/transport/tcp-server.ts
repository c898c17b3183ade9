import * as net from 'node:net';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';

export interface TcpServerOptions {
  bindAddress: string;
  port: number;
  /** Cap of the retry delay when listening fails (1 s doubling). Default 60 s. */
  maxBackoffMs?: number;
}

/**
 * Listens for bridges that push telegrams (some ESP firmwares connect out instead of
 * serving). Several clients may send at once: before every chunk a `'source'` event names
 * the client ("192.168.1.7:51234") so the connection frames each client's bytes separately.
 */
export class TcpServerTransport extends BaseTransport {
  readonly description: string;
  private readonly address: string;
  private server: net.Server | undefined;
  private readonly clients = new Set<net.Socket>();

  constructor(private readonly options: TcpServerOptions) {
    super(new Backoff(1000, options.maxBackoffMs ?? 60_000));
    this.address = `${formatHost(options.bindAddress)}:${options.port}`;
    this.description = `tcp server ${this.address}`;
  }

  protected connect(): void {
    this.report({ state: 'connecting', detail: `listening on ${this.address}` });
    const server = net.createServer((socket) => this.accept(server, socket));
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server === this.server) this.retryLater(this.describeError(err));
    });
    server.on('listening', () => {
      if (server !== this.server) return;
      this.backoff.reset();
      this.reportListening();
    });
    server.listen({ host: this.options.bindAddress, port: this.options.port });
  }

  private accept(server: net.Server, socket: net.Socket): void {
    if (server !== this.server) {
      socket.destroy();
      return;
    }
    const id = `${socket.remoteAddress}:${socket.remotePort}`;
    this.clients.add(socket);
    socket.setKeepAlive(true, 15_000);
    socket.on('data', (chunk: Buffer) => {
      this.emit('source', id);
      this.emit('data', chunk);
    });
    socket.on('error', () => socket.destroy()); // 'close' follows; one client's trouble is not the server's
    socket.on('close', () => {
      if (this.clients.delete(socket) && server === this.server) this.reportListening();
    });
    this.reportListening();
  }

  private reportListening(): void {
    const n = this.clients.size;
    this.report({ state: 'connected', detail: `listening on ${this.address}, ${n} client${n === 1 ? '' : 's'}` });
  }

  private describeError(err: NodeJS.ErrnoException): string {
    switch (err.code) {
      case 'EADDRINUSE':
        return `port ${this.options.port} is already in use on ${formatHost(this.options.bindAddress)}`;
      case 'EACCES':
        return `no permission to listen on port ${this.options.port} (ports below 1024 need privileges)`;
      case 'EADDRNOTAVAIL':
        return `${this.options.bindAddress} is not an address of this machine`;
      default:
        return `cannot listen on ${this.address}: ${err.message}`;
    }
  }

  protected async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closing = [...this.clients].map(destroySocket);
    this.clients.clear();
    if (server?.listening) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closing);
  }
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
