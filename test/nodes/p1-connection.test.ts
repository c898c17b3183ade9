/**
 * p1-connection configuration problems, CRC policy and secrets, against the real Node-RED runtime:
 * a bad configuration fails with a clear status and log line and never stops the runtime.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURES } from '../support/paths';
import { FakeBridge } from './fake-bridge';
import {
  BASE_TELEGRAM,
  fixture,
  helper,
  logLines,
  NODES,
  numberedTelegram,
  p1InWithOutputs,
  recorder,
  statusesOf,
  telegramNumber,
  REFUSED_TCP_PORT,
  waitFor,
  type FlowNode,
} from './connection-harness';

const SIMULATOR: FlowNode = { id: 'healthy', type: 'p1-connection', source: 'simulator', simulatorInterval: 0.05 };
const ENCRYPTED = 'athombv__node-dsmr-parser/enc_dsmr_luxembourgh_spec_example_with_aad.bin';
const RIGHT_KEY = '0123456789ABCDEF0123456789ABCDEF';
const RIGHT_AK = 'FFEEDDCCBBAA99887766554433221100';
const WRONG_KEY = 'AAAABBBBCCCCDDDDEEEEFFFF00001111';
const BAD_CRC = 'athombv__node-dsmr-parser/dsmr_5.0_est_units.txt'; // stated FFFF, computed 17FF
const OTHER_BAD_CRC = 'athombv__node-dsmr-parser/dsmr_4.0_isk_1.txt'; // stated 522B, computed 8FC7

const lastStatus = (id: string) => statusesOf(id).at(-1) ?? {};
const errorsLogged = () =>
  logLines()
    .filter((l) => l.level === 20)
    .map((l) => l.msg);
const warningsLogged = () =>
  logLines()
    .filter((l) => l.level === 30)
    .map((l) => l.msg);

describe('p1-connection with a bad configuration', function () {
  afterEach(async () => {
    await helper.unload();
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a serial source without a port', { source: 'serial', serialPort: '' }, /no serial port given/],
    ['a TCP client without a host', { source: 'tcp-client', host: ' ', port: 8088 }, /no host given/],
    [
      'a URL instead of a host',
      { source: 'tcp-client', host: 'http://192.168.1.50/', port: 8088 },
      /host "http:\/\/192\.168\.1\.50\/" is not a host name or IP address/,
    ],
    ['a TCP port out of range', { source: 'tcp-client', host: '127.0.0.1', port: 70000 }, /port "70000" is not a number from 1 to 65535/],
    ['a TCP server port that is no number', { source: 'tcp-server', listenPort: 'eighty' }, /port "eighty" is not a number/],
    [
      'a listen address that is no IP address',
      { source: 'tcp-server', listenPort: 8088, bindAddress: 'not an ip' },
      /listen address "not an ip" is not an IP address/,
    ],
    [
      'a listen address with a range',
      { source: 'tcp-server', listenPort: 8088, bindAddress: '192.168.1.0/24' },
      /listen address "192\.168\.1\.0\/24" is not an IP address/,
    ],
    ['an unknown time zone', { source: 'simulator', simulatorInterval: 1, timezone: 'Mars/Olympus' }, /unknown time zone "Mars\/Olympus"/],
  ];

  for (const [what, config, reason] of invalid) {
    it(`fails with a clear reason for ${what}, and other connections keep running`, async () => {
      await helper.load(NODES, [
        { id: 'bad', type: 'p1-connection', ...config },
        SIMULATOR,
        ...p1InWithOutputs('badIn', 'bad'),
        ...p1InWithOutputs('goodIn', 'healthy'),
      ]);
      const good = recorder('goodIn-out');
      const health = recorder('badIn-health');
      await waitFor(() => good.length >= 2, 'telegrams from the healthy connection');
      assert.equal(health.length, 1);
      assert.equal(health[0].payload.state, 'failed');
      assert.match(health[0].payload.detail, reason);

      const status = lastStatus('badIn');
      assert.equal(status.fill, 'red');
      assert.match(status.text!, /^failed: /);
      assert.ok(
        errorsLogged().some((m) => reason.test(m)),
        `an error log line matching ${reason}: ${errorsLogged()}`,
      );
    });
  }

  it('a key of the wrong length fails without showing the key', async () => {
    await helper.load(NODES, [{ id: 'bad', type: 'p1-connection', source: 'simulator', simulatorInterval: 1 }, ...p1InWithOutputs('in', 'bad')], {
      bad: { decryptionKey: 'ABCDEF123456' },
    });
    const health = recorder('in-health');
    await waitFor(() => /^failed: /.test(lastStatus('in').text ?? ''), 'the failed status');
    await waitFor(() => health.length === 1, 'the health message');
    assert.match(health[0].payload.detail, /decryption key must be 32 hexadecimal digits/);
    assert.ok(!JSON.stringify(logLines()).includes('ABCDEF123456'));
  });

  it('an unreachable host shows the retry, the reason in the health message, and logs it once however often it retries', async () => {
    await helper.load(NODES, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: REFUSED_TCP_PORT, maxBackoff: 1 },
      ...p1InWithOutputs('in', 'link'),
    ]);
    const health = recorder('in-health');
    await waitFor(() => statusesOf('in').filter((s) => /^retry in/.test(s.text ?? '')).length >= 2, 'two failed attempts', 8000);
    const retry = statusesOf('in').find((s) => /^retry in/.test(s.text ?? ''))!;
    assert.equal(retry.fill, 'yellow');
    assert.match(retry.text!, /^retry in \d+ s$/);
    assert.match(health.find((m) => m.payload.state === 'reconnecting')?.payload.detail ?? '', /^retry in \d+ s: connection refused/);
    assert.equal(warningsLogged().filter((m) => /connection refused/.test(m)).length, 1);
  });
});

describe('p1-connection replaying a capture file', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('plays the file once, then reports that the replay finished', async () => {
    const file = path.join(FIXTURES, BASE_TELEGRAM);
    await helper.load(NODES, [
      { id: 'capture', type: 'p1-connection', source: 'replay', replayFile: file, replayInterval: 0.05, replayLoop: false },
      ...p1InWithOutputs('in', 'capture'),
    ]);
    const received = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => health.some((m) => m.payload.state === 'closed'), 'the end of the replay');
    assert.equal(received.length, 1);
    assert.equal(received[0].payload.crc.valid, true);
    assert.deepEqual(lastStatus('in'), { fill: 'grey', shape: 'ring', text: 'closed: replay finished' });
  });

  it('a missing file fails with its name', async () => {
    await helper.load(NODES, [
      { id: 'capture', type: 'p1-connection', source: 'replay', replayFile: '/nonexistent/capture.txt', replayInterval: 1, replayLoop: true },
      ...p1InWithOutputs('in', 'capture'),
    ]);
    const health = recorder('in-health');
    await waitFor(() => health.some((m) => /nonexistent\/capture\.txt/.test(m.payload.detail)), 'a health message naming the file');
  });
});

describe('p1-connection admin endpoint', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('lists serial ports for the editor as { path, label }', async () => {
    await helper.load(NODES, [SIMULATOR]);
    const response = await helper.request().get('/p1-connection/serial-ports').expect(200);
    assert.ok(Array.isArray(response.body));
    for (const port of response.body) {
      assert.equal(typeof port.path, 'string');
      assert.equal(typeof port.label, 'string');
    }
  });
});

describe('p1-connection with encrypted meters and credentials', function () {
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  // The corpus' encrypted frames wrap the Luxembourg spec example, whose own CRC is wrong: pass it on flagged.
  const link = (): FlowNode => ({ id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port, crcPolicy: 'flag' });

  it('decrypts with the keys from the credentials, which never appear in the flow or the log', async () => {
    await helper.load(NODES, [link(), ...p1InWithOutputs('in', 'link')], { link: { decryptionKey: RIGHT_KEY, authenticationKey: RIGHT_AK } });
    const received = recorder('in-out');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    await bridge.send(fixture(ENCRYPTED));
    await waitFor(() => received.length === 1, 'the decrypted telegram');
    assert.match(received[0].payload.header, /^Lux5/);

    const exported = JSON.stringify(helper._redNodes.getFlows().flows);
    for (const secret of [RIGHT_KEY, RIGHT_AK]) {
      assert.ok(!exported.toUpperCase().includes(secret), 'key not in the flow');
      assert.ok(!JSON.stringify(logLines()).toUpperCase().includes(secret), 'key not in the log');
    }
  });

  it('a wrong key: no telegram, a clear status, a counter and one log line', async () => {
    await helper.load(NODES, [link(), ...p1InWithOutputs('in', 'link')], { link: { decryptionKey: WRONG_KEY } });
    const received = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    for (let i = 0; i < 3; i++) await bridge.send(fixture(ENCRYPTED));
    await waitFor(() => health.some((m) => m.payload.counters.decryptFailures >= 1), 'a decrypt failure in the health output');

    const status = lastStatus('in');
    assert.equal(status.fill, 'yellow');
    assert.equal(status.text, 'no valid telegram');
    assert.equal(received.length, 0);
    await waitFor(() => warningsLogged().length >= 1, 'a warning');
    assert.ok(
      warningsLogged().some((m) => /key|auth|decrypt/i.test(m)),
      `the reason in the log: ${warningsLogged()}`,
    );
    assert.equal(new Set(warningsLogged()).size, warningsLogged().length, 'each warning once');
    assert.ok(!JSON.stringify(logLines()).toUpperCase().includes(WRONG_KEY));
  });
});

describe('p1-connection CRC policy', function () {
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  async function sendBadThenGood(crcPolicy: string) {
    await helper.load(NODES, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port, crcPolicy },
      ...p1InWithOutputs('in', 'link'),
    ]);
    const received = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    await bridge.send(fixture(BAD_CRC));
    await bridge.send(fixture(OTHER_BAD_CRC));
    await bridge.send(numberedTelegram(7));
    await waitFor(() => received.some((m) => m.payload.obis['1-0:1.8.1'] && telegramNumber(m) === 7), 'the good telegram');
    return { received, health };
  }

  it('drop (default): damaged telegrams are not emitted but counted, and logged one by one only a few times a minute', async () => {
    const { received, health } = await sendBadThenGood('drop');
    assert.equal(received.length, 1);
    assert.equal(received[0].payload.crc.valid, true);
    await waitFor(() => health.some((m) => m.payload.counters.crcFailures === 2), 'crcFailures = 2 in the health output');
    assert.equal(warningsLogged().filter((m) => /CRC/.test(m)).length, 2, `CRC warnings: ${warningsLogged()}`);
  });

  it('flag: the damaged telegram is emitted with crc.valid = false', async () => {
    const { received } = await sendBadThenGood('flag');
    assert.deepEqual(
      received.map((m) => [m.payload.crc.valid, m.payload.crc.stated]),
      [
        [false, 'FFFF'],
        [false, '522B'],
        [true, received[2].payload.crc.computed],
      ],
    );
  });
});
