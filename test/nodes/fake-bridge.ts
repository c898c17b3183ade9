/**
 * Plays an ESP8266 P1 bridge (esp-link, ESPEasy "serial server"): a TCP server on 127.0.0.1
 * that the test tells exactly what to send and how to misbehave (close, reset, go silent,
 * restart on the same port).
 */
import * as net from 'node:net';
import { listenOnLoopback } from '../support/loopback';

export class FakeBridge {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** Clients accepted since the bridge was created, across restarts. */
  accepted = 0;
  port = 0;

  /** Listens on `port` (0 = any free port; pass the old port to restart in place). */
  async listen(port = this.port): Promise<this> {
    const server = net.createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('error', () => undefined); // a reset or a client that went away
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.port = await listenOnLoopback(server, port);
    this.server = server;
    return this;
  }

  get clients(): number {
    return this.sockets.size;
  }

  /** Writes to every connected client; resolves when the bytes are handed to the OS. */
  async send(data: string | Buffer, chunkSize = Infinity): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (const socket of this.sockets) {
      for (let at = 0; at < bytes.length; at += chunkSize) {
        await new Promise<void>((resolve) => socket.write(bytes.subarray(at, at + chunkSize), () => resolve()));
      }
    }
  }

  /** Closes every client politely (FIN), like a bridge that drops the link. */
  endClients(): void {
    for (const socket of this.sockets) socket.end();
  }

  /** Resets every client (RST), like a bridge that crashes. */
  resetClients(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Stops listening and cuts every client, like a bridge that reboots; `listen()` brings it back. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
