import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createTransport } from '../../src/transport';
import type { Transport } from '../../src/transport/transport';
import { FIXTURES } from '../support/paths';
import { connectedWith, TransportRecorder } from '../support/transport-recorder';

const corpus = (file: string) => fs.readFileSync(path.join(FIXTURES, file));
const DUTCH = corpus('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');
const BELGIAN = corpus('ndokter__dsmr_parser/be_fluvius_v171.txt');

/** A port that was free a moment ago: the transport binds it itself, and it reports the configured port, not a port 0 answer. */
async function recentlyFreePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function connectClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

describe('transport/tcp-server (real sockets on 127.0.0.1)', function () {
  this.timeout(20_000);
  let transports: Transport[];
  let sockets: net.Socket[];
  let servers: net.Server[];

  beforeEach(() => {
    transports = [];
    sockets = [];
    servers = [];
  });

  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    sockets.forEach((s) => s.destroy());
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  function server(port: number) {
    const transport = createTransport({ kind: 'tcp-server', bindAddress: '127.0.0.1', port });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    transport.open();
    return { transport, recorder };
  }

  /**
   * A server transport listening on a free port. Another process may take the port between the
   * probe and the bind; then the transport says "already in use" and the test takes another port
   * instead of failing.
   */
  async function listeningServer() {
    for (let attempt = 1; ; attempt++) {
      const port = await recentlyFreePort();
      const { transport, recorder } = server(port);
      const { state } = await recorder.waitForState((s) => s.state !== 'connecting');
      if (state.state === 'connected') return { transport, recorder, port };
      if (attempt === 5) assert.fail(`no free port after 5 attempts: ${JSON.stringify(state)}`);
      await transport.close();
    }
  }

  it('frames each client separately: interleaved halves from two clients reassemble per source', async () => {
    const { recorder, port } = await listeningServer();
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 0 clients`));
    const one = await connectClient(port);
    const two = await connectClient(port);
    sockets.push(one, two);
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 2 clients`));

    // Each write waits until the server has it, so the halves really arrive interleaved.
    const steps: Array<[net.Socket, Buffer]> = [
      [one, DUTCH.subarray(0, 400)],
      [two, BELGIAN.subarray(0, 500)],
      [one, DUTCH.subarray(400)],
      [two, BELGIAN.subarray(500)],
    ];
    let expected = 0;
    for (const [socket, half] of steps) {
      socket.write(half);
      expected += half.length;
      await recorder.waitForBytes(expected);
    }

    const bySource = new Map<string | undefined, Buffer[]>();
    for (const { source, data } of recorder.chunks) bySource.set(source, [...(bySource.get(source) ?? []), data]);
    const reassembled = (socket: net.Socket) => Buffer.concat(bySource.get(`127.0.0.1:${socket.localPort}`) ?? []);
    assert.equal(bySource.size, 2);
    assert.deepEqual(reassembled(one), DUTCH);
    assert.deepEqual(reassembled(two), BELGIAN);

    one.destroy();
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 1 client`));
  });

  it('a port in use → reconnecting with a clear reason; listens once the port is free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;
    const { recorder } = server(port);
    const { state } = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(state, { state: 'reconnecting', inMs: 1000, reason: `port ${port} is already in use on 127.0.0.1` });
    await new Promise((resolve) => blocker.close(resolve));
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 0 clients`), 8000);
  });

  it('close() stops listening and disconnects every client', async () => {
    const { transport, recorder, port } = await listeningServer();
    const client = await connectClient(port);
    sockets.push(client);
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 1 client`));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => undefined);
    await transport.close();
    await clientClosed;
    assert.deepEqual(recorder.states.at(-1), { state: 'closed' });
    // The port is free again: a plain server can take it at once.
    const next = net.createServer();
    servers.push(next);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    assert.ok(next.listening);
  });
});
