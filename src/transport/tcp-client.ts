import * as net from 'node:net';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import { describeSocketError, formatSeconds } from './link-errors';

export interface TcpClientOptions {
  host: string;
  port: number;
  /** Give up on a connection attempt after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** No byte for this long ends the session: a rebooted ESP bridge often never sends FIN. Default 30 s. */
  idleTimeoutMs?: number;
  /** Cap of the retry delay (1 s doubling). Default 60 s. */
  maxBackoffMs?: number;
}

/** How long the OS waits before its first TCP keep-alive probe on a quiet connection. */
const KEEP_ALIVE_DELAY_MS = 15_000;

/**
 * A TCP connection to a serial-to-network bridge (esp-link, ESPEasy, ser2net, P1 dongles).
 * Reconnects forever; the backoff starts over after a session that delivered data.
 */
export class TcpClientTransport extends BaseTransport {
  readonly description: string;
  private readonly address: string;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private socket: net.Socket | undefined;

  constructor(private readonly options: TcpClientOptions) {
    super(new Backoff(1000, options.maxBackoffMs ?? 60_000));
    this.address = `${options.host}:${options.port}`;
    this.description = `tcp ${this.address}`;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  protected connect(): void {
    this.report({ state: 'connecting', detail: this.address });
    const socket = new net.Socket();
    this.socket = socket;
    let connected = false;
    let receivedData = false;
    // One timer does both jobs: the connect timeout until connected, the idle watchdog after.
    socket.setTimeout(this.connectTimeoutMs);
    socket.on('timeout', () => {
      const seconds = formatSeconds(connected ? this.idleTimeoutMs : this.connectTimeoutMs);
      this.lose(socket, connected ? `no data for ${seconds}` : `no answer from ${this.address} within ${seconds}`);
    });
    socket.on('connect', () => {
      if (socket !== this.socket) return;
      connected = true;
      socket.setTimeout(this.idleTimeoutMs);
      socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
      this.report({ state: 'connected', detail: this.address });
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      if (!receivedData) {
        receivedData = true;
        this.backoff.reset();
      }
      this.emit('data', chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.lose(socket, describeSocketError(err, this.options.host, this.options.port)));
    socket.on('end', () => this.lose(socket, `connection closed by ${this.address}`));
    socket.on('close', () => this.lose(socket, `connection to ${this.address} lost`));
    socket.connect({ host: this.options.host, port: this.options.port });
  }

  private lose(socket: net.Socket, reason: string): void {
    if (socket !== this.socket) return;
    this.retryLater(reason);
  }

  protected async release(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || (socket.destroyed && socket.closed)) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
