/**
 * The P1 splitter's TCP side: serves every telegram, byte for byte, to any number of readers
 * (Home Assistant's DSMR integration in network mode, DSMR-reader, another Node-RED) up to a
 * limit, so one cable feeds every program that wants the meter.
 *
 * Readers only read, and the meter must never wait for one: `send()` hands the same bytes to
 * each socket and never awaits a reader. A reader that does not keep up (more than
 * `maxBufferedBytes` waiting in its socket's buffer, on top of what the operating system
 * buffers) is dropped, so it costs neither memory nor the other readers' telegrams. The door is
 * the TCP server source's: an optional allow list and a limit, each refusal and drop reported
 * once as `'rejected'`. Listening failures (port in use) retry with backoff, as a transport does;
 * it reuses BaseTransport for that, but it never emits `'data'`.
 */
import * as net from 'node:net';
import { AllowList } from './allow-list';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import { clientName, describeListenError, destroySocket, formatHost, refusalReason } from './server-sockets';
import type { ClientRejection } from './transport';

export interface SplitterOptions {
  bindAddress: string;
  port: number;
  /** Readers connected at once; one more is refused. */
  maxReaders: number;
  /** Addresses and CIDR ranges (checked by `parseAllowList`) allowed to connect; empty = anyone. */
  allowedClients: readonly string[];
  /** Bytes a reader may leave unread in its socket buffer before it is dropped. Default 64 KiB. */
  maxBufferedBytes?: number;
}

/** Counters for the connection's health output. */
export interface SplitterCounts {
  readersConnected: number;
  readersRefused: number;
  readersDropped: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024;

export class SplitterServer extends BaseTransport {
  readonly description: string;
  private readonly address: string;
  private readonly allowList: AllowList | undefined;
  private readonly maxBufferedBytes: number;
  private server: net.Server | undefined;
  private readonly readers = new Map<string, net.Socket>();
  private refused = 0;
  private dropped = 0;

  constructor(private readonly options: SplitterOptions) {
    super(new Backoff(1000, 60_000));
    this.address = `${formatHost(options.bindAddress)}:${options.port}`;
    this.description = `splitter ${this.address}`;
    this.allowList = options.allowedClients.length > 0 ? new AllowList(options.allowedClients) : undefined;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  counts(): SplitterCounts {
    return { readersConnected: this.readers.size, readersRefused: this.refused, readersDropped: this.dropped };
  }

  /** Writes `bytes` to every reader; drops the ones that left too much unread. Never waits. */
  send(bytes: Buffer): void {
    for (const [id, socket] of this.readers) {
      if (socket.writableLength > this.maxBufferedBytes) {
        this.drop(id, socket, `not reading: ${Math.round(socket.writableLength / 1024)} KiB unread`);
      } else {
        socket.write(bytes);
      }
    }
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
    socket.on('error', () => socket.destroy()); // 'close' follows; one reader's trouble is nobody else's
    if (server !== this.server) {
      socket.destroy();
      return;
    }
    const id = clientName(socket);
    const refusal = refusalReason(socket, this.allowList, this.readers.size, this.options.maxReaders, 'reader');
    if (refusal) {
      this.refused++;
      socket.destroy();
      this.emit('rejected', { kind: 'refused', client: id, reason: refusal } satisfies ClientRejection);
      return;
    }
    this.readers.set(id, socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000); // a reader gone without a FIN is found even when no telegram flows
    socket.resume(); // readers have nothing to say; reading lets their FIN close the socket
    socket.on('close', () => {
      if (this.readers.get(id) !== socket) return;
      this.readers.delete(id);
      if (server === this.server) this.reportListening();
    });
    this.reportListening();
  }

  private drop(id: string, socket: net.Socket, reason: string): void {
    this.readers.delete(id);
    this.dropped++;
    socket.destroy();
    this.emit('rejected', { kind: 'dropped', client: id, reason } satisfies ClientRejection);
    this.reportListening();
  }

  private reportListening(): void {
    const n = this.readers.size;
    this.report({ state: 'connected', detail: `listening on ${this.address}, ${n} reader${n === 1 ? '' : 's'}` });
  }

  protected async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const sockets = [...this.readers.values()];
    this.readers.clear();
    const closing = sockets.map(destroySocket);
    if (server?.listening) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(closing);
  }
}
