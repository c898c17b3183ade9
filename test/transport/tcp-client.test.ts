import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createTransport } from '../../src/transport';
import type { Transport, TransportState } from '../../src/transport/transport';
import { FIXTURES } from '../support/paths';
import { connectedWith, TransportRecorder } from '../support/transport-recorder';
import { startUnansweringPeer } from '../support/unanswering-peer';
import { listenOnLoopback } from '../support/loopback';

const TELEGRAM = fs.readFileSync(path.join(FIXTURES, 'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt'));

/** A real TCP server on 127.0.0.1 playing an ESP8266 serial bridge. */
class FakeBridge {
  readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    this.port = await listenOnLoopback(server, port);
    this.server = server;
  }

  /** The socket of the transport's current connection. */
  get client(): net.Socket {
    const [socket] = [...this.sockets].slice(-1);
    assert.ok(socket, 'a client is connected');
    return socket;
  }

  send(bytes: Buffer): void {
    this.client.write(bytes);
  }

  /** Stop listening and drop every connection (the ESP reboots). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('transport/tcp-client (real sockets on 127.0.0.1)', function () {
  this.timeout(20_000);
  let bridge: FakeBridge;
  let transports: Transport[];

  beforeEach(async () => {
    bridge = new FakeBridge();
    await bridge.start();
    transports = [];
  });

  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await bridge.stop();
  });

  function client(options: { idleTimeoutMs?: number; maxBackoffMs?: number } = {}) {
    const transport = createTransport({ kind: 'tcp-client', host: '127.0.0.1', port: bridge.port, ...options });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    transport.open();
    return { transport, recorder, address: `127.0.0.1:${bridge.port}` };
  }

  /** The next state after `from` that is not 'connecting'. */
  const settled = (recorder: TransportRecorder, from: number, timeoutMs = 5000) =>
    recorder.waitForState((s: TransportState) => s.state !== 'connecting', timeoutMs, from);

  async function expectDataFlows(recorder: TransportRecorder): Promise<void> {
    recorder.clearData();
    bridge.send(TELEGRAM);
    assert.deepEqual(await recorder.waitForBytes(TELEGRAM.length), TELEGRAM);
  }

  it('connects, reports the address, and passes bytes through intact', async () => {
    const { recorder, address } = client();
    await recorder.waitForState(connectedWith(address));
    await expectDataFlows(recorder);
    assert.deepEqual(recorder.states, [
      { state: 'connecting', detail: address },
      { state: 'connected', detail: address },
    ]);
  });

  it('the bridge closes the connection → reconnecting, then connected again, data resumes', async () => {
    const { recorder, address } = client();
    await recorder.waitForState(connectedWith(address));
    await expectDataFlows(recorder);
    bridge.client.end();
    const lost = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(lost.state, { state: 'reconnecting', inMs: 1000, reason: `connection closed by ${address}` });
    const back = await settled(recorder, lost.index + 1);
    assert.deepEqual(back.state, { state: 'connected', detail: address });
    await expectDataFlows(recorder);
  });

  it('the bridge resets the connection → "connection reset", reconnects', async () => {
    const { recorder, address } = client();
    await recorder.waitForState(connectedWith(address));
    await expectDataFlows(recorder);
    bridge.client.resetAndDestroy();
    const lost = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(lost.state, { state: 'reconnecting', inMs: 1000, reason: `connection reset by ${address}` });
    assert.deepEqual((await settled(recorder, lost.index + 1)).state, { state: 'connected', detail: address });
    await expectDataFlows(recorder);
  });

  it('a bridge that goes silent without FIN → the idle watchdog reconnects', async () => {
    // 1.5 s: long enough that a slow machine gets the first telegram through before the watchdog fires.
    const { recorder, address } = client({ idleTimeoutMs: 1500 });
    await recorder.waitForState(connectedWith(address));
    await expectDataFlows(recorder);
    const silent = bridge.client;
    const lost = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(lost.state, { state: 'reconnecting', inMs: 1000, reason: 'no data for 1.5 s' });
    assert.deepEqual((await settled(recorder, lost.index + 1)).state, { state: 'connected', detail: address });
    assert.notEqual(bridge.client, silent, 'a new connection replaced the silent one');
    await expectDataFlows(recorder);
  });

  it('the bridge is down: retries with a growing, capped backoff; reconnects when it is back on the same port', async () => {
    const { recorder, address } = client({ maxBackoffMs: 2000 });
    await recorder.waitForState(connectedWith(address));
    await expectDataFlows(recorder);
    const port = bridge.port;
    await bridge.stop();

    const delays: number[] = [];
    let from = 0;
    while (delays.length < 3) {
      const { state, index } = await recorder.waitForState((s) => s.state === 'reconnecting', 8000, from);
      assert.equal(state.state, 'reconnecting');
      if (state.state === 'reconnecting') {
        delays.push(state.inMs);
        if (delays.length > 1) assert.equal(state.reason, `connection refused by ${address}`);
      }
      from = index + 1;
    }
    assert.deepEqual(delays, [1000, 2000, 2000]);

    await bridge.start(port);
    assert.deepEqual((await settled(recorder, from, 8000)).state, { state: 'connected', detail: address });
    await expectDataFlows(recorder);
  });

  it('a bridge that never accepts the connection → the connect timeout gives up and retries, with growing delays', async () => {
    const peer = await startUnansweringPeer();
    try {
      const transport = createTransport({ kind: 'tcp-client', host: '127.0.0.1', port: peer.port, connectTimeoutMs: 500 });
      transports.push(transport);
      const recorder = new TransportRecorder(transport);
      transport.open();
      const address = `127.0.0.1:${peer.port}`;
      // Without the timeout the kernel keeps the connect pending for minutes: these would never come.
      const first = await recorder.waitForState((s) => s.state === 'reconnecting', 10_000);
      const second = await recorder.waitForState((s) => s.state === 'reconnecting', 10_000, first.index + 1);
      const reason = `no answer from ${address} within 0.5 s`;
      assert.deepEqual(
        [first.state, second.state],
        [
          { state: 'reconnecting', inMs: 1000, reason },
          { state: 'reconnecting', inMs: 2000, reason },
        ],
      );
      assert.ok(
        recorder.states.every((s) => s.state !== 'connected'),
        'never connected',
      );
    } finally {
      await peer.stop();
    }
  });

  it('close() resolves once the socket is closed', async () => {
    const { transport, recorder, address } = client();
    await recorder.waitForState(connectedWith(address));
    const server = bridge.client;
    const serverSawClose = new Promise<void>((resolve) => server.once('close', () => resolve()));
    await transport.close();
    assert.deepEqual(recorder.states.at(-1), { state: 'closed' });
    await serverSawClose;
    assert.equal(bridge.sockets.size, 0);
  });
});
