/**
 * p1-connection over real TCP on 127.0.0.1: a fake ESP bridge that closes, resets, goes silent
 * and restarts; a TCP server source with two bridges at once; two connections side by side.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startUnansweringPeer } from '../support/unanswering-peer';
import { FakeBridge } from './fake-bridge';
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
  waitForStatusSequence,
  type Msg,
} from './connection-harness';

function tcpClient(id: string, port: number, extra: Record<string, unknown> = {}) {
  return { id, type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port, connectTimeout: 2, idleTimeout: 30, maxBackoff: 1, ...extra };
}

async function sendNumbered(bridge: FakeBridge, from: number, to: number, received: Msg[]): Promise<void> {
  for (let n = from; n <= to; n++) {
    await bridge.send(numberedTelegram(n));
    await waitFor(() => received.some((m) => telegramNumber(m) === n), `telegram ${n}`);
  }
}

function assertEachOnceInOrder(received: Msg[], expected: number[]): void {
  assert.deepEqual(received.map(telegramNumber), expected);
}

describe('p1-connection as TCP client of a P1 bridge', function () {
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  // Each disruption: the node notices, says so in its status, reconnects, and resumes without duplicates.
  const disruptions: Array<[string, Record<string, unknown>, (b: FakeBridge) => Promise<void> | void]> = [
    ['closes the connection (FIN)', {}, (b) => b.endClients()],
    ['resets the connection (RST)', {}, (b) => b.resetClients()],
    ['goes silent without closing', { idleTimeout: 1.5 }, () => undefined],
    [
      'restarts on the same port',
      {},
      async (b) => {
        await b.stop();
        await b.listen(b.port);
      },
    ],
  ];

  for (const [what, options, disrupt] of disruptions) {
    it(`reconnects and resumes when the bridge ${what}`, async () => {
      await helper.load(NODES, [tcpClient('link', bridge.port, options), ...p1InWithOutputs('in', 'link')]);
      const received = recorder('in-out');
      const health = recorder('in-health');
      await waitFor(() => bridge.clients === 1, 'the node to connect');
      await sendNumbered(bridge, 1, 3, received);

      const acceptedBefore = bridge.accepted;
      await disrupt(bridge);
      await waitFor(() => bridge.accepted > acceptedBefore && bridge.clients === 1, 'the node to reconnect', 8000);
      await sendNumbered(bridge, 4, 6, received);

      assertEachOnceInOrder(received, [1, 2, 3, 4, 5, 6]);
      await waitForStatusSequence('in', [/^connecting/, /^waiting for data/, /kW ↓/, /^retry in \d+ s$/, /^connecting/, /^waiting for data/, /kW ↓/]);
      // One health message per retry ('reconnecting'; its 'connecting' adds none), at most one per
      // second: a phase that lasts less than that (a 'waiting' just before the first telegram, a
      // 'receiving' cut short by the next idle timeout) is overtaken by the next one.
      const states = () => health.map((m) => m.payload.state).join(' ');
      await waitFor(() => /reconnecting (waiting|receiving)/.test(states()), 'health: reconnecting, then waiting or receiving');
      assert.doesNotMatch(states(), /connecting connecting|reconnecting connecting/);
      assert.ok(health[health.length - 1].payload.counters.reconnects >= 1);
    });
  }

  it('shows "stalled" when a connected meter stops sending, and the live summary again when it resumes', async () => {
    await helper.load(NODES, [tcpClient('link', bridge.port), ...p1InWithOutputs('in', 'link')]);
    const received = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    await sendNumbered(bridge, 1, 2, received);
    await waitForStatusSequence('in', [/kW ↓/, /^no telegram for \d+ s$/]);
    await sendNumbered(bridge, 3, 3, received);
    await waitForStatusSequence('in', [/kW ↓/, /^no telegram for \d+ s$/, /kW ↓/]);
    await waitFor(() => /receiving stalled receiving$/.test(health.map((m) => m.payload.state).join(' ')), 'health: receiving stalled receiving');
    assert.equal(bridge.accepted, 1, 'a stall alone does not reconnect');
  });

  it('a bridge that never accepts: the connect timeout fires, status and health show ever longer retry delays', async () => {
    const peer = await startUnansweringPeer();
    try {
      await helper.load(NODES, [tcpClient('link', peer.port, { connectTimeout: 0.5, maxBackoff: 60 }), ...p1InWithOutputs('in', 'link')]);
      const health = recorder('in-health');
      const reason = `no answer from 127.0.0.1:${peer.port} within 0.5 s`;
      const retry = (seconds: number) => new RegExp(`^retry in ${seconds} s$`);
      await waitForStatusSequence('in', [/^connecting/, retry(1), /^connecting/, retry(2), /^connecting/, retry(4)], 15_000);
      const retries = () => health.filter((m) => m.payload.state === 'reconnecting').map((m) => m.payload.detail);
      await waitFor(() => retries().length >= 3, 'three health messages "reconnecting"');
      assert.deepEqual(retries().slice(0, 3), [`retry in 1 s: ${reason}`, `retry in 2 s: ${reason}`, `retry in 4 s: ${reason}`]);
      assert.ok(!health.some((m) => m.payload.state === 'waiting'), 'never connected');
    } finally {
      await helper.unload();
      await peer.stop();
    }
  });

  it('"Silent after" 0 never drops a quiet connection: stalled, still the same connection, then telegrams again', async () => {
    await helper.load(NODES, [tcpClient('link', bridge.port, { idleTimeout: 0 }), ...p1InWithOutputs('in', 'link')]);
    const received = recorder('in-out');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    await sendNumbered(bridge, 1, 2, received);
    // The stall watchdog needs at least 2 s of silence; stay silent for twice that.
    await waitForStatusSequence('in', [/kW ↓/, /^no telegram for \d+ s$/], 10_000);
    const quietSince = Date.now();
    await waitFor(() => Date.now() - quietSince > 2000, 'two more quiet seconds', 5000);
    await sendNumbered(bridge, 3, 3, received);
    assert.equal(bridge.accepted, 1, 'one connection all along');
    assert.ok(!statusesOf('in').some((s) => /^retry in/.test(s.text ?? '')), 'no reconnect');
    assertEachOnceInOrder(received, [1, 2, 3]);
  });

  it('keeps a telegram split over many small chunks whole, and drops the half one cut by a reset', async () => {
    await helper.load(NODES, [tcpClient('link', bridge.port), ...p1InWithOutputs('in', 'link')]);
    const received = recorder('in-out');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    await bridge.send(numberedTelegram(1), 7);
    await waitFor(() => received.length === 1, 'the chunked telegram');

    const half = numberedTelegram(2);
    await bridge.send(half.slice(0, half.length / 2));
    const acceptedBefore = bridge.accepted;
    bridge.resetClients();
    await waitFor(() => bridge.accepted > acceptedBefore && bridge.clients === 1, 'the node to reconnect', 8000);
    await sendNumbered(bridge, 3, 3, received);
    assertEachOnceInOrder(received, [1, 3]);
  });
});

describe('p1-connection as TCP server for bridges that connect to Node-RED', function () {
  afterEach(async () => {
    await helper.unload();
  });

  /**
   * Loads a TCP server connection on a port that was free a moment ago. Another process may take
   * it before the node binds it: then the node says "already in use" and this takes another port.
   */
  async function loadListeningServer(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const port = await unusedTcpPort();
      await helper.load(NODES, [
        { id: 'server', type: 'p1-connection', source: 'tcp-server', bindAddress: '127.0.0.1', listenPort: port },
        ...p1InWithOutputs('in', 'server'),
      ]);
      await waitFor(() => statusesOf('in').some((s) => /^waiting for data|^retry in/.test(s.text ?? '')), 'the server to listen or fail');
      if (!statusesOf('in').some((s) => /already in use/.test(s.text ?? ''))) return port;
      assert.ok(attempt < 5, 'no free port after 5 attempts');
      await helper.unload();
    }
  }

  it('frames two clients sending at the same time separately', async () => {
    const port = await loadListeningServer();
    const received = recorder('in-out');
    const [first, second] = await Promise.all([connectWhenListening(port), connectWhenListening(port)]);
    try {
      // Interleave the two streams in 50-byte pieces: each reader must see only its own bytes.
      const a = Buffer.from(numberedTelegram(101) + numberedTelegram(102), 'latin1');
      const b = Buffer.from(numberedTelegram(201) + numberedTelegram(202), 'latin1');
      for (let at = 0; at < Math.max(a.length, b.length); at += 50) {
        if (at < a.length) await write(first, a.subarray(at, at + 50));
        if (at < b.length) await write(second, b.subarray(at, at + 50));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => received.length === 4, 'four telegrams', 5000);
      const numbers = received.map(telegramNumber);
      assert.deepEqual(
        numbers.filter((n) => n < 200),
        [101, 102],
      );
      assert.deepEqual(
        numbers.filter((n) => n > 200),
        [201, 202],
      );
      const topics = new Set(received.map((m) => m.topic));
      assert.ok([...topics].every((t) => typeof t === 'string' && t.startsWith('p1/')));
    } finally {
      first.destroy();
      second.destroy();
    }
  });
});

describe('two p1-connections in one flow', function () {
  const bridges: FakeBridge[] = [];

  afterEach(async () => {
    await helper.unload();
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
  });

  it('keep their data apart', async () => {
    const [one, two] = await Promise.all([new FakeBridge().listen(0), new FakeBridge().listen(0)]);
    bridges.push(one, two);
    await helper.load(NODES, [tcpClient('c1', one.port), tcpClient('c2', two.port), ...p1InWithOutputs('in1', 'c1'), ...p1InWithOutputs('in2', 'c2')]);
    const r1 = recorder('in1-out');
    const r2 = recorder('in2-out');
    await waitFor(() => one.clients === 1 && two.clients === 1, 'both nodes to connect');
    await Promise.all([sendNumbered(one, 1, 3, r1), sendNumbered(two, 11, 13, r2)]);
    assertEachOnceInOrder(r1, [1, 2, 3]);
    assertEachOnceInOrder(r2, [11, 12, 13]);
  });
});

/** Connects, retrying while the node's server is still starting. */
async function connectWhenListening(port: number): Promise<net.Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      });
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function write(socket: net.Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(bytes, () => resolve()));
}
