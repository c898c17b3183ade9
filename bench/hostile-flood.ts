/**
 * Hostile input against a real Node-RED: how many log lines and health messages one megabyte
 * of crafted bytes from a P1 bridge turns into, and Node-RED's memory (RSS) meanwhile.
 *
 *   npm run build && node dist/bench/hostile-flood.js [package dir] [megabytes]
 *
 * The package dir (default: this checkout) lets the same script measure an older build, for
 * before/after figures. Node-RED runs in a child process with the package linked into its user
 * dir; a p1-connection TCP client reads from a bridge played by this script, which sends the
 * flood and then one good telegram. p1-in's outputs go to debug nodes that log to the console,
 * so that every log line and health message can be counted in Node-RED's output.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareUserDir, startNodeRed, type NodeRedProcess } from '../test/support/node-red-process';
import { FIXTURES, REPO_ROOT } from '../test/support/paths';

/** 17 bytes holding two problems of different kinds: a telegram with a wrong CRC, then junk. */
const ALTERNATING_PROBLEMS = '/X5\r\n\r\n!0000\r\nzz\n';
const GOOD_TELEGRAM = fs.readFileSync(path.join(FIXTURES, 'ndokter__dsmr_parser/v5_spec_example.txt'));

async function main(): Promise<void> {
  const packageDir = path.resolve(process.argv[2] ?? REPO_ROOT);
  const megabytes = Number(process.argv[3] ?? 1);
  const bridge = await startBridge();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-flood-'));
  prepareUserDir(userDir, {
    port: 0,
    credentialSecret: 'bench',
    links: { 'node-red-contrib-dsmr-p1': packageDir },
    flows: flow(bridge.port),
  });
  const nodeRed = await startNodeRed({ userDir, port: 0 });
  try {
    await waitFor(() => bridge.socket !== null, 'p1-connection to connect', 20_000, nodeRed);
    const rssBefore = rssOf(nodeRed);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(nodeRed))), 50);
    const flood = Buffer.from(ALTERNATING_PROBLEMS.repeat(Math.ceil((megabytes * 1_048_576) / ALTERNATING_PROBLEMS.length)), 'latin1');
    const started = Date.now();
    for (let at = 0; at < flood.length; at += 65_536) await write(bridge.socket!, flood.subarray(at, at + 65_536));
    await write(bridge.socket!, GOOD_TELEGRAM);
    await waitFor(() => count(nodeRed, '[debug:telegrams]') >= 1, 'the good telegram after the flood', 600_000, nodeRed);
    const seconds = (Date.now() - started) / 1000;
    // Let trailing health messages and log lines arrive.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    clearInterval(sampler);
    const mb = flood.length / 1_048_576;
    const warnings = count(nodeRed, '[warn] [p1-connection:');
    const health = count(nodeRed, '[debug:health]');
    console.log(`package: ${packageDir}`);
    console.log(`hostile input: ${mb.toFixed(2)} MB of alternating CRC errors and junk over TCP, then one good telegram (${seconds.toFixed(1)} s)`);
    console.log(`log lines (warnings of p1-connection): ${warnings} (${(warnings / mb).toFixed(0)} per MB)`);
    console.log(`health messages on p1-in output 2: ${health} (${(health / mb).toFixed(0)} per MB)`);
    console.log(`Node-RED RSS: ${rssBefore} MB before, ${rssPeak} MB peak during the flood`);
  } finally {
    await nodeRed.stop();
    bridge.server.close();
    bridge.socket?.destroy();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

function flow(bridgePort: number): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'flood' },
    { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridgePort, connectTimeout: 5, idleTimeout: 0, maxBackoff: 1 },
    {
      id: 'in',
      type: 'p1-in',
      z: 'tab',
      connection: 'link',
      output: 'parsed',
      topic: '',
      rateLimit: 0,
      changeField: '',
      wires: [['tap-telegrams'], ['tap-health']],
    },
    { id: 'tap-telegrams', type: 'debug', z: 'tab', name: 'telegrams', active: true, tosidebar: false, console: true, complete: 'topic', wires: [] },
    { id: 'tap-health', type: 'debug', z: 'tab', name: 'health', active: true, tosidebar: false, console: true, complete: 'payload.state', wires: [] },
  ];
}

interface Bridge {
  server: net.Server;
  port: number;
  socket: net.Socket | null;
}

async function startBridge(): Promise<Bridge> {
  const bridge: Bridge = { server: net.createServer(), port: 0, socket: null };
  bridge.server.on('connection', (socket) => {
    socket.on('error', () => undefined);
    bridge.socket = socket;
  });
  await new Promise<void>((resolve) => bridge.server.listen(0, '127.0.0.1', () => resolve()));
  bridge.port = (bridge.server.address() as net.AddressInfo).port;
  return bridge;
}

function write(socket: net.Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(bytes, () => resolve()));
}

/** Lines of Node-RED's output that contain `marker`. */
function count(nodeRed: NodeRedProcess, marker: string): number {
  let n = 0;
  for (let at = nodeRed.output().indexOf(marker); at >= 0; at = nodeRed.output().indexOf(marker, at + 1)) n++;
  return n;
}

/** Resident memory of the Node-RED process in MB, from /proc. */
function rssOf(nodeRed: NodeRedProcess): number {
  const status = fs.readFileSync(`/proc/${nodeRed.child.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number, nodeRed: NodeRedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Node-RED said:\n${nodeRed.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
