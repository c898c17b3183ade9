/**
 * What the two TCP servers (the TCP server source and the telegram splitter) share at their
 * door: how a client is named in logs, who may come in (allow list, limit), and closing a
 * socket so that `close()` resolves only once the descriptor is really gone.
 */
import type * as net from 'node:net';
import type { AllowList } from './allow-list';

/** "192.168.1.7:51234", "[fd00::7]:51234". */
export function clientName(socket: net.Socket): string {
  return `${formatHost(socket.remoteAddress ?? '?')}:${socket.remotePort}`;
}

/** Why `socket` may not come in, or undefined when it may. `noun` names what connects ("client", "reader"). */
export function refusalReason(socket: net.Socket, allowList: AllowList | undefined, connected: number, limit: number, noun: string): string | undefined {
  if (allowList && !allowList.allows(socket.remoteAddress)) return 'not in the allowed clients';
  if (connected >= limit) return `already ${limit} ${noun}${limit === 1 ? '' : 's'} connected (the limit)`;
  return undefined;
}

export function destroySocket(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A listening failure in words a user can act on. */
export function describeListenError(err: NodeJS.ErrnoException, bindAddress: string, port: number): string {
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
