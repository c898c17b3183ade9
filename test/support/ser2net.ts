/**
 * A real serial-to-TCP bridge for the tests: Debian's ser2net (4.x) serving a serial device
 * (a socat pty) on a free port of 127.0.0.1, in raw TCP or telnet mode, as a user's Raspberry Pi
 * next to the meter would.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { waitFor } from './pty-pair';

export const SER2NET = '/usr/sbin/ser2net';

export interface Ser2net {
  port: number;
  /** Stops ser2net and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts ser2net for `device` on `port` (free, on 127.0.0.1) and waits until it accepts connections. */
export async function startSer2net(dir: string, device: string, port: number, mode: 'raw' | 'telnet'): Promise<Ser2net> {
  const config = path.join(dir, `ser2net-${port}.yaml`);
  const accepter = mode === 'telnet' ? `telnet,tcp,127.0.0.1,${port}` : `tcp,127.0.0.1,${port}`;
  fs.writeFileSync(config, `connection: &p1\n  accepter: ${accepter}\n  connector: serialdev,${device},115200n81,local\n`);
  const child = spawn(SER2NET, ['-n', '-d', '-c', config, '-P', path.join(dir, `ser2net-${port}.pid`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let listening = false;
  const probe = () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      listening = true;
      socket.destroy();
    });
    socket.on('error', () => socket.destroy());
  };
  const prober = setInterval(probe, 100);
  try {
    await waitFor(
      () => listening || child.exitCode !== null,
      10_000,
      () => `ser2net to listen on ${port}: ${log}`,
    );
  } finally {
    clearInterval(prober);
  }
  if (!listening) throw new Error(`ser2net exited: ${log}`);
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
