/**
 * p1-connection with source "HTTP dongle" in the real Node-RED runtime, against a node:http
 * server on 127.0.0.1 that answers like a HomeWizard P1 meter: telegrams reach p1-in once each
 * however often they are polled, and a dongle that answers 5xx, never answers or disappears
 * shows in the status, reconnects and resumes.
 */
import assert from 'node:assert/strict';
import { FakeDongle } from '../support/http-dongle';
import { helper, NODES, numberedTelegram, p1InWithOutputs, recorder, telegramNumber, waitFor, waitForStatusSequence, type Msg } from './connection-harness';

function httpSource(id: string, port: number, extra: Record<string, unknown> = {}) {
  return { id, type: 'p1-connection', source: 'http', httpHost: '127.0.0.1', httpPort: port, httpPath: '/api/v1/telegram', httpInterval: 0.5, ...extra };
}

describe('p1-connection polling an HTTP dongle (HomeWizard P1 meter API)', function () {
  let dongle: FakeDongle;

  beforeEach(async () => {
    dongle = await new FakeDongle().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await dongle.stop();
  });

  /** The meter sends telegrams `from`…`to`; each is served until the poller has passed it on and polled again. */
  async function meterSends(from: number, to: number, received: Msg[]): Promise<void> {
    for (let n = from; n <= to; n++) {
      dongle.telegram = Buffer.from(numberedTelegram(n), 'latin1');
      await waitFor(() => received.some((m) => telegramNumber(m) === n), `telegram ${n}`, 8000);
      const requests = dongle.requests;
      await waitFor(() => dongle.requests > requests + 1, 'two more polls', 8000);
    }
  }

  it('delivers every telegram once, in order, with the live summary in the status', async () => {
    dongle.telegram = Buffer.from(numberedTelegram(1), 'latin1');
    await helper.load(NODES, [httpSource('dongle', dongle.port), ...p1InWithOutputs('in', 'dongle')]);
    const received = recorder('in-out');
    await waitFor(() => received.length === 1, 'the first telegram', 8000);
    await meterSends(2, 3, received);
    assert.deepEqual(received.map(telegramNumber), [1, 2, 3]);
    assert.ok(received.every((m) => m.topic === received[0].topic && typeof m.topic === 'string' && m.topic.startsWith('p1/')));
    await waitForStatusSequence('in', [/^connecting/, /kW ↓/]);
    assert.equal(dongle.maxInFlight, 1);
  });

  // Each disruption: the health message says why, the node retries, and resumes without repeating a telegram.
  const disruptions: Array<[string, RegExp, (d: FakeDongle) => Promise<() => Promise<void>>]> = [
    [
      'answers 503 (no telegram from the meter)',
      /^retry in \d+ s: .*HTTP 503/,
      async (d) => {
        d.behaviour = { status: 503 };
        return async () => {
          d.behaviour = 'normal';
        };
      },
    ],
    [
      'never answers',
      /^retry in \d+ s: .*timed out after 3 s/,
      async (d) => {
        d.behaviour = 'never';
        return async () => {
          d.behaviour = 'normal';
        };
      },
    ],
    [
      'disappears and comes back on the same port',
      /^retry in \d+ s: .*(refused|reset)/,
      async (d) => {
        await d.stop();
        return async () => {
          await d.listen(d.port);
        };
      },
    ],
  ];

  for (const [what, reason, disrupt] of disruptions) {
    it(`shows the reason, retries and resumes when the dongle ${what}`, async function () {
      this.timeout(30_000);
      dongle.telegram = Buffer.from(numberedTelegram(1), 'latin1');
      await helper.load(NODES, [httpSource('dongle', dongle.port), ...p1InWithOutputs('in', 'dongle')]);
      const received = recorder('in-out');
      const health = recorder('in-health');
      await waitFor(() => received.length === 1, 'the first telegram', 8000);

      const restore = await disrupt(dongle);
      await waitForStatusSequence('in', [/kW ↓/, /^retry in \d+ s$/], 10_000);
      await waitFor(() => health.some((m) => reason.test(m.payload.detail)), `the reason ${reason} in the health output`, 10_000);
      await restore();
      await waitForStatusSequence('in', [/kW ↓/, /^retry in \d+ s$/, /^connecting/], 10_000);
      await meterSends(2, 3, received);

      assert.deepEqual(received.map(telegramNumber), [1, 2, 3]);
      assert.ok(health.some((m) => m.payload.state === 'reconnecting'));
      assert.ok(health[health.length - 1].payload.counters.reconnects >= 1);
    });
  }

  it('fails with a clear reason for a URL in the host field, and for a poll interval out of bounds', async () => {
    await helper.load(NODES, [
      httpSource('url', dongle.port, { httpHost: 'http://127.0.0.1/' }),
      httpSource('fast', dongle.port, { httpInterval: 0.1 }),
      ...p1InWithOutputs('in1', 'url'),
      ...p1InWithOutputs('in2', 'fast'),
    ]);
    const [health1, health2] = [recorder('in1-health'), recorder('in2-health')];
    await waitForStatusSequence('in1', [/^failed: host "http:/]);
    await waitForStatusSequence('in2', [/^failed: poll interval/]);
    await waitFor(() => health1.length === 1 && health2.length === 1, 'both health messages');
    assert.match(health1[0].payload.detail, /^failed: host "http:\/\/127\.0\.0\.1\/" is not a host name or IP address/);
    assert.match(health2[0].payload.detail, /^failed: poll interval "0\.1" must be from 0\.5 to 60 seconds/);
    assert.equal(dongle.requests, 0);
  });
});
