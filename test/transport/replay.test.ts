import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTransport } from '../../src/transport';
import { MAX_REPLAY_FILE_SIZE, captureDelays, splitCapture } from '../../src/transport/replay';
import { SimulatedMeter } from '../../src/transport/simulated-meter';
import type { Transport } from '../../src/transport/transport';
import { FIXTURES } from '../support/paths';
import { waitFor } from '../support/pty-pair';
import { TransportRecorder } from '../support/transport-recorder';

const corpus = (file: string) => fs.readFileSync(path.join(FIXTURES, file));
const TELEGRAMS = [
  corpus('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt'),
  corpus('ndokter__dsmr_parser/be_fluvius_v171.txt'),
  corpus('ndokter__dsmr_parser/v2_2_iskra_mt382.txt'),
];
/** A capture as `cat /dev/ttyUSB0` makes it: starting mid-telegram, ending in an unfinished one. */
const CAPTURE = Buffer.concat([TELEGRAMS[1].subarray(300), ...TELEGRAMS, TELEGRAMS[0].subarray(0, 200)]);

const lfOnly = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

describe('transport/replay', function () {
  this.timeout(10_000);
  let dir: string;
  let transports: Transport[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-replay-'));
    transports = [];
  });

  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function replay(content: Buffer | undefined, options: { intervalMs: number; loop: boolean }) {
    const file = path.join(dir, 'capture.txt');
    if (content) fs.writeFileSync(file, content);
    const transport = createTransport({ kind: 'replay', file, ...options });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    transport.open();
    return { transport, recorder, file };
  }

  it('splits a capture into whole telegrams, skipping the partial ones at both ends (CRLF and LF-only)', () => {
    assert.deepEqual(splitCapture(CAPTURE), TELEGRAMS);
    assert.deepEqual(splitCapture(lfOnly(CAPTURE)), TELEGRAMS.map(lfOnly));
  });

  it('plays once, telegram by telegram, then closes with "replay finished"', async () => {
    const { recorder } = replay(CAPTURE, { intervalMs: 20, loop: false });
    await recorder.waitForState((s) => s.state === 'closed');
    assert.deepEqual(
      recorder.chunks.map((c) => c.data),
      TELEGRAMS,
    );
    assert.deepEqual(recorder.states, [
      { state: 'connecting', detail: `reading ${path.join(dir, 'capture.txt')}` },
      { state: 'connected', detail: 'replaying capture.txt (3 telegrams)' },
      { state: 'closed', detail: 'replay finished' },
    ]);
  });

  it('loops: starts over after the last telegram', async () => {
    const { recorder } = replay(lfOnly(CAPTURE), { intervalMs: 10, loop: true });
    await waitFor(
      () => recorder.chunks.length >= 7,
      5000,
      () => `7 telegrams, got ${recorder.chunks.length}`,
    );
    const expected = TELEGRAMS.map(lfOnly);
    assert.deepEqual(
      recorder.chunks.slice(0, 7).map((c) => c.data),
      [...expected, ...expected, expected[0]],
    );
  });

  it('a missing file → failed with the reason', async () => {
    const { recorder, file } = replay(undefined, { intervalMs: 10, loop: false });
    const { state } = await recorder.waitForState((s) => s.state === 'failed');
    assert.deepEqual(state, { state: 'failed', reason: `cannot read replay file ${file}: no such file` });
  });

  it('a file beyond the size limit → failed with the limit, nothing read', async () => {
    const file = path.join(dir, 'huge.txt');
    fs.writeFileSync(file, CAPTURE);
    fs.truncateSync(file, MAX_REPLAY_FILE_SIZE + 1); // sparse: no disk used
    const transport = createTransport({ kind: 'replay', file, intervalMs: 10, loop: false });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    transport.open();
    const { state } = await recorder.waitForState((s) => s.state === 'failed');
    assert.match(state.state === 'failed' ? state.reason : '', /huge\.txt: is larger than the 32\.0 MiB a replay takes/);
    assert.deepEqual(recorder.chunks, []);
  });

  for (const [what, file, reason] of [
    ['/dev/zero', '/dev/zero', /is not a regular file/],
    ['a directory', os.tmpdir(), /is a directory/],
  ] as const) {
    it(`${what} → refused at once with the reason, memory untouched`, async () => {
      const rssBefore = process.memoryUsage().rss;
      const transport = createTransport({ kind: 'replay', file, intervalMs: 10, loop: false });
      transports.push(transport);
      const recorder = new TransportRecorder(transport);
      transport.open();
      const { state } = await recorder.waitForState((s) => s.state === 'failed');
      assert.match(state.state === 'failed' ? state.reason : '', reason);
      assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024);
    });
  }

  it('a file without a telegram → failed', async () => {
    const { recorder, file } = replay(Buffer.from('hello\r\nworld\r\n'), { intervalMs: 10, loop: false });
    const { state } = await recorder.waitForState((s) => s.state === 'failed');
    assert.deepEqual(state, { state: 'failed', reason: `no telegram in replay file ${file}` });
  });

  it("intervalMs 0: the capture's own rate from its timestamps, else 1 s (DSMR 5) or 10 s (older)", () => {
    const meter = new SimulatedMeter('nl-dsmr5');
    const start = Date.UTC(2025, 0, 6, 12, 0, 0);
    const everyTwoSeconds = [0, 2000, 4000].map((offset) => Buffer.from(meter.telegramAt(start + offset), 'latin1'));
    assert.deepEqual(captureDelays(everyTwoSeconds), [2000, 2000, 1000]);
    // The corpus DSMR 5 telegram and the DSMR 2.2 one carry no usable sequence of timestamps.
    assert.deepEqual(captureDelays([TELEGRAMS[0], TELEGRAMS[2]]), [1000, 10_000]);
  });
});
