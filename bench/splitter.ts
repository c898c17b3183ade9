/**
 * What the P1 splitter costs, in a real Node-RED runtime: a tcp-client p1-connection with a p1-in
 * reads a meter on 127.0.0.1, with the splitter off, and on with 8 readers (the default limit).
 * Per telegram: the latency from the meter's write until p1-in's message and every reader have
 * it, and the CPU of the whole process (the readers receiving included) per telegram.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { ConnectionHandle } from '../src/connection/meter-connection';
import { NODE_RED_RUNTIME } from '../test/support/node-red';
import { FIXTURES } from '../test/support/paths';
import { loadFlow, type Helper } from './e2e';
import { listenOnLoopback, unusedTcpPort } from '../test/support/loopback';

const TELEGRAMS = 2000;
const WARM_UP = 100;
const READERS = 8;
const TELEGRAM_FILE = 'ndokter__dsmr_parser/v5_spec_example.txt';

interface Run {
  medianMs: number;
  p99Ms: number;
  cpuMicrosecondsPerTelegram: number;
}

export async function runSplitterBench(): Promise<Record<string, unknown>> {
  const helper: Helper = require('node-red-node-test-helper');
  helper.init(NODE_RED_RUNTIME);
  const nodes = [require('../src/nodes/p1-connection'), require('../src/nodes/p1-in')];
  const telegram = fs.readFileSync(path.join(FIXTURES, TELEGRAM_FILE));
  const off = await measure(helper, nodes, telegram, 0);
  const on = await measure(helper, nodes, telegram, READERS);
  const line = (what: string, run: Run) =>
    `${what}: latency median ${run.medianMs.toFixed(3)} ms, p99 ${run.p99Ms.toFixed(3)} ms; CPU ${run.cpuMicrosecondsPerTelegram.toFixed(0)} µs per telegram`;
  console.log(line('splitter off (meter → p1-in)', off));
  console.log(line(`splitter on, ${READERS} readers (meter → p1-in and every reader)`, on));
  return { splitterOff: off, splitterOn: on, readers: READERS, telegrams: TELEGRAMS };
}

async function measure(helper: Helper, nodes: unknown[], telegram: Buffer, readerCount: number): Promise<Run> {
  const meter = net.createServer();
  const meterPort = await listenOnLoopback(meter);
  const splitterPort = await unusedTcpPort();
  const meterSocket = new Promise<net.Socket>((resolve) => meter.once('connection', resolve));
  const readers: Array<{ socket: net.Socket; bytes: number }> = [];
  try {
    await loadFlow(helper, nodes, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: meterPort, splitter: readerCount > 0, splitterPort },
      { id: 'in', type: 'p1-in', connection: 'link', output: 'parsed', topic: '', rateLimit: 0, changeField: '', wires: [['sink'], []] },
      { id: 'sink', type: 'helper' },
    ]);
    // Checked on every arrival, so the measurement never spins.
    let messages = 0;
    let expected = 0;
    let expectedBytes = 0;
    let arrived: (() => void) | null = null;
    const check = () => {
      if (arrived && messages === expected && readers.every((reader) => reader.bytes === expectedBytes)) arrived();
    };
    helper.getNode('sink').on('input', () => {
      messages++;
      check();
    });
    const socket = await meterSocket;
    socket.setNoDelay(true);
    for (let i = 0; i < readerCount; i++) readers.push(await connectReader(splitterPort, check));
    const connection = (helper.getNode('link') as unknown as { connection: ConnectionHandle }).connection;
    while (connection.health().readersConnected < readerCount) await sleep(5);

    const samples: number[] = [];
    let cpuBefore = process.cpuUsage();
    for (let i = 0; i < TELEGRAMS + WARM_UP; i++) {
      if (i === WARM_UP) cpuBefore = process.cpuUsage();
      expected = i + 1;
      expectedBytes = expected * telegram.length;
      const done = new Promise<void>((resolve) => (arrived = resolve));
      const start = process.hrtime.bigint();
      socket.write(telegram);
      await done;
      arrived = null;
      if (i >= WARM_UP) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    samples.sort((a, b) => a - b);
    return {
      medianMs: samples[Math.floor(samples.length / 2)],
      p99Ms: samples[Math.floor(samples.length * 0.99)],
      cpuMicrosecondsPerTelegram: (cpu.user + cpu.system) / TELEGRAMS,
    };
  } finally {
    await helper.unload();
    for (const reader of readers) reader.socket.destroy();
    await new Promise((resolve) => meter.close(resolve));
  }
}

async function connectReader(port: number, onData: () => void): Promise<{ socket: net.Socket; bytes: number }> {
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          const reader = { socket, bytes: 0 };
          socket.on('data', (chunk: Buffer) => {
            reader.bytes += chunk.length;
            onData();
          });
          resolve(reader);
        });
        socket.once('error', reject);
      });
    } catch {
      await sleep(20); // the splitter is still starting
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Run on its own: node dist/bench/splitter.js
if (require.main === module) {
  runSplitterBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
