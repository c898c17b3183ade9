/**
 * A stand-in for an ESP8266 P1 bridge: a TCP server on 127.0.0.1 that sends the same bytes
 * (a telegram, or an encrypted frame) to every client, once right away and then every intervalMs.
 */
import * as net from 'node:net';

export interface TelegramServer {
  port: number;
  /** Clients connected so far (including ones that left). */
  readonly connections: number;
  /** Cuts every connected client, like a bridge that reboots. The server keeps listening. */
  dropClients(): void;
  close(): Promise<void>;
}

export function startTelegramServer(bytes: Buffer, intervalMs: number): Promise<TelegramServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {
      /* the client went away */
    });
    const send = (): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    send();
    const timer = setInterval(send, intervalMs);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        get connections() {
          return connections;
        },
        dropClients() {
          for (const socket of sockets) socket.destroy();
        },
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
