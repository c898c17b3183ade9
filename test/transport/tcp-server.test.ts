import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createTransport, type TransportConfig } from '../../src/transport';
import { AllowList, parseAllowList } from '../../src/transport/allow-list';
import type { ClientRejection, Transport } from '../../src/transport/transport';
import { FIXTURES } from '../support/paths';
import { connectedWith, TransportRecorder } from '../support/transport-recorder';
import { listenOnLoopback, unusedTcpPort } from '../support/loopback';

const corpus = (file: string) => fs.readFileSync(path.join(FIXTURES, file));
const DUTCH = corpus('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');
const BELGIAN = corpus('ndokter__dsmr_parser/be_fluvius_v171.txt');

async function connectClient(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect(port, host);
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
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  function server(port: number, options: Partial<Extract<TransportConfig, { kind: 'tcp-server' }>> = {}) {
    const transport = createTransport({ kind: 'tcp-server', bindAddress: '127.0.0.1', port, ...options });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    const rejections: ClientRejection[] = [];
    const ended: string[] = [];
    transport.on('rejected', (r: ClientRejection) => rejections.push(r));
    transport.on('stream-end', (id: string) => ended.push(id));
    transport.open();
    return { transport, recorder, rejections, ended };
  }

  /** Resolves when the server has closed `socket` (a refused or dropped client). */
  function closedByServer(socket: net.Socket): Promise<void> {
    socket.on('error', () => undefined);
    return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /**
   * A server transport listening on a free port. Another process may take the port between the
   * probe and the bind; then the transport says "already in use" and the test takes another port
   * instead of failing.
   */
  async function listeningServer() {
    for (let attempt = 1; ; attempt++) {
      const port = await unusedTcpPort();
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
    await listenOnLoopback(next, port);
    assert.ok(next.listening);
  });

  it('refuses a client beyond the limit, and reports it once; the clients inside keep sending', async () => {
    const port = await unusedTcpPort();
    const { recorder, rejections } = server(port, { maxClients: 2 });
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 0 clients`));
    const inside = [await connectClient(port), await connectClient(port)];
    sockets.push(...inside);
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 2 clients`));
    const third = await connectClient(port);
    sockets.push(third);
    const thirdId = `127.0.0.1:${third.localPort}`;
    await closedByServer(third);
    assert.deepEqual(rejections, [{ kind: 'refused', client: thirdId, reason: 'already 2 clients connected (the limit)' }]);
    inside[0].write(DUTCH);
    await recorder.waitForBytes(DUTCH.length);
    assert.equal(
      recorder.chunks.every((c) => c.source === `127.0.0.1:${inside[0].localPort}`),
      true,
    );
  });

  it('an allow list refuses other addresses; IPv4 entries also match IPv4-mapped IPv6 clients', async () => {
    const port = await unusedTcpPort();
    const { recorder, rejections } = server(port, { allowedClients: ['10.0.0.0/8'] });
    await recorder.waitForState((s) => s.state === 'connected');
    const stranger = await connectClient(port);
    sockets.push(stranger);
    const strangerId = `127.0.0.1:${stranger.localPort}`;
    await closedByServer(stranger);
    assert.deepEqual(rejections, [{ kind: 'refused', client: strangerId, reason: 'not in the allowed clients' }]);

    // Bound to "::", IPv4 clients arrive as ::ffff:127.0.0.1; the entry 127.0.0.1 must still match.
    const dualPort = await unusedTcpPort();
    const dual = server(dualPort, { bindAddress: '::', allowedClients: ['127.0.0.1'] });
    await dual.recorder.waitForState((s) => s.state === 'connected');
    const friend = await connectClient(dualPort);
    sockets.push(friend);
    friend.write(DUTCH);
    await dual.recorder.waitForBytes(DUTCH.length);
    assert.deepEqual(dual.rejections, []);
    assert.equal(dual.recorder.chunks[0].source, `[::ffff:127.0.0.1]:${friend.localPort}`);
  });

  it('drops a client that stays silent longer than the idle timeout, and ends its stream', async () => {
    const port = await unusedTcpPort();
    const { recorder, rejections, ended } = server(port, { clientIdleTimeoutMs: 200 });
    await recorder.waitForState((s) => s.state === 'connected');
    const quiet = await connectClient(port);
    sockets.push(quiet);
    const id = `127.0.0.1:${quiet.localPort}`;
    await closedByServer(quiet);
    assert.deepEqual(rejections, [{ kind: 'dropped', client: id, reason: 'no data for 0.2 s' }]);
    await waitForCondition(() => ended.includes(id));
  });

  it('dropStream() disconnects that client only, reported as dropped', async () => {
    const port = await unusedTcpPort();
    const { transport, recorder, rejections } = server(port);
    await recorder.waitForState((s) => s.state === 'connected');
    const [bad, good] = [await connectClient(port), await connectClient(port)];
    sockets.push(bad, good);
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 2 clients`));
    const badId = `127.0.0.1:${bad.localPort}`;
    transport.dropStream!(badId, 'sent only garbage');
    await closedByServer(bad);
    assert.deepEqual(rejections, [{ kind: 'dropped', client: badId, reason: 'sent only garbage' }]);
    await recorder.waitForState(connectedWith(`listening on 127.0.0.1:${port}, 1 client`));
    assert.equal(good.destroyed, false);
  });
});

describe('transport/allow-list', () => {
  it('reads addresses and CIDR ranges, IPv4 and IPv6, separated by commas or spaces', () => {
    assert.deepEqual(parseAllowList(' 192.168.1.0/24, 10.0.0.7  fd00::/8,::1 '), { ok: true, entries: ['192.168.1.0/24', '10.0.0.7', 'fd00::/8', '::1'] });
    assert.deepEqual(parseAllowList(''), { ok: true, entries: [] });
  });

  it('names the entry that is not an address or range', () => {
    assert.deepEqual(parseAllowList('192.168.1.0/24 esp-p1.local'), {
      ok: false,
      reason: '"esp-p1.local" is not an IP address or CIDR range (e.g. 192.168.1.0/24)',
    });
    assert.deepEqual(parseAllowList('10.0.0.0/33'), { ok: false, reason: '"10.0.0.0/33": the prefix length must be from 0 to 32' });
    assert.deepEqual(parseAllowList('fd00::/129'), { ok: false, reason: '"fd00::/129": the prefix length must be from 0 to 128' });
    assert.equal(parseAllowList('10.0.0.1/8/2').ok, false);
  });

  it('matches addresses, ranges and IPv4-mapped IPv6 addresses', () => {
    const list = new AllowList(['192.168.1.0/24', '10.0.0.7', 'fd00::/8']);
    const allowed = ['192.168.1.1', '192.168.1.254', '10.0.0.7', '::ffff:192.168.1.9', '::ffff:10.0.0.7', 'fd12:3456::1'];
    const refused = ['192.168.2.1', '10.0.0.8', '::ffff:10.0.0.8', 'fe80::1', '::1', 'not-an-ip', undefined];
    assert.deepEqual(
      allowed.filter((a) => !list.allows(a)),
      [],
    );
    assert.deepEqual(
      refused.filter((a) => list.allows(a)),
      [],
    );
  });
});

async function waitForCondition(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
