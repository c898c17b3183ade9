/**
 * The P1 splitter's TCP side: serves every telegram, byte for byte, to any number of readers
 * (Home Assistant's DSMR integration in network mode, DSMR-reader, another Node-RED) up to a
 * limit, so one cable feeds every program that wants the meter.
 *
 * Readers only read, and the meter must never wait for one: `send()` hands the same bytes to
 * each socket and never awaits a reader. A reader that does not keep up (more than
 * `maxBufferedBytes` waiting in its socket's buffer, on top of what the operating system
 * buffers) is dropped, so it costs neither memory nor the other readers' telegrams. The door and
 * the listening with retry are the TCP server source's (ListeningTransport); it never emits `'data'`.
 */
import type * as net from 'node:net';
import { Backoff } from './backoff';
import { ListeningTransport } from './listening-transport';
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

export class SplitterServer extends ListeningTransport {
  private readonly maxBufferedBytes: number;
  private refused = 0;
  private dropped = 0;

  constructor(options: SplitterOptions) {
    const door = { bindAddress: options.bindAddress, port: options.port, limit: options.maxReaders, allowedClients: options.allowedClients };
    super(new Backoff(1000, 60_000), door, 'splitter', 'reader');
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  counts(): SplitterCounts {
    return { readersConnected: this.connections.size, readersRefused: this.refused, readersDropped: this.dropped };
  }

  /** Writes `bytes` to every reader; drops the ones that left too much unread. Never waits. */
  send(bytes: Buffer): void {
    for (const [id, socket] of this.connections) {
      if (socket.destroyed) continue; // dropped, its 'close' still to come
      if (socket.writableLength > this.maxBufferedBytes) {
        this.drop(id, socket, `not reading: ${Math.round(socket.writableLength / 1024)} KiB unread`);
      } else {
        socket.write(bytes);
      }
    }
  }

  protected admit(_id: string, socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.resume(); // readers have nothing to say; reading lets their FIN close the socket
  }

  protected override reject(rejection: ClientRejection): void {
    if (rejection.kind === 'refused') this.refused++;
    else this.dropped++;
    super.reject(rejection);
  }
}
