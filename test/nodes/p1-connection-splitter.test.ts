/**
 * The P1 splitter in a real Node-RED with real sockets on 127.0.0.1: a p1-connection reading a
 * (fake) bridge serves every telegram byte for byte to three readers at once (a second
 * p1-connection in the same runtime, a plain socket, and one that stops reading); the stalled
 * one is dropped while the others and the meter lose nothing. Encrypted frames are served as
 * their plaintext; connect/disconnect cycles leave no handle; refusals are counted.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { ConnectionHandle } from '../../src/connection/meter-connection';
import { checkTelegramCrc } from '../../src/protocol/crc16';
import { LUXEMBOURG_AUTHENTICATION_KEY } from '../../src/protocol/decrypt';
import { buildFrame } from '../support/dlms-frame';
import { loadEncryptedFixtures } from '../protocol/corpus-files';
import { FakeBridge } from './fake-bridge';
import { helper, logLines, NODES, numberedTelegram, p1InWithOutputs, unusedTcpPort, waitFor, type FlowNode, type Msg } from './connection-harness';
import { settle } from '../support/settle';

/** A p1-connection reading the bridge as a TCP client, serving what it reads on `splitterPort`. */
function splittingSource(bridgePort: number, splitterPort: number, extra: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'source',
    type: 'p1-connection',
    source: 'tcp-client',
    host: '127.0.0.1',
    port: bridgePort,
    idleTimeout: 0,
    splitter: true,
    splitterBindAddress: '127.0.0.1',
    splitterPort,
    ...extra,
  };
}

const health = () => (helper.getNode('source') as unknown as { connection: ConnectionHandle }).connection.health();
const warnings = () =>
  logLines()
    .filter((l) => l.level === 30)
    .map((l) => l.msg);

/** A plain socket reading the splitter; `bytes()` is everything it has received. */
interface Reader {
  socket: net.Socket;
  bytes(): Buffer;
  closed: Promise<void>;
}

async function connectReader(port: number): Promise<Reader> {
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return { socket, bytes: () => Buffer.concat(chunks), closed };
    } catch (err) {
      if (attempt > 200) throw err; // the splitter is still starting
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Raw telegram texts a p1-in (output "raw") sent, kept as text only so thousands stay cheap. */
function rawTexts(nodeId: string): string[] {
  const texts: string[] = [];
  const node = helper.getNode(nodeId) as unknown as { on(event: 'input', fn: (msg: Msg) => void): void };
  node.on('input', (msg) => texts.push(String(msg.payload)));
  return texts;
}

describe('p1-connection splitter: serving telegrams on a TCP port', function () {
  this.timeout(120_000);
  let bridge: FakeBridge;
  const sockets: net.Socket[] = [];

  beforeEach(async () => {
    bridge = await new FakeBridge().listen();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await helper.unload();
    await bridge.stop();
  });

  it('three readers get byte-identical telegrams; the one that stops reading is dropped, the others and the meter lose nothing', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [
      splittingSource(bridge.port, splitterPort),
      ...p1InWithOutputs('in', 'source', { output: 'raw' }),
      // Another Node-RED reading the splitter, as a bridge: here a second config node in the same runtime.
      { id: 'downstream', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: splitterPort, idleTimeout: 0 },
      ...p1InWithOutputs('down', 'downstream', { output: 'raw' }),
    ]);
    const atMeter = rawTexts('in-out');
    const downstream = rawTexts('down-out');
    const plain = await connectReader(splitterPort);
    const stalled = await connectReader(splitterPort);
    stalled.socket.pause(); // and never resumes while the telegrams flow
    sockets.push(plain.socket, stalled.socket);
    await waitFor(
      () => health().readersConnected === 3 && bridge.clients === 1,
      `3 readers and the meter; saw ${health().readersConnected} readers, ${bridge.clients} bridge clients`,
      10_000,
    );

    // The operating system buffers megabytes for a socket on 127.0.0.1 before the splitter's own bound
    // is reached: send in batches until the stalled reader is dropped, then a few more.
    const sent: string[] = [];
    const sendBatch = async (count: number) => {
      const batch = Array.from({ length: count }, (_, i) => numberedTelegram(sent.length + i + 1));
      sent.push(...batch);
      await bridge.send(batch.join(''));
      await waitFor(() => atMeter.length === sent.length, `the meter's telegram ${sent.length} at p1-in; saw ${atMeter.length}`, 20_000);
    };
    while (health().readersDropped === 0) {
      assert.ok(sent.length < 40_000, `the stalled reader was never dropped (${sent.length} telegrams sent)`);
      await sendBatch(200);
    }
    await sendBatch(20);

    const all = Buffer.from(sent.join(''), 'latin1');
    await waitFor(
      () => plain.bytes().length >= all.length && downstream.length === sent.length,
      `everything at the plain reader (${plain.bytes().length} of ${all.length} bytes) and downstream (${downstream.length} of ${sent.length})`,
      30_000,
    );
    assert.ok(plain.bytes().equals(all), 'the plain reader got every telegram, byte for byte');
    assert.equal(downstream.join(''), sent.join(''), 'the second connection got every telegram, byte for byte');
    assert.deepEqual(atMeter, sent, 'the meter connection went on');

    // The stalled reader, reading at last, finds the prefix it was sent and then the end of its connection.
    stalled.socket.resume();
    await stalled.closed;
    const got = stalled.bytes();
    assert.ok(got.length > 0 && got.length < all.length, `the stalled reader got a part (${got.length} of ${all.length} bytes)`);
    assert.ok(all.subarray(0, got.length).equals(got), 'what the stalled reader got is the start of the stream, unaltered');

    const after = health();
    assert.equal(after.readersDropped, 1);
    assert.equal(after.readersConnected, 2);
    await waitFor(
      () => warnings().some((m) => /splitter 127\.0\.0\.1:\d+: dropped reader 127\.0\.0\.1:\d+: not reading: \d+ KiB unread/.test(m)),
      'the drop in the log',
    );
  });

  // The Luxembourg specification's examples carry a wrong CRC: dropped, as a meter's would be, so not served.
  const withValidCrc = loadEncryptedFixtures().filter((f) => checkTelegramCrc(f.plaintext.toString('latin1')).valid === true);
  it('has encrypted corpus frames whose plaintext has a valid CRC to serve', () => assert.ok(withValidCrc.length >= 2));
  for (const encrypted of withValidCrc) {
    it(`serves the encrypted frame ${encrypted.file} as its plaintext telegram`, async () => {
      const splitterPort = await unusedTcpPort();
      const authenticationKey = encrypted.tagUsesAad ? encrypted.authenticationKey : '';
      await helper.load(NODES, [splittingSource(bridge.port, splitterPort), ...p1InWithOutputs('in', 'source', { output: 'raw' })], {
        source: { decryptionKey: encrypted.key, authenticationKey },
      });
      const atMeter = rawTexts('in-out');
      const reader = await connectReader(splitterPort);
      sockets.push(reader.socket);
      await waitFor(() => health().readersConnected === 1 && bridge.clients === 1, 'the reader and the meter');
      await bridge.send(encrypted.frame);
      await bridge.send(encrypted.frame);
      const expected = Buffer.concat([encrypted.plaintext, encrypted.plaintext]);
      await waitFor(() => reader.bytes().length >= expected.length, `two plaintext telegrams (${reader.bytes().length} of ${expected.length} bytes)`);
      assert.ok(reader.bytes().equals(expected), `served:\n${reader.bytes().toString('latin1')}`);
      assert.equal(atMeter.length, 2);
      assert.equal(reader.bytes().includes(encrypted.frame.subarray(0, 16)), false, 'no ciphertext is served');
    });
  }

  it('serves a decrypted plaintext that ends at its CRC with a line end, so the next telegram starts on its own line', async () => {
    const key = Buffer.from('0123456789ABCDEF0123456789ABCDEF', 'hex');
    const frameOf = (n: number) => {
      const plaintext = numberedTelegram(n).replace(/\r\n$/, '');
      return buildFrame(Buffer.from(plaintext, 'latin1'), key, 0x30, Buffer.concat([Buffer.from([0x30]), LUXEMBOURG_AUTHENTICATION_KEY]));
    };
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort), ...p1InWithOutputs('in', 'source', { output: 'raw' })], {
      source: { decryptionKey: key.toString('hex') },
    });
    const reader = await connectReader(splitterPort);
    sockets.push(reader.socket);
    await waitFor(() => health().readersConnected === 1 && bridge.clients === 1, 'the reader and the meter');
    await bridge.send(Buffer.concat([frameOf(1), frameOf(2)]));
    const expected = numberedTelegram(1) + numberedTelegram(2);
    await waitFor(() => reader.bytes().length >= expected.length, `both telegrams (${reader.bytes().length} of ${expected.length} bytes)`);
    assert.equal(reader.bytes().toString('latin1'), expected);
  });

  it('serves no telegram with a wrong CRC, even when the connection passes it on flagged', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort, { crcPolicy: 'flag' }), ...p1InWithOutputs('in', 'source', { output: 'raw' })]);
    const atMeter = rawTexts('in-out');
    const reader = await connectReader(splitterPort);
    sockets.push(reader.socket);
    await waitFor(() => health().readersConnected === 1 && bridge.clients === 1, 'the reader and the meter');
    const damaged = numberedTelegram(1).replace('1-0:1.8.1(', '1-0:1.8.2(');
    await bridge.send(damaged + numberedTelegram(2));
    await waitFor(() => atMeter.length === 2, 'both telegrams at p1-in, the first flagged');
    await waitFor(() => reader.bytes().length >= numberedTelegram(2).length, 'the good telegram at the reader');
    assert.equal(reader.bytes().toString('latin1'), numberedTelegram(2));
  });

  it('reads the meter for its readers even when no p1-in uses the connection', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort)]);
    const reader = await connectReader(splitterPort);
    sockets.push(reader.socket);
    await waitFor(() => health().readersConnected === 1 && bridge.clients === 1, 'the reader, and the connection to the meter');
    await bridge.send(numberedTelegram(4));
    await waitFor(() => reader.bytes().toString('latin1') === numberedTelegram(4), 'the telegram at the reader');
  });

  it('100 readers connecting and leaving one after another leave no handle behind', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort), ...p1InWithOutputs('in', 'source')]);
    const first = await connectReader(splitterPort); // proves the splitter listens before the baseline is taken
    first.socket.destroy();
    await first.closed;
    await waitFor(() => health().readersConnected === 0 && bridge.clients === 1, 'the splitter idle and the meter connected');
    const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    let baseline = handles();
    await settle(() => {
      const now = handles();
      const stable = now === baseline;
      baseline = now;
      return stable;
    });

    for (let i = 0; i < 100; i++) {
      const reader = await connectReader(splitterPort);
      await waitFor(() => health().readersConnected === 1, `reader ${i + 1} connected`);
      if (i % 2 === 0)
        reader.socket.end(); // a polite FIN
      else reader.socket.destroy();
      await reader.closed;
      await waitFor(() => health().readersConnected === 0, `reader ${i + 1} gone at the splitter`);
    }
    await settle(() => handles() <= baseline);
    assert.equal(handles(), baseline, 'active handles after 100 readers came and went');
    assert.deepEqual([health().readersRefused, health().readersDropped], [0, 0]);
  });

  it('refuses readers beyond the limit and outside the allow list: counted and logged; the readers inside go on', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort, { splitterMaxReaders: 2 }), ...p1InWithOutputs('in', 'source')]);
    const [a, b] = [await connectReader(splitterPort), await connectReader(splitterPort)];
    sockets.push(a.socket, b.socket);
    await waitFor(() => health().readersConnected === 2 && bridge.clients === 1, 'two readers');
    const third = await connectReader(splitterPort);
    sockets.push(third.socket);
    await third.closed;
    await waitFor(() => health().readersRefused === 1, 'readersRefused = 1');
    await waitFor(() => warnings().some((m) => /refused reader 127\.0\.0\.1:\d+: already 2 readers connected \(the limit\)/.test(m)), 'the refusal in the log');
    const telegram = numberedTelegram(7);
    await bridge.send(telegram);
    await waitFor(() => a.bytes().length === telegram.length && b.bytes().length === telegram.length, 'the telegram at both readers');
    assert.equal(third.bytes().length, 0);
    await helper.unload();

    await helper.load(NODES, [
      splittingSource(bridge.port, splitterPort, { splitterAllowedClients: '192.168.1.0/24, fd00::/8' }),
      ...p1InWithOutputs('in', 'source'),
    ]);
    const stranger = await connectReader(splitterPort);
    sockets.push(stranger.socket);
    await stranger.closed;
    await waitFor(() => health().readersRefused === 1, 'the stranger refused');
    await waitFor(() => warnings().some((m) => /refused reader 127\.0\.0\.1:\d+: not in the allowed clients/.test(m)), 'the refusal in the log');
  });

  it('a redeploy frees the port; a listen on all interfaces without an allow list is warned about; a bad setting fails the node', async () => {
    const splitterPort = await unusedTcpPort();
    await helper.load(NODES, [splittingSource(bridge.port, splitterPort, { splitterBindAddress: '0.0.0.0' }), ...p1InWithOutputs('in', 'source')]);
    await waitFor(() => warnings().some((m) => /splitter on port \d+ listens on all interfaces and serves anyone/.test(m)), 'the open-splitter warning');
    const reader = await connectReader(splitterPort);
    await waitFor(() => health().readersConnected === 1, 'the reader');
    await helper.unload();
    await reader.closed; // closing the node closes its readers
    const refused = await new Promise<boolean>((resolve) => {
      const probe = net.connect(splitterPort, '127.0.0.1', () => {
        probe.destroy();
        resolve(false);
      });
      probe.once('error', () => resolve(true));
    });
    assert.equal(refused, true, 'nothing listens on the port after the flow stopped');

    await helper.load(NODES, [splittingSource(bridge.port, splitterPort, { splitterAllowedClients: 'my-laptop' }), ...p1InWithOutputs('in', 'source')]);
    await waitFor(
      () => logLines().some((l) => l.level === 20 && /invalid configuration: splitter allowed clients: "my-laptop" is not an IP address/.test(l.msg)),
      'the configuration error',
    );
  });
});
