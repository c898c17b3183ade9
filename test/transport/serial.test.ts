import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTransport, type TransportConfig } from '../../src/transport';
import { openFailureReason, SerialTransport } from '../../src/transport/serial';
import type { Transport } from '../../src/transport/transport';
import { FIXTURES } from '../support/paths';
import { startPtyPair, waitFor, type PtyPair } from '../support/pty-pair';
import { settle } from '../support/settle';
import { connectedWith, TransportRecorder } from '../support/transport-recorder';
import { FRAMING_8N1, receiveAs } from '../support/uart-line';

const corpus = (file: string) => fs.readFileSync(path.join(FIXTURES, file));
const DSMR5 = corpus('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');
const FLUVIUS = corpus('ndokter__dsmr_parser/be_fluvius_v171.txt');
const DSMR22 = corpus('ndokter__dsmr_parser/v2_2_iskra_mt382.txt');
/** What a UART at 115200 8N1 reads from a P1 line without inverter. */
const INVERTED_GARBAGE = receiveAs(DSMR5, FRAMING_8N1, 115200, FRAMING_8N1, 115200, true);

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('transport/serial (real pty pairs from socat)', function () {
  this.timeout(40_000);
  let dir: string;
  let pairs: PtyPair[];
  let transports: Transport[];
  let timers: NodeJS.Timeout[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-serial-'));
    pairs = [];
    transports = [];
    timers = [];
  });

  afterEach(async () => {
    timers.forEach(clearInterval);
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all(pairs.map((p) => p.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function pair(): Promise<PtyPair> {
    const p = await startPtyPair(dir);
    pairs.push(p);
    return p;
  }

  function track<T extends Transport>(transport: T): { transport: T; recorder: TransportRecorder } {
    transports.push(transport);
    return { transport, recorder: new TransportRecorder(transport) };
  }

  /** Write `bytes` every `ms` until the test ends (a meter that keeps sending). */
  function keepWriting(p: PtyPair, bytes: Buffer, ms: number): NodeJS.Timeout {
    const timer = setInterval(() => p.write(bytes), ms);
    timers.push(timer);
    return timer;
  }

  for (const [framing, detail] of [
    ['dsmr45', '115200 8N1'],
    ['dsmr23', '9600 7E1'],
  ] as const) {
    it(`${framing}: opens at ${detail} and passes real telegrams through intact`, async () => {
      const p = await pair();
      const { transport, recorder } = track(createTransport({ kind: 'serial', path: p.a, framing }));
      transport.open();
      await recorder.waitForState(connectedWith(`${p.a} ${detail}`));
      const stream = Buffer.concat([DSMR5, FLUVIUS, DSMR22]);
      for (let i = 0; i < stream.length; i += 700) p.write(stream.subarray(i, i + 700));
      assert.deepEqual(await recorder.waitForBytes(stream.length), stream);
      assert.deepEqual(
        recorder.states.map((s) => s.state),
        ['connecting', 'connected'],
      );
    });
  }

  it('custom framing is opened with the given settings', async () => {
    const p = await pair();
    const { transport, recorder } = track(
      createTransport({ kind: 'serial', path: p.a, framing: 'custom', baudRate: 19200, dataBits: 7, parity: 'odd', stopBits: 2 }),
    );
    transport.open();
    await recorder.waitForState(connectedWith(`${p.a} 19200 7O2`));
    p.write(DSMR22);
    assert.deepEqual(await recorder.waitForBytes(DSMR22.length), DSMR22);
  });

  it('auto-detect: reports the framing that delivers telegrams and passes the bytes it probed with', async () => {
    const p = await pair();
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: p.a, framing: 'auto' }));
    transport.open();
    await recorder.waitForState((s) => s.state === 'connecting' && s.detail === `${p.a} auto: trying 115200 8N1`);
    keepWriting(p, DSMR5, 100);
    await recorder.waitForState(connectedWith(`${p.a} auto → 115200 8N1`));
    const received = (await recorder.waitForBytes(DSMR5.length)).toString('latin1');
    assert.ok(received.includes(DSMR5.toString('latin1')), 'the telegram that confirmed the framing is passed on');
  });

  it('auto-detect: gives up on a framing that only yields garbage and finds the next one', async () => {
    const p = await pair();
    const { transport, recorder } = track(new SerialTransport({ path: p.a, framing: 'auto', probeMs: 1500 }));
    transport.open();
    const garbage = keepWriting(p, INVERTED_GARBAGE.subarray(0, 200), 50);
    await recorder.waitForState((s) => s.state === 'connecting' && s.detail === `${p.a} auto: trying 9600 7E1`);
    clearInterval(garbage);
    keepWriting(p, DSMR22, 100);
    await recorder.waitForState(connectedWith(`${p.a} auto → 9600 7E1`));
  });

  it('auto-detect: when every framing gives garbage, says the signal looks inverted', async () => {
    const p = await pair();
    // Probe windows of 1 s, written into every 30 ms: each framing surely sees garbage, even on a slow machine.
    const { transport, recorder } = track(new SerialTransport({ path: p.a, framing: 'auto', probeMs: 1000 }));
    transport.open();
    keepWriting(p, INVERTED_GARBAGE.subarray(0, 120), 30);
    const { state } = await recorder.waitForState((s) => s.state === 'connected', 20_000);
    assert.deepEqual(state, {
      state: 'connected',
      detail: `${p.a} auto: no telegram at any speed — receiving garbage: signal looks inverted: the P1 data line needs an inverter`,
    });
    assert.equal(recorder.bytes.length, 0, 'garbage is not passed on while probing');
  });

  it('a fixed framing reports garbage, and clears the report once telegrams arrive', async () => {
    const p = await pair();
    const { transport, recorder } = track(new SerialTransport({ path: p.a, framing: 'dsmr45', probeMs: 1000 }));
    transport.open();
    await recorder.waitForState(connectedWith(`${p.a} 115200 8N1`));
    const garbage = keepWriting(p, INVERTED_GARBAGE.subarray(0, 200), 50);
    const { index } = await recorder.waitForState(
      connectedWith(`${p.a} 115200 8N1 — receiving garbage: signal looks inverted: the P1 data line needs an inverter`),
    );
    clearInterval(garbage);
    keepWriting(p, DSMR5, 100);
    await recorder.waitForState(connectedWith(`${p.a} 115200 8N1`), 5000, index + 1);
  });

  it('a missing port → reconnecting with a clear reason; connects when the port appears', async () => {
    const missing = path.join(dir, 'a');
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: missing, framing: 'dsmr45' }));
    transport.open();
    const { state } = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(state, { state: 'reconnecting', inMs: 1000, reason: `cannot open ${missing}: No such file or directory` });
    const p = await pair();
    await recorder.waitForState(connectedWith(`${p.a} 115200 8N1`), 8000);
    p.write(DSMR5);
    assert.deepEqual(await recorder.waitForBytes(DSMR5.length), DSMR5);
  });

  /** The next `count` retry delays from `from` on, and their reasons. */
  async function retries(recorder: TransportRecorder, count: number, from = 0): Promise<Array<[number, string]>> {
    const seen: Array<[number, string]> = [];
    while (seen.length < count) {
      const { state, index } = await recorder.waitForState((s) => s.state === 'reconnecting', 10_000, from);
      if (state.state === 'reconnecting') seen.push([state.inMs, state.reason]);
      from = index + 1;
    }
    return seen;
  }

  it('a port that stays missing: the retry delay doubles (1 s, 2 s, 4 s)', async () => {
    const missing = path.join(dir, 'a');
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: missing, framing: 'dsmr45' }));
    transport.open();
    const reason = `cannot open ${missing}: No such file or directory`;
    assert.deepEqual(await retries(recorder, 3), [
      [1000, reason],
      [2000, reason],
      [4000, reason],
    ]);
  });

  it('a cable unplugged for good: the retry delay doubles after the first attempt fails', async () => {
    const p = await pair();
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' }));
    transport.open();
    await recorder.waitForState((s) => s.state === 'connected');
    await p.stop();
    assert.deepEqual(await retries(recorder, 3), [
      [1000, `${p.a} disconnected (unplugged?)`],
      [2000, `cannot open ${p.a}: No such file or directory`],
      [4000, `cannot open ${p.a}: No such file or directory`],
    ]);
  });

  it('a port held by someone else → reconnecting "in use by another program"', async () => {
    const p = await pair();
    const first = track(createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' }));
    first.transport.open();
    await first.recorder.waitForState((s) => s.state === 'connected');
    const second = track(createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' }));
    second.transport.open();
    const { state } = await second.recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(state, { state: 'reconnecting', inMs: 1000, reason: `cannot open ${p.a}: in use by another program` });
    await first.transport.close();
    await second.recorder.waitForState((s) => s.state === 'connected', 8000);
  });

  it('unplug: the transport reconnects when the port comes back, and data flows again', async () => {
    let p = await pair();
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' }));
    transport.open();
    await recorder.waitForState((s) => s.state === 'connected');
    p.write(DSMR5);
    await recorder.waitForBytes(DSMR5.length);

    await p.stop();
    const { state, index } = await recorder.waitForState((s) => s.state === 'reconnecting');
    assert.deepEqual(state, { state: 'reconnecting', inMs: 1000, reason: `${p.a} disconnected (unplugged?)` });

    p = await pair();
    recorder.clearData();
    await recorder.waitForState((s) => s.state === 'connected', 10_000, index + 1);
    p.write(FLUVIUS);
    assert.deepEqual(await recorder.waitForBytes(FLUVIUS.length), FLUVIUS);
  });

  it('close() releases the port: reopening the same path at once works 20 times, no descriptor leaks', async () => {
    const p = await pair();
    const cycle = async () => {
      const transport = createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' });
      const recorder = new TransportRecorder(transport);
      transport.open();
      await recorder.waitForState((s) => s.state !== 'connecting');
      assert.deepEqual(recorder.states.at(-1), { state: 'connected', detail: `${p.a} 115200 8N1` });
      await transport.close();
      assert.deepEqual(recorder.states.at(-1), { state: 'closed' });
    };
    await cycle(); // warm-up: the first open loads the native binding and starts libuv's threads
    const before = openFds();
    for (let i = 0; i < 20; i++) await cycle();
    await settle(() => openFds() === before); // libuv may close the last descriptor a tick after close() resolved
    assert.equal(openFds(), before);
  });

  it('open() right after a close() that was not awaited waits for the port to be released', async () => {
    const p = await pair();
    const { transport, recorder } = track(createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' }));
    transport.open();
    await recorder.waitForState((s) => s.state === 'connected');
    for (let i = 0; i < 5; i++) {
      const from = recorder.states.length;
      void transport.close();
      transport.open();
      await recorder.waitForState((s) => s.state === 'connected' || s.state === 'reconnecting', 5000, from);
      assert.deepEqual(
        recorder.states.slice(from).filter((s) => s.state !== 'closed' && s.state !== 'connecting'),
        [{ state: 'connected', detail: `${p.a} 115200 8N1` }],
      );
    }
    p.write(DSMR5);
    assert.deepEqual(await recorder.waitForBytes(DSMR5.length), DSMR5);
  });

  it('close() while the port is still opening leaves nothing open', async () => {
    const p = await pair();
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      const transport = createTransport({ kind: 'serial', path: p.a, framing: 'dsmr45' });
      transport.open();
      await transport.close();
    }
    await waitFor(
      () => openFds() === before,
      10_000,
      () => `fd count back to ${before}, is ${openFds()}`,
    );
  });
});

describe('transport/serial configuration that retrying cannot fix', () => {
  // As a config read from a flow file may be: numbers outside what the types allow.
  const cases: Array<[TransportConfig, string]> = [
    [{ kind: 'serial', path: '', framing: 'dsmr45' }, 'no serial port configured'],
    [{ kind: 'serial', path: '/dev/ttyUSB0', framing: 'custom', baudRate: 0 }, 'invalid baud rate 0'],
    [{ kind: 'serial', path: '/dev/ttyUSB0', framing: 'custom', stopBits: 3 as 1 }, 'invalid stop bits 3 (1 or 2)'],
  ];
  for (const [config, reason] of cases) {
    it(`${JSON.stringify(config)} → failed: ${reason}`, async () => {
      const transport = createTransport(config);
      const recorder = new TransportRecorder(transport);
      transport.open();
      const { state } = await recorder.waitForState((s) => s.state === 'failed', 2000);
      assert.deepEqual(state, { state: 'failed', reason });
      await transport.close();
    });
  }
});

describe('transport/serial openFailureReason', () => {
  it('rewrites serialport messages into "cannot open <path>: <cause>" with the usual fix', () => {
    const path = '/dev/ttyUSB0';
    assert.equal(openFailureReason(path, new Error(`Error: No such file or directory, cannot open ${path}`)), `cannot open ${path}: No such file or directory`);
    assert.equal(
      openFailureReason(path, new Error(`Error: Permission denied, cannot open ${path}`)),
      `cannot open ${path}: permission denied (add the Node-RED user to the dialout group)`,
    );
  });
});
