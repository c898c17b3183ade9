/**
 * p1-connection as a TCP server on a LAN, in a real Node-RED with real sockets on 127.0.0.1:
 * readers that live exactly as long as their client, a client limit, an allow list, an idle
 * timeout and garbage-only clients dropped; each refusal and drop counted in health and logged.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { ConnectionState } from '../../src/connection/connection-state';
import type { ConnectionHandle } from '../../src/connection/meter-connection';
import { helper, logLines, NODES, numberedTelegram, p1InWithOutputs, recorder, statusesOf, telegramNumber, unusedTcpPort, waitFor } from './connection-harness';

function tcpServer(port: number, extra: Record<string, unknown> = {}) {
  return { id: 'server', type: 'p1-connection', source: 'tcp-server', bindAddress: '127.0.0.1', listenPort: port, ...extra };
}

const connection = () => (helper.getNode('server') as unknown as { connection: ConnectionHandle }).connection;

/** The connection's states in full words (the short status leaves out the client count and the reason). */
function describedStates(): string[] {
  const server = helper.getNode('server') as unknown as { connection: ConnectionHandle; describe(state: ConnectionState): string };
  const described: string[] = [];
  server.connection.subscribe({ onTelegram() {}, onState: (state) => described.push(server.describe(state)) });
  return described;
}
const warnings = () =>
  logLines()
    .filter((l) => l.level === 30)
    .map((l) => l.msg);

/** Connects, retrying while the node's server is still starting. */
async function connect(port: number): Promise<net.Socket> {
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

function write(socket: net.Socket, bytes: string | Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(bytes, () => resolve()));
}

/** Resolves when the other side has closed `socket`. */
function closedByServer(socket: net.Socket): Promise<void> {
  socket.on('error', () => undefined);
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('p1-connection as a TCP server on a LAN', function () {
  this.timeout(30_000);
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await helper.unload();
  });

  it("keeps a bridge's half-received telegram while 40 other clients come, send a byte and go", async () => {
    // Before: readers were kept for the 16 most recently heard clients only, so the bridge's half telegram was wiped.
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { maxClients: 64 }), ...p1InWithOutputs('in', 'server')]);
    const received = recorder('in-out');
    const bridge = await connect(port);
    sockets.push(bridge);
    const telegram = numberedTelegram(5);
    await write(bridge, telegram.slice(0, 300));
    for (let i = 0; i < 40; i++) {
      const junk = await connect(port);
      await write(junk, 'x');
      junk.end();
      await closedByServer(junk);
    }
    // Each client's skipped byte is counted when its stream ends.
    await waitFor(() => connection().health().bytesSkipped >= 40, 'the 40 junk clients to be read and forgotten');
    await write(bridge, telegram.slice(300));
    await waitFor(() => received.length === 1, 'the bridge telegram');
    assert.equal(telegramNumber(received[0]), 5);
    assert.equal(connection().health().droppedPartials, 0);
  });

  it('refuses the client beyond the limit: counted in health and logged; the meter telegrams still arrive', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { maxClients: 2 }), ...p1InWithOutputs('in', 'server')]);
    const received = recorder('in-out');
    const states = describedStates();
    const [meter, other] = [await connect(port), await connect(port)];
    sockets.push(meter, other);
    await waitFor(() => /2 clients/.test(states.at(-1) ?? ''), 'two clients in the state');
    const third = await connect(port);
    sockets.push(third);
    await closedByServer(third);
    await waitFor(() => connection().health().clientsRefused === 1, 'clientsRefused = 1');
    await write(meter, numberedTelegram(1));
    await waitFor(() => received.length === 1, 'the meter telegram');
    await waitFor(() => warnings().some((m) => /refused client 127\.0\.0\.1:\d+: already 2 clients connected \(the limit\)/.test(m)), 'the refusal in the log');
  });

  it('100 connections held open: the limit refuses all but 8, with 3 log lines, and the meter keeps sending', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port), ...p1InWithOutputs('in', 'server')]);
    const received = recorder('in-out');
    const meter = await connect(port);
    sockets.push(meter);
    const crowd: net.Socket[] = [];
    for (let i = 0; i < 100; i++) crowd.push(await connect(port));
    sockets.push(...crowd);
    await waitFor(() => connection().health().clientsRefused === 93, `93 refused; saw ${connection().health().clientsRefused}`, 10_000);
    const refusals = warnings().filter((m) => /refused client/.test(m));
    assert.equal(refusals.length, 3, refusals.join('\n'));
    await write(meter, numberedTelegram(3));
    await waitFor(() => received.length === 1, 'the meter telegram');
  });

  it('an allow list refuses other hosts; a malformed list fails the node with the entry named', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { allowedClients: '192.168.1.0/24, fd00::/8' }), ...p1InWithOutputs('in', 'server')]);
    const stranger = await connect(port);
    sockets.push(stranger);
    await closedByServer(stranger);
    await waitFor(() => connection().health().clientsRefused === 1, 'clientsRefused = 1');
    await waitFor(() => warnings().some((m) => /refused client 127\.0\.0\.1:\d+: not in the allowed clients/.test(m)), 'the refusal in the log');
    await helper.unload();

    await helper.load(NODES, [tcpServer(port, { allowedClients: '192.168.1.0/24 esp-p1.local' }), ...p1InWithOutputs('in', 'server')]);
    const health = recorder('in-health');
    await waitFor(() => health.some((m) => /esp-p1\.local/.test(m.payload.detail)), 'the failed health message naming the entry');
    assert.equal(statusesOf('in').at(-1)?.fill, 'red');
  });

  it('drops a client that sends only garbage; the meter next to it keeps its telegrams', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { maxTelegramSize: 1024 }), ...p1InWithOutputs('in', 'server')]);
    const received = recorder('in-out');
    const [meter, noisy] = [await connect(port), await connect(port)];
    sockets.push(meter, noisy);
    await write(meter, numberedTelegram(1));
    const noisyClosed = closedByServer(noisy);
    // More than 4 × the maximum telegram size without a telegram is garbage.
    for (let i = 0; i < 10 && !noisy.destroyed; i++) await write(noisy, Buffer.alloc(1000, 0x55));
    await noisyClosed;
    await waitFor(() => connection().health().clientsDropped === 1, 'the garbage client dropped');
    await waitFor(() => warnings().some((m) => /dropped client 127\.0\.0\.1:\d+: sent more than 4096 bytes without a telegram/.test(m)), 'the drop in the log');
    await write(meter, numberedTelegram(2));
    await waitFor(() => received.length === 2, 'both meter telegrams');
    assert.deepEqual(received.map(telegramNumber), [1, 2]);
  });

  it('drops a client that stays silent longer than the idle timeout', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { clientIdleTimeout: 0.5 }), ...p1InWithOutputs('in', 'server')]);
    const quiet = await connect(port);
    sockets.push(quiet);
    await closedByServer(quiet);
    await waitFor(() => connection().health().clientsDropped === 1, 'the silent client dropped');
    await waitFor(() => warnings().some((m) => /dropped client 127\.0\.0\.1:\d+: no data for 0\.5 s/.test(m)), 'the drop in the log');
  });

  it('warns in the log when it listens on all interfaces without an allow list', async () => {
    const port = await unusedTcpPort();
    await helper.load(NODES, [tcpServer(port, { bindAddress: '0.0.0.0' }), ...p1InWithOutputs('in', 'server')]);
    await waitFor(() => warnings().some((m) => /listens on all interfaces and accepts any client/.test(m)), 'the open-server warning');
  });
});
