/**
 * End-to-end benchmark in a real Node-RED runtime (node-red-node-test-helper):
 *
 * 1. latency: from writing the last byte of a telegram to a TCP socket until p1-in's message
 *    reaches the next node (tcp-client source, one telegram at a time, 2000 telegrams after a warm-up);
 * 2. CPU: 200 p1-connection TCP clients against 200 simulated meters (in a child process, so
 *    only Node-RED's side is measured) at one telegram per second each, for about 20 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { NODE_RED_RUNTIME } from '../test/support/node-red';
import { FIXTURES } from '../test/support/paths';

const LATENCY_TELEGRAMS = 2000;
/** Telegrams sent before measuring, so that the JIT has compiled the hot path. */
const WARM_UP = 100;
const METERS = 200;
/** P1_BENCH_CPU_SECONDS shortens the CPU run for a quick check. */
const CPU_SECONDS = Number(process.env.P1_BENCH_CPU_SECONDS ?? 20);
const TELEGRAM_FILE = 'ndokter__dsmr_parser/v5_spec_example.txt';

type Method = (...args: unknown[]) => unknown;
export type FlowNode = { id: string; type: string; [property: string]: unknown };

export interface Helper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): { on(event: 'input', fn: () => void): void };
  /** Node.prototype, whose methods the helper wraps in recording sinon spies. */
  _NodePrototype: Record<string, Method & { wrappedMethod?: Method }>;
  /** RED.log, whose `log` the helper spies on (Node-RED calls it for every message's metrics). */
  _log: Record<string, Method & { wrappedMethod?: Method }>;
}

/** The Node.prototype methods node-red-node-test-helper wraps in spies (its PROXY_METHODS). */
const SPIED_METHODS = ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send'];

export async function runEndToEndBench(): Promise<Record<string, unknown>> {
  const helper: Helper = require('node-red-node-test-helper');
  helper.init(NODE_RED_RUNTIME);
  const nodes = [require('../src/nodes/p1-connection'), require('../src/nodes/p1-in')];
  const telegram = fs.readFileSync(path.join(FIXTURES, TELEGRAM_FILE));

  // Tail latency on a shared machine depends on what else runs: say how busy it was.
  const loadBefore = os.loadavg()[0];
  const latency = await measureLatency(helper, nodes, telegram);
  console.log(
    `e2e latency (TCP write → p1-in message, ${LATENCY_TELEGRAMS} telegrams): median ${latency.medianMs.toFixed(3)} ms, p99 ${latency.p99Ms.toFixed(3)} ms (goal < 2 ms p99)`,
  );
  const cpu = await measureCpu(helper, nodes, telegram);
  console.log(
    `e2e CPU (${METERS} TCP meters at 1 telegram/s, ${cpu.seconds.toFixed(1)} s): ${cpu.percentOfOneCore.toFixed(2)} % of one core, ` +
      `${cpu.microsecondsPerTelegram.toFixed(0)} µs per telegram, ${cpu.telegrams} telegrams (goal < 10 %)`,
  );
  const loadAverage = (loadBefore + os.loadavg()[0]) / 2;
  console.log(`e2e machine load (1-min load average, ${os.cpus().length} cores): ${loadAverage.toFixed(2)}`);
  return {
    loadAverage1m: loadAverage,
    latencyTelegrams: LATENCY_TELEGRAMS,
    latencyMedianMs: latency.medianMs,
    latencyP99Ms: latency.p99Ms,
    cpuMeters: METERS,
    cpuSeconds: cpu.seconds,
    cpuTelegrams: cpu.telegrams,
    cpuPercentOfOneCore: cpu.percentOfOneCore,
    cpuMicrosecondsPerTelegram: cpu.microsecondsPerTelegram,
  };
}

/**
 * Loads a flow and puts Node-RED's own methods back in place of the helper's spies, which would
 * otherwise record every send, status and log call and be measured with them. (`unload()`
 * restores the spied methods, which are these same originals.)
 */
export async function loadFlow(helper: Helper, nodes: unknown[], flow: FlowNode[]): Promise<void> {
  await helper.load(nodes, flow);
  const originalLog = helper._log.log.wrappedMethod;
  if (originalLog) helper._log.log = originalLog;
  const prototype = helper._NodePrototype;
  const spiedSend = prototype.send;
  for (const method of SPIED_METHODS) {
    const original = prototype[method].wrappedMethod;
    if (original) prototype[method] = original;
  }
  // Node-RED copies `send` onto every wired node when it creates it.
  for (const { id } of flow) {
    const node = helper.getNode(id) as unknown as { send?: Method } | null;
    if (node && node.send === spiedSend) node.send = prototype.send;
  }
}

async function measureLatency(helper: Helper, nodes: unknown[], telegram: Buffer): Promise<{ medianMs: number; p99Ms: number }> {
  const server = net.createServer();
  const port = await listen(server);
  const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  let socket: net.Socket | undefined;
  try {
    await loadFlow(helper, nodes, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port, crcPolicy: 'drop' },
      { id: 'in', type: 'p1-in', connection: 'link', output: 'parsed', topic: '', rateLimit: 0, changeField: '', wires: [['sink'], []] },
      { id: 'sink', type: 'helper' },
    ]);
    let arrived: (() => void) | null = null;
    helper.getNode('sink').on('input', () => arrived?.());
    socket = await connected;
    // Measure our pipeline, not Nagle's algorithm waiting for the previous telegram's delayed ACK.
    socket.setNoDelay(true);

    const samples: number[] = [];
    for (let i = 0; i < LATENCY_TELEGRAMS + WARM_UP; i++) {
      const done = new Promise<void>((resolve) => (arrived = resolve));
      const start = process.hrtime.bigint();
      socket.write(telegram);
      await done;
      if (i >= WARM_UP) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    samples.sort((a, b) => a - b);
    return { medianMs: samples[Math.floor(samples.length / 2)], p99Ms: samples[Math.floor(samples.length * 0.99)] };
  } finally {
    await helper.unload();
    socket?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function measureCpu(
  helper: Helper,
  nodes: unknown[],
  telegram: Buffer,
): Promise<{ seconds: number; telegrams: number; percentOfOneCore: number; microsecondsPerTelegram: number }> {
  const meters = await startMeters(telegram);
  try {
    const flow: FlowNode[] = [{ id: 'sink', type: 'helper' }];
    meters.ports.forEach((port, i) => {
      flow.push({ id: `link${i}`, type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port });
      flow.push({ id: `in${i}`, type: 'p1-in', connection: `link${i}`, output: 'parsed', topic: '', rateLimit: 0, changeField: '', wires: [['sink'], []] });
    });
    await loadFlow(helper, nodes, flow);
    let telegrams = 0;
    helper.getNode('sink').on('input', () => telegrams++);
    // Warm up until every meter has delivered at least twice its count on average.
    const warmUpDeadline = Date.now() + 15_000;
    while (telegrams < METERS * 2 && Date.now() < warmUpDeadline) await sleep(100);

    telegrams = 0;
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    await sleep(CPU_SECONDS * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuMicroseconds = cpu.user + cpu.system;
    return {
      seconds,
      telegrams,
      percentOfOneCore: (cpuMicroseconds / (seconds * 1e6)) * 100,
      microsecondsPerTelegram: telegrams > 0 ? cpuMicroseconds / telegrams : NaN,
    };
  } finally {
    await helper.unload();
    await meters.stop();
  }
}

/**
 * The simulated meters run in a child process so that their CPU is not counted: each listens on
 * 127.0.0.1 and writes the telegram to its client once a second, the meters spread over the second.
 */
function meterScript(count: number): string {
  return `
    const net = require('node:net');
    const telegram = Buffer.from(process.env.P1_TELEGRAM, 'base64');
    const ports = [];
    let listening = 0;
    for (let i = 0; i < ${count}; i++) {
      const server = net.createServer((socket) => {
        socket.on('error', () => {});
        setTimeout(() => {
          const timer = setInterval(() => socket.write(telegram), 1000);
          socket.on('close', () => clearInterval(timer));
        }, (i * 1000) / ${count});
      });
      server.listen(0, '127.0.0.1', () => {
        ports[i] = server.address().port;
        if (++listening === ${count}) process.stdout.write(JSON.stringify(ports) + '\\n');
      });
    }`;
}

async function startMeters(telegram: Buffer): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', meterScript(METERS)], {
    env: { ...process.env, P1_TELEGRAM: telegram.toString('base64') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
    child.once('exit', (code) => reject(new Error(`meter process exited with ${code}`)));
  });
  return {
    ports,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Run on its own: node .build-<x>/bench/e2e.js
if (require.main === module) {
  runEndToEndBench().then(
    (result) => {
      console.log(JSON.stringify(result));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
