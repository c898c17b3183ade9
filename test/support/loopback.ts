/**
 * Test servers listen on 127.0.0.1 only. These two helpers are the one way the tests bind a
 * server there, and the one way they find a port that nothing listens on.
 */
import * as net from 'node:net';

/** Listens on 127.0.0.1 (`port` 0: any free port); resolves with the port, rejects when it cannot bind. */
export function listenOnLoopback(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** A port on 127.0.0.1 that nothing listens on (just released by the OS): for a server under test that must bind a given port. */
export async function unusedTcpPort(): Promise<number> {
  const probe = net.createServer();
  const port = await listenOnLoopback(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
