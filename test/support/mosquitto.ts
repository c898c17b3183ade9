/**
 * A real MQTT broker for the tests: Debian's mosquitto, started on a free port on 127.0.0.1
 * with its own config in a temporary folder (anonymous, no persistence), and stopped again.
 * Plus a small subscriber on the `mqtt` package Node-RED itself uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { unusedTcpPort } from './loopback';

export const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  url: string;
  /** What mosquitto wrote (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<Broker> {
  let lastError: unknown;
  // The free port is found by binding and releasing it; another process may take it in between: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await unusedTcpPort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(port: number): Promise<Broker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosquitto-'));
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await waitUntilListening(port, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw err;
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      cleanUp();
    },
  };
}

async function waitUntilListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${output()}`);
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`mosquitto not listening on ${port} after 10 s: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ReceivedMqtt {
  topic: string;
  /** The payload as text (empty for a removal). */
  text: string;
  /** Set by the broker for messages it had retained before this subscriber subscribed. */
  retain: boolean;
}

/** The parts of the `mqtt` package (untyped here) the tests use. */
interface MqttClient {
  on(event: 'message', listener: (topic: string, payload: Buffer, packet: { retain: boolean }) => void): void;
  subscribeAsync(topic: string, options: { qos: 0 | 1 }): Promise<unknown>;
  publishAsync(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<unknown>;
  endAsync(): Promise<void>;
}

export interface Subscriber {
  received: ReceivedMqtt[];
  /** Publishes with QoS 1; an empty retained payload clears the topic's retained message. */
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Connects to the broker and subscribes to `topics` (default everything); collects what arrives. */
export async function subscribe(url: string, topics: string[] = ['#']): Promise<Subscriber> {
  const mqtt = require('mqtt') as { connectAsync(url: string, options: object): Promise<MqttClient> };
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 });
  const received: ReceivedMqtt[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, text: payload.toString('utf8'), retain: packet.retain }));
  for (const topic of topics) await client.subscribeAsync(topic, { qos: 1 });
  return {
    received,
    async publish(topic, payload, retain = false) {
      await client.publishAsync(topic, payload, { qos: 1, retain });
    },
    close: () => client.endAsync(),
  };
}

/**
 * The messages the broker holds retained right now: a fresh subscriber gets them on subscribing,
 * before a probe it publishes itself comes back.
 */
export async function retainedMessages(url: string): Promise<ReceivedMqtt[]> {
  const probe = await subscribe(url);
  try {
    const probeTopic = `probe/${process.pid}/${Date.now()}`;
    await probe.publish(probeTopic, 'probe');
    const deadline = Date.now() + 5000;
    while (!probe.received.some((m) => m.topic === probeTopic)) {
      if (Date.now() > deadline) throw new Error('the probe message did not come back');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return probe.received.filter((m) => m.retain);
  } finally {
    await probe.close();
  }
}

/** Clears every retained message, so that tests do not see each other's. */
export async function clearRetained(url: string): Promise<void> {
  const retained = await retainedMessages(url);
  if (retained.length === 0) return;
  const cleaner = await subscribe(url, []);
  try {
    for (const m of retained) await cleaner.publish(m.topic, '', true);
  } finally {
    await cleaner.close();
  }
}
