/**
 * p1-connection on a real serial port: a socat pseudo-terminal pair, the node reading one end
 * through serialport, the test writing meter output into the other. Covers the framings,
 * auto-detect, an unplugged cable, and 100 redeploys that must never find the port busy or
 * leak timers, listeners or file descriptors.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { startPtyPair, type PtyPair } from '../support/pty-pair';
import { settle } from '../support/settle';
import {
  fixture,
  helper,
  NODES,
  numberedTelegram,
  p1InWithOutputs,
  recorder,
  statusesOf,
  telegramNumber,
  waitFor,
  waitForStatusSequence,
  type FlowNode,
} from './connection-harness';

const DSMR22 = 'ndokter__dsmr_parser/v2_2_iskra_mt382.txt';

/** Writes `telegram()` every 50 ms until `done()` holds: a meter does not wait for its reader. */
async function feedUntil(pty: PtyPair, telegram: () => string | Buffer, done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    pty.write(telegram());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('p1-connection on a serial port (socat pty pair)', function () {
  this.timeout(60_000);
  let dir: string;
  let pty: PtyPair;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-serial-'));
    pty = await startPtyPair(dir);
  });

  afterEach(async () => {
    await helper.unload();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const serial = (framing: string, extra: Record<string, unknown> = {}): FlowNode => ({
    id: 'port',
    type: 'p1-connection',
    source: 'serial',
    serialPort: pty.a,
    serialFraming: framing,
    ...extra,
  });

  const cases: Array<[string, string, () => string | Buffer, RegExp]> = [
    ['DSMR 4/5 at 115200 8N1', 'dsmr45', () => numberedTelegram(1), /115200 8N1/],
    ['DSMR 2.2/3 at 9600 7E1', 'dsmr23', () => fixture(DSMR22), /9600 7E1/],
    ['auto-detect, DSMR 2.2 meter', 'auto', () => fixture(DSMR22), /auto → \d+ \d[NEO]1/],
    ['auto-detect, DSMR 5 meter', 'auto', () => numberedTelegram(1), /auto → \d+ \d[NEO]1/],
  ];

  for (const [what, framing, telegram, detail] of cases) {
    it(`${what}: telegrams arrive as p1-in messages`, async () => {
      await helper.load(NODES, [serial(framing), ...p1InWithOutputs('in', 'port')]);
      const received = recorder('in-out');
      const health = recorder('in-health');
      await feedUntil(pty, telegram, () => received.length >= 2, 'two telegrams');
      assert.equal(typeof received[0].payload.header, 'string');
      await waitFor(
        () => health.some((m) => detail.test(m.payload.detail)),
        `a health message naming the framing: ${JSON.stringify(health.map((m) => m.payload.detail))}`,
      );
    });
  }

  it('custom framing uses the given settings', async () => {
    await helper.load(NODES, [serial('custom', { baudRate: 38400, dataBits: 8, parity: 'odd', stopBits: 2 }), ...p1InWithOutputs('in', 'port')]);
    const received = recorder('in-out');
    const health = recorder('in-health');
    await feedUntil(
      pty,
      () => numberedTelegram(5),
      () => received.length >= 1,
      'a telegram',
    );
    await waitFor(() => health.some((m) => /38400 8O2/.test(m.payload.detail)), 'a health message naming the settings');
  });

  it('a port that is not there: status and health show ever longer retry delays', async () => {
    const missing = path.join(dir, 'missing');
    await helper.load(NODES, [
      { id: 'port', type: 'p1-connection', source: 'serial', serialPort: missing, serialFraming: 'dsmr45' },
      ...p1InWithOutputs('in', 'port'),
    ]);
    const health = recorder('in-health');
    const reason = `cannot open ${missing}: No such file or directory`;
    const retry = (seconds: number) => `retry in ${seconds} s: ${reason}`;
    await waitForStatusSequence(
      'in',
      [1, 2, 4].map((seconds) => new RegExp(`^retry in ${seconds} s$`)),
      15_000,
    );
    const retries = () => health.filter((m) => m.payload.state === 'reconnecting').map((m) => m.payload.detail);
    await waitFor(() => retries().length >= 3, 'three health messages "reconnecting"');
    assert.deepEqual(retries().slice(0, 3), [retry(1), retry(2), retry(4)]);
  });

  it('reconnects when the cable is unplugged and plugged in again', async () => {
    await helper.load(NODES, [serial('dsmr45'), ...p1InWithOutputs('in', 'port')]);
    const received = recorder('in-out');
    let n = 0;
    await feedUntil(
      pty,
      () => numberedTelegram(++n),
      () => received.length >= 2,
      'telegrams before unplugging',
    );

    await pty.stop(); // unplug: both ends vanish
    await waitFor(() => statusesOf('in').some((s) => /^retry in/.test(s.text ?? '')), 'the reconnecting status', 8000);
    pty = await startPtyPair(dir); // plug in again at the same path
    const before = received.length;
    await feedUntil(
      pty,
      () => numberedTelegram(++n),
      () => received.length >= before + 2,
      'telegrams after plugging in',
      15_000,
    );

    await waitForStatusSequence('in', [/kW ↓/, /^retry in/, /kW ↓/]);
    const numbers = received.map(telegramNumber);
    assert.equal(new Set(numbers).size, numbers.length, 'no telegram twice');
  });
});

describe('p1-connection: 100 redeploys of a serial source', function () {
  this.timeout(180_000);
  let dir: string;
  let pty: PtyPair;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-redeploy-'));
    pty = await startPtyPair(dir);
  });

  after(async () => {
    await helper.unload();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function flow(generation: number): FlowNode[] {
    // A changed name makes every deploy type restart the config node, and so reopen the port.
    return [
      { id: 'tab', type: 'tab', label: 'meter' },
      { id: 'port', z: 'tab', type: 'p1-connection', name: `meter ${generation}`, source: 'serial', serialPort: pty.a, serialFraming: 'dsmr45' },
      ...p1InWithOutputs('in', 'port').map((node) => ({ ...node, z: 'tab' })),
    ];
  }

  /** Feeds telegrams until the p1-in of this generation shows one in its status. */
  async function receiveOne(): Promise<void> {
    const statusesBefore = statusesOf('in').length;
    const fresh = () =>
      statusesOf('in')
        .slice(statusesBefore)
        .some((s) => /kW ↓/.test(s.text ?? ''));
    await feedUntil(pty, () => numberedTelegram(1), fresh, 'a telegram after the deploy');
  }

  it('never finds the port busy and leaks no timers, listeners or file descriptors', async () => {
    await helper.load(NODES, flow(0));
    await receiveOne();
    const before = resourceSnapshot();

    const types = ['full', 'flows', 'nodes'] as const;
    for (let generation = 1; generation <= 100; generation++) {
      await helper.setFlows(flow(generation), types[generation % types.length]);
      await receiveOne();
    }
    const trouble = statusesOf('in').filter((s) => /retry|busy|lock|fail/i.test(s.text ?? ''));
    assert.deepEqual(trouble, [], 'no status ever reported a busy port or a retry');

    // Closed handles finish their callbacks a little later: wait until the counts are back, then compare exactly.
    await settle(() => isDeepStrictEqual(resourceSnapshot(), before), 15_000);
    const after = resourceSnapshot();
    assert.equal(after.fds, before.fds, `open file descriptors: before ${before.fds}, after ${after.fds}`);
    assert.deepEqual(after.resources, before.resources, 'active handles and requests by kind');
    assert.equal(after.processListeners, before.processListeners, 'listeners on process');
    assert.equal(after.runtimeListeners, before.runtimeListeners, "listeners on Node-RED's runtime events");
  });
});

function resourceSnapshot(): { fds: number; resources: Record<string, number>; processListeners: number; runtimeListeners: number } {
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const processListeners = process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);
  const runtimeEvents = helper._events;
  const runtimeListeners = runtimeEvents.eventNames().reduce((sum, name) => sum + runtimeEvents.listenerCount(name), 0);
  return { fds: fs.readdirSync('/proc/self/fd').length, resources, processListeners, runtimeListeners };
}
