/**
 * End to end with a real serial-to-TCP bridge: a socat pty pair plays the meter's serial line,
 * Debian's ser2net serves it on 127.0.0.1, and p1-connection reads it as a TCP client in the
 * real Node-RED runtime. ser2net is restarted halfway: telegrams resume, none lost, none twice.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPtyPair, type PtyPair } from '../support/pty-pair';
import {
  helper,
  NODES,
  numberedTelegram,
  p1InWithOutputs,
  recorder,
  statusesOf,
  telegramNumber,
  unusedTcpPort,
  waitFor,
  type Msg,
} from '../nodes/connection-harness';

const SER2NET = '/usr/sbin/ser2net';

/** ser2net 4 YAML: one raw TCP port on 127.0.0.1 in front of the pty, 115200 8N1 as a DSMR 5 meter sends. */
function ser2netConfig(port: number, device: string): string {
  return [
    '%YAML 1.1',
    '---',
    'connection: &p1',
    `    accepter: tcp,127.0.0.1,${port}`,
    '    enable: on',
    '    options:',
    '      kickolduser: true',
    `    connector: serialdev,${device},115200n81,local`,
    '',
  ].join('\n');
}

/** ser2net in the foreground (-n), logging to stderr (-d), with our config (-c). */
class Ser2net {
  private child: ChildProcess | null = null;
  private log = '';

  constructor(private readonly configFile: string) {}

  start(): void {
    assert.ok(fs.existsSync(SER2NET), `${SER2NET} is missing: apt-get install ser2net`);
    const child = spawn(SER2NET, ['-n', '-d', '-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child = child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  get output(): string {
    return this.log;
  }
}

describe('p1-connection through ser2net (socat pty → ser2net → TCP client)', function () {
  this.timeout(60_000);
  let dir: string;
  let pty: PtyPair;
  let ser2net: Ser2net;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-ser2net-'));
    pty = await startPtyPair(dir, { a: 'serial', b: 'meter' });
  });

  afterEach(async () => {
    await helper.unload();
    await ser2net.stop();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * ser2net opens the serial device only once a client is connected, so bytes written just
   * before may not reach it: send probe telegrams (numbered 1000+) until one arrives, then the
   * numbered ones once each.
   */
  async function sendThrough(received: Msg[], numbers: number[]): Promise<void> {
    const firstProbe = 1000 + received.length;
    const deadline = Date.now() + 15_000;
    for (let probe = firstProbe; !received.some((m) => telegramNumber(m) >= firstProbe); probe++) {
      if (Date.now() > deadline) throw new Error(`no probe telegram came through ser2net; it said: ${ser2net.output}`);
      pty.write(numberedTelegram(probe));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const n of numbers) {
      pty.write(numberedTelegram(n));
      await waitFor(() => received.some((m) => telegramNumber(m) === n), `telegram ${n}`);
    }
  }

  it('reads telegrams through ser2net, and resumes after a ser2net restart without loss or duplicates', async () => {
    const port = await unusedTcpPort();
    const configFile = path.join(dir, 'ser2net.yaml');
    fs.writeFileSync(configFile, ser2netConfig(port, pty.a));
    ser2net = new Ser2net(configFile);
    ser2net.start();

    await helper.load(NODES, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port, connectTimeout: 2, idleTimeout: 30, maxBackoff: 1 },
      ...p1InWithOutputs('in', 'link'),
    ]);
    const received = recorder('in-out');
    await sendThrough(received, [1, 2, 3]);

    await ser2net.stop();
    await waitFor(() => /^retry in/.test(statusesOf('in').at(-1)?.text ?? ''), 'the node to notice ser2net is gone', 10_000);
    ser2net.start();
    await waitFor(() => /^waiting for data|kW/.test(statusesOf('in').at(-1)?.text ?? ''), `the node to reconnect; ser2net said: ${ser2net.output}`, 15_000);
    await sendThrough(received, [4, 5, 6]);

    const numbered = received.map(telegramNumber).filter((n) => n < 1000);
    assert.deepEqual(numbered, [1, 2, 3, 4, 5, 6]);
    const probes = received.map(telegramNumber).filter((n) => n >= 1000);
    assert.equal(new Set(probes).size, probes.length, `a probe telegram arrived twice: ${probes}`);
    assert.ok(received.every((m) => m.payload.crc.valid === true));
  });
});
