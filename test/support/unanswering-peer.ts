/**
 * A TCP peer on 127.0.0.1 that never accepts a connection, for connect-timeout tests: a child
 * Node process listens with a tiny backlog and then blocks its event loop, so it never calls
 * accept(); the test fills the accept queue; from then on the kernel drops every new SYN and a
 * client's connect() neither succeeds nor fails — exactly a bridge that hangs.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';

export interface UnansweringPeer {
  port: number;
  stop(): Promise<void>;
}

const LISTENER = `
const net = require('node:net');
const fs = require('node:fs');
const server = net.createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  fs.writeSync(1, server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // block forever: nothing is ever accepted
});
`;

export async function startUnansweringPeer(): Promise<UnansweringPeer> {
  const child = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const fillers: net.Socket[] = [];
  const stop = async () => {
    for (const s of fillers) s.destroy();
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(Number(text.trim()));
      });
      child.once('exit', () => reject(new Error('the listener exited before listening')));
    });
    // Fill the accept queue: connect until one connection stays pending (its SYN was dropped).
    for (let i = 0; i < 64; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      fillers.push(socket);
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 1000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!connected) return { port, stop };
    }
    throw new Error('the accept queue never filled');
  } catch (err) {
    await stop();
    throw err;
  }
}
