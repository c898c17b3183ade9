/**
 * The "Check line" endpoint (POST p1-connection/line-check) in a real Node-RED runtime: a socat
 * pty carrying every combination of meter output, port setting and polarity; a fake TCP bridge
 * that speaks telnet, runs at the wrong baud rate, stays silent or is not there, and a real ser2net
 * in telnet and raw mode; requests it must
 * refuse; and a check next to a deployed connection, which must lose no telegram and never open
 * the port twice.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LineCheckResult } from '../../src/connection/line-check/line-diagnosis';
import { startPtyPair, type PtyPair } from '../support/pty-pair';
import { SER2NET, startSer2net, type Ser2net } from '../support/ser2net';
import { FRAMING_7E1, FRAMING_8N1, receiveAs, type UartFraming } from '../support/uart-line';
import { FakeBridge } from './fake-bridge';
import { fixture, helper, NODES, numberedTelegram, p1InWithOutputs, recorder, statusesOf, telegramNumber, unusedTcpPort, waitFor } from './connection-harness';

/** The endpoint's answer: a check result, or why the request was refused. */
type CheckBody = Partial<LineCheckResult> & { code?: string; error?: string };

interface CheckAnswer {
  status: number;
  body: CheckBody;
}

/** Posts a check; while it runs, `feed` (if any) plays the meter every 50 ms. */
async function postCheck(body: Record<string, unknown>, feed?: () => void): Promise<CheckAnswer> {
  let done = false;
  const answer = new Promise<CheckAnswer>((resolve, reject) => {
    helper
      .request()
      .post('/p1-connection/line-check')
      .send(body)
      .end((err: Error | null, res: CheckAnswer) => {
        done = true;
        if (err) reject(err);
        else resolve({ status: res.status, body: res.body });
      });
  });
  while (feed && !done) {
    feed();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return answer;
}

const SETTINGS: Array<{ name: string; framing: UartFraming; baud: number; dialog: string }> = [
  { name: '115200 8N1', framing: FRAMING_8N1, baud: 115200, dialog: 'dsmr45' },
  { name: '9600 7E1', framing: FRAMING_7E1, baud: 9600, dialog: 'dsmr23' },
];
const DSMR5 = fixture('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');

describe('p1-connection line check on a serial port (socat pty)', function () {
  this.timeout(60_000);
  let dir: string;
  let pty: PtyPair;
  /** The pty's real device (/dev/pts/N): what a user picks; the link in the temp folder is not under /dev. */
  let device: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-line-check-'));
    pty = await startPtyPair(dir);
    device = fs.realpathSync(pty.a);
    await helper.load(NODES, [{ id: 'unused', type: 'p1-connection', source: 'simulator' }]);
  });

  afterEach(async () => {
    await helper.unload();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const sent of SETTINGS) {
    for (const read of SETTINGS) {
      for (const inverted of [false, true]) {
        const verdict = sent !== read ? 'speed' : inverted ? 'inverted' : 'ok';
        it(`a meter sending ${sent.name}${inverted ? ' inverted' : ''}, dialog set to ${read.name} → ${verdict}`, async () => {
          const line = receiveAs(DSMR5, sent.framing, sent.baud, read.framing, read.baud, inverted);
          const { status, body } = await postCheck({ source: 'serial', serialPort: device, serialFraming: read.dialog, seconds: 1.5 }, () => pty.write(line));
          assert.equal(status, 200, JSON.stringify(body));
          assert.equal(body.verdict, verdict, JSON.stringify(body));
          assert.equal(body.readAs, read.name);
          if (verdict === 'ok') assert.equal(body.meter?.header, 'ISK5\\2M550T-1012');
          if (verdict === 'speed') assert.equal(body.suggestion, sent.dialog);
          assert.ok((body.bytes ?? 0) > 0 && (body.firstBytes?.hex.length ?? 0) > 0);
        });
      }
    }
  }

  it('a silent port → no-bytes; the port is closed again afterwards', async () => {
    const { status, body } = await postCheck({ source: 'serial', serialPort: device, serialFraming: 'dsmr45', seconds: 1 });
    assert.equal(status, 200);
    assert.equal(body.verdict, 'no-bytes');
    assert.equal(body.bytes, 0);
    // Closed: a second check can open it again (serialport locks a port it holds).
    const again = await postCheck({ source: 'serial', serialPort: device, serialFraming: 'dsmr45', seconds: 0.5 });
    assert.equal(again.body.verdict, 'no-bytes');
  });

  it('refuses what is not a serial port of this machine', async () => {
    for (const serialPort of ['/etc/passwd', '/dev/../etc/passwd', pty.a, '/dev/does-not-exist', 'relative/path']) {
      const { status, body } = await postCheck({ source: 'serial', serialPort, seconds: 1 });
      assert.equal(status, 400, serialPort);
      assert.match(body.error ?? '', /not a serial port/);
    }
    const simulator = await postCheck({ source: 'simulator', seconds: 1 });
    assert.equal(simulator.status, 400);
    const badFraming = await postCheck({ source: 'serial', serialPort: device, serialFraming: 'fast', seconds: 1 });
    assert.equal(badFraming.status, 400);
    assert.match(badFraming.body.error ?? '', /unknown serial framing/);
  });

  it('refuses a second check while one runs', async () => {
    const first = postCheck({ source: 'serial', serialPort: device, seconds: 2 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await postCheck({ source: 'serial', serialPort: device, seconds: 1 });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'busy');
    assert.equal((await first).status, 200);
  });
});

describe('p1-connection line check next to a deployed connection', function () {
  this.timeout(60_000);
  let dir: string;
  let pty: PtyPair;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-line-check-'));
    pty = await startPtyPair(dir);
  });

  afterEach(async () => {
    await helper.unload();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens along on the same serial port: no second open, no busy status, no telegram lost', async () => {
    await helper.load(NODES, [
      { id: 'port', type: 'p1-connection', source: 'serial', serialPort: pty.a, serialFraming: 'dsmr45' },
      ...p1InWithOutputs('in', 'port'),
    ]);
    const received = recorder('in-out');
    let n = 0;
    const meter = () => pty.write(numberedTelegram(++n));
    await waitFor(() => statusesOf('in').some((s) => /^waiting for data$/.test(s.text ?? '')), 'the deployed connection to open the port');
    // The dialog names the device by its real path; the deployed node uses the link: the same port.
    const { status, body } = await postCheck({ source: 'serial', serialPort: fs.realpathSync(pty.a), serialFraming: 'dsmr23', seconds: 3 }, meter);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.shared, true);
    assert.equal(body.verdict, 'ok');
    assert.equal(body.readAs, '115200 8N1', "read with the deployed settings, not the dialog's");
    const sent = n;
    await waitFor(() => received.length > 0 && telegramNumber(received[received.length - 1]) === sent, 'the last telegram sent');
    const numbers = received.map(telegramNumber);
    const first = numbers[0];
    assert.deepEqual(
      numbers,
      Array.from({ length: sent - first + 1 }, (_, i) => first + i),
      'every telegram once, in order',
    );
    const trouble = statusesOf('in').filter((s) => /retry|busy|lock|fail/i.test(s.text ?? ''));
    assert.deepEqual(trouble, []);
  });

  it('listens along on the same TCP bridge: the bridge sees one client only', async () => {
    const bridge = await new FakeBridge().listen(0);
    try {
      await helper.load(NODES, [
        { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port, maxBackoff: 1 },
        ...p1InWithOutputs('in', 'link'),
      ]);
      const received = recorder('in-out');
      await waitFor(() => bridge.clients === 1, 'the deployed connection');
      let n = 0;
      const { body } = await postCheck(
        { source: 'tcp-client', host: '127.0.0.1', port: bridge.port, seconds: 3 },
        () => void bridge.send(numberedTelegram(++n)),
      );
      assert.equal(body.shared, true);
      assert.equal(body.verdict, 'ok');
      assert.equal(bridge.accepted, 1, 'one connection to the bridge, ever');
      await waitFor(() => received.length === n, `all ${n} telegrams`);
    } finally {
      await bridge.stop();
    }
  });

  it('a deployed connection no node uses: the check opens it through the connection and closes it again', async () => {
    const bridge = await new FakeBridge().listen(0);
    try {
      await helper.load(NODES, [{ id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port }]);
      const { body } = await postCheck({ source: 'tcp-client', host: '127.0.0.1', port: bridge.port, seconds: 1 });
      assert.equal(body.shared, true);
      assert.equal(body.verdict, 'no-bytes');
      assert.equal(bridge.accepted, 1);
      await waitFor(() => bridge.clients === 0, 'the connection to close again');
    } finally {
      await bridge.stop();
    }
  });
});

describe('p1-connection line check on a TCP bridge', function () {
  this.timeout(30_000);
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
    await helper.load(NODES, [{ id: 'unused', type: 'p1-connection', source: 'simulator' }]);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  const check = (feed?: () => void, seconds = 1.5) => postCheck({ source: 'tcp-client', host: '127.0.0.1', port: bridge.port, seconds }, feed);
  /** Sends `bytes` once to each client as it connects. */
  const onConnect = (bytes: Buffer) => {
    let sentTo = 0;
    return () => {
      if (bridge.accepted > sentTo && bridge.clients > 0) {
        sentTo = bridge.accepted;
        void bridge.send(bytes);
      }
    };
  };

  it('good telegrams → ok, with the meter; the socket is closed afterwards', async () => {
    const { body } = await check(() => void bridge.send(DSMR5));
    assert.equal(body.verdict, 'ok');
    assert.equal(body.link, 'tcp');
    assert.equal(body.meter?.header, 'ISK5\\2M550T-1012');
    await waitFor(() => bridge.clients === 0, 'the check to close its socket');
  });

  it('telnet negotiation and nothing else → telnet', async () => {
    const { body } = await check(onConnect(Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfd, 0x03])));
    assert.equal(body.verdict, 'telnet');
    assert.equal(body.firstBytes?.hex, 'ff fb 01 ff fb 03 ff fd 03');
  });

  it('a bridge at 115200 baud to a 9600 7E1 meter → speed, set the bridge to 9600 7E1', async () => {
    const garbage = receiveAs(fixture('ndokter__dsmr_parser/v2_2_iskra_mt382.txt'), FRAMING_7E1, 9600, FRAMING_8N1, 115200);
    const { body } = await check(() => void bridge.send(garbage));
    assert.equal(body.verdict, 'speed');
    assert.equal(body.suggestion, 'dsmr23');
  });

  it('an inverted line behind the bridge → inverted', async () => {
    const garbage = receiveAs(DSMR5, FRAMING_8N1, 115200, FRAMING_8N1, 115200, true);
    const { body } = await check(() => void bridge.send(garbage));
    assert.equal(body.verdict, 'inverted');
  });

  it('a silent bridge → no-bytes', async () => {
    const { body } = await check(undefined, 1);
    assert.equal(body.verdict, 'no-bytes');
    assert.equal(bridge.accepted, 1);
  });

  it('no bridge at that port → cannot-open, with the reason', async () => {
    const port = await unusedTcpPort();
    const { body } = await postCheck({ source: 'tcp-client', host: '127.0.0.1', port, seconds: 3 });
    assert.equal(body.verdict, 'cannot-open');
    assert.match(body.reason ?? '', /connection refused/);
  });

  it('refuses a host that is not a host name', async () => {
    const { status, body } = await postCheck({ source: 'tcp-client', host: 'http://192.168.1.50/', port: 8088 });
    assert.equal(status, 400);
    assert.match(body.error ?? '', /not a host name/);
  });
});

describe('p1-connection line check through a real ser2net bridge', function () {
  this.timeout(60_000);
  let dir: string;
  let pty: PtyPair;
  let bridge: Ser2net | undefined;

  beforeEach(async () => {
    assert.ok(fs.existsSync(SER2NET), `${SER2NET} is missing: apt-get install -y ser2net`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-line-check-ser2net-'));
    pty = await startPtyPair(dir);
    await helper.load(NODES, [{ id: 'unused', type: 'p1-connection', source: 'simulator' }]);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge?.stop();
    bridge = undefined;
    await pty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const check = (feed?: () => void, seconds = 1.5) => postCheck({ source: 'tcp-client', host: '127.0.0.1', port: bridge?.port, seconds }, feed);

  it('telnet mode, meter silent → telnet, with the negotiation ser2net really sends', async () => {
    bridge = await startSer2net(dir, fs.realpathSync(pty.a), await unusedTcpPort(), 'telnet');
    const { body } = await check();
    assert.equal(body.verdict, 'telnet', JSON.stringify(body));
    assert.match(body.firstBytes?.hex ?? '', /^ff f[b-e] /);
  });

  it('telnet mode, meter talking → ok, and the negotiation is noted', async () => {
    bridge = await startSer2net(dir, fs.realpathSync(pty.a), await unusedTcpPort(), 'telnet');
    const { body } = await check(() => pty.write(DSMR5));
    assert.equal(body.verdict, 'ok', JSON.stringify(body));
    assert.equal(body.telnet, true);
  });

  it('raw mode at 115200 baud, a 9600 7E1 meter behind it → speed: set the bridge to 9600 7E1', async () => {
    bridge = await startSer2net(dir, fs.realpathSync(pty.a), await unusedTcpPort(), 'raw');
    const garbage = receiveAs(fixture('ndokter__dsmr_parser/v2_2_iskra_mt382.txt'), FRAMING_7E1, 9600, FRAMING_8N1, 115200);
    const { body } = await check(() => pty.write(garbage));
    assert.equal(body.verdict, 'speed', JSON.stringify(body));
    assert.equal(body.telnet, false);
    assert.equal(body.suggestion, 'dsmr23');
  });
});
