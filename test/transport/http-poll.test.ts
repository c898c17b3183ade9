/**
 * The HTTP dongle source against a real node:http server on 127.0.0.1 that answers like the
 * HomeWizard P1 meter's documented local API: telegrams from the corpus in turn, the same one
 * again while the meter is quiet, 503/403/5xx answers, no answer at all, a JSON path, and a
 * dongle that goes away and comes back on the same port.
 */
import * as assert from 'node:assert/strict';
import { createTransport } from '../../src/transport';
import type { Transport, TransportState } from '../../src/transport/transport';
import { corpusTelegrams, FakeDongle, TELEGRAM_PATH } from '../support/http-dongle';
import { waitFor } from '../support/pty-pair';
import { TransportRecorder } from '../support/transport-recorder';

const POLL_MS = 40;

describe('transport/http-poll (a HomeWizard-like dongle on 127.0.0.1)', function () {
  this.timeout(20_000);
  let dongle: FakeDongle;
  let transports: Transport[];

  beforeEach(async () => {
    dongle = await new FakeDongle().listen(0);
    transports = [];
  });

  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await dongle.stop();
  });

  function poller(options: { path?: string; intervalMs?: number; requestTimeoutMs?: number; maxBackoffMs?: number } = {}) {
    const transport = createTransport({ kind: 'http', host: '127.0.0.1', port: dongle.port, path: TELEGRAM_PATH, intervalMs: POLL_MS, ...options });
    transports.push(transport);
    const recorder = new TransportRecorder(transport);
    transport.open();
    return { transport, recorder, url: `http://127.0.0.1:${dongle.port}${options.path ?? TELEGRAM_PATH}` };
  }

  const reconnecting = (recorder: TransportRecorder, from = 0, timeoutMs = 5000) => recorder.waitForState((s) => s.state === 'reconnecting', timeoutMs, from);
  const connected = (recorder: TransportRecorder, from = 0, timeoutMs = 5000) => recorder.waitForState((s) => s.state === 'connected', timeoutMs, from);

  /** The meter sends a new telegram: wait until the poller passed it on, then for a few more polls. */
  async function meterSends(recorder: TransportRecorder, telegram: Buffer): Promise<void> {
    const chunks = recorder.chunks.length;
    dongle.telegram = telegram;
    await waitFor(
      () => recorder.chunks.length > chunks,
      5000,
      () => 'the new telegram',
    );
    const requests = dongle.requests;
    await waitFor(
      () => dongle.requests >= requests + 3,
      5000,
      () => 'three more polls',
    );
  }

  it('passes each corpus telegram on once, as one chunk, however often the dongle serves it', async () => {
    const telegrams = corpusTelegrams(5);
    assert.equal(telegrams.length, 5);
    dongle.telegram = telegrams[0].bytes;
    const { recorder, url } = poller();
    await recorder.waitForBytes(1);
    for (const { bytes } of telegrams.slice(1)) await meterSends(recorder, bytes);

    assert.deepEqual(
      recorder.chunks.map((c) => c.data.toString('latin1')),
      telegrams.map(({ bytes }) => withLineEnd(bytes).toString('latin1')),
    );
    assert.ok(dongle.requests >= 4 * 4, `polled ${dongle.requests} times`);
    assert.deepEqual(recorder.states, [
      { state: 'connecting', detail: url },
      { state: 'connected', detail: url },
    ]);
    assert.equal(dongle.maxInFlight, 1, 'never two requests at once');
    assert.equal(dongle.connections, 1, 'one kept-alive connection for every poll');
  });

  it('a dongle that closes idle connections sooner than the next poll is no failure: a new connection per poll', async () => {
    await dongle.stop();
    dongle.keepAliveMs = 20;
    await dongle.listen();
    const telegrams = corpusTelegrams(3);
    dongle.telegram = telegrams[0].bytes;
    const { recorder } = poller({ intervalMs: 100 });
    await recorder.waitForBytes(1);
    for (const { bytes } of telegrams.slice(1)) await meterSends(recorder, bytes);
    assert.equal(recorder.chunks.length, 3);
    assert.deepEqual(
      recorder.states.map((s) => s.state),
      ['connecting', 'connected'],
    );
    assert.ok(dongle.connections > 3, `${dongle.connections} connections`);
  });

  it('the dongle has no telegram yet (503) → reconnecting with the reason, then connected', async () => {
    const { recorder, url } = poller();
    const lost = await reconnecting(recorder);
    assert.deepEqual(lost.state, { state: 'reconnecting', inMs: 1000, reason: 'HTTP 503: the dongle has no telegram from the meter yet' });
    assert.deepEqual(recorder.states[0], { state: 'connecting', detail: url });
    dongle.telegram = corpusTelegrams(1)[0].bytes;
    await connected(recorder, lost.index + 1);
    await recorder.waitForBytes(1);
  });

  it('adds the line end a body without one lacks, so the framer need not wait for the next answer', async () => {
    const { recorder } = poller();
    const text = corpusTelegrams(1)[0].bytes.toString('latin1').trimEnd();
    dongle.telegram = Buffer.from(text, 'latin1');
    assert.equal((await recorder.waitForBytes(text.length + 2)).toString('latin1'), `${text}\r\n`);
  });

  it('5xx answers → reconnecting "HTTP 500" with a growing, capped backoff that starts over after a good answer', async () => {
    dongle.telegram = corpusTelegrams(1)[0].bytes;
    const { recorder } = poller({ maxBackoffMs: 2000 });
    await connected(recorder);
    dongle.behaviour = { status: 500 };
    const first = await reconnecting(recorder);
    const second = await reconnecting(recorder, first.index + 1);
    const third = await reconnecting(recorder, second.index + 1, 8000);
    const delays = [first, second, third].map(({ state }) => (state.state === 'reconnecting' ? [state.inMs, state.reason] : []));
    assert.deepEqual(delays, [
      [1000, 'HTTP 500'],
      [2000, 'HTTP 500'],
      [2000, 'HTTP 500'],
    ]);

    dongle.behaviour = 'normal';
    const back = await connected(recorder, third.index + 1, 8000);
    dongle.behaviour = { status: 502 };
    const again = await reconnecting(recorder, back.index + 1);
    assert.deepEqual(again.state, { state: 'reconnecting', inMs: 1000, reason: 'HTTP 502' });
  });

  it('a dongle that never answers → "timed out after 0.3 s", never two requests at once, then back', async () => {
    dongle.telegram = corpusTelegrams(1)[0].bytes;
    const { recorder } = poller({ requestTimeoutMs: 300 });
    await connected(recorder);
    dongle.behaviour = 'never';
    const lost = await reconnecting(recorder);
    assert.deepEqual(lost.state, { state: 'reconnecting', inMs: 1000, reason: 'timed out after 0.3 s' });
    dongle.behaviour = 'normal';
    await connected(recorder, lost.index + 1);
    assert.equal(dongle.maxInFlight, 1);
    assert.equal(recorder.chunks.length, 1, 'the same telegram after the reconnect is not passed on again');
  });

  it('says what to do about a 403 (local API switched off), a JSON answer and a wrong path', async () => {
    dongle.telegram = corpusTelegrams(1)[0].bytes;
    dongle.behaviour = { status: 403 };
    const disabled = poller();
    const forbidden = await reconnecting(disabled.recorder);
    assert.equal(reasonOf(forbidden.state), 'HTTP 403: API disabled? Switch on "Local API" in the HomeWizard Energy app');
    await disabled.transport.close();
    dongle.behaviour = 'normal';

    const json = poller({ path: '/api/v1/data' });
    assert.equal(reasonOf((await reconnecting(json.recorder)).state), 'the answer is application/json, not a telegram: check the path');
    const wrong = poller({ path: '/telegram' });
    assert.equal(reasonOf((await reconnecting(wrong.recorder)).state), 'HTTP 404: nothing at this path: check the path, or the dongle serves no raw telegram');
    assert.equal(json.recorder.chunks.length + wrong.recorder.chunks.length, 0);
  });

  it('an answer larger than any telegram (a web page, a file) is refused, not buffered', async () => {
    dongle.telegram = Buffer.alloc(70 * 1024, 'x');
    const { recorder } = poller();
    assert.equal(reasonOf((await reconnecting(recorder)).state), 'the answer is larger than 64 KiB: not a telegram');
    assert.equal(recorder.chunks.length, 0);
  });

  it('the dongle disappears: "connection refused", retries; back on the same port it resumes without repeating', async () => {
    const [one, two] = corpusTelegrams(2);
    dongle.telegram = one.bytes;
    const { recorder } = poller();
    await connected(recorder);
    await recorder.waitForBytes(1);
    await dongle.stop();

    const lost = await reconnecting(recorder);
    // Cut mid-poll it may first read "reset"; the next attempts find the port closed.
    const refused = await recorder.waitForState(
      (s) => s.state === 'reconnecting' && s.reason === `connection refused by 127.0.0.1:${dongle.port}`,
      8000,
      lost.index,
    );
    await dongle.listen(dongle.port);
    await connected(recorder, refused.index + 1, 8000);
    await meterSends(recorder, two.bytes);
    assert.deepEqual(
      recorder.chunks.map((c) => c.data),
      [withLineEnd(one.bytes), withLineEnd(two.bytes)],
    );
  });

  it('close() resolves with its connection released', async () => {
    dongle.telegram = corpusTelegrams(1)[0].bytes;
    const { transport, recorder } = poller();
    await connected(recorder);
    await waitFor(
      () => dongle.openConnections === 1,
      5000,
      () => 'the kept-alive connection',
    );
    await transport.close();
    assert.deepEqual(recorder.states.at(-1), { state: 'closed' } satisfies TransportState);
    await waitFor(
      () => dongle.openConnections === 0,
      5000,
      () => 'the dongle to see the connection close',
    );
  });
});

function withLineEnd(bytes: Buffer): Buffer {
  return bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
}

function reasonOf(state: TransportState): string | undefined {
  return state.state === 'reconnecting' ? state.reason : undefined;
}
