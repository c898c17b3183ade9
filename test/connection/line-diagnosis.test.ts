/**
 * The line check's verdicts over simulated lines: every combination of meter output (115200 8N1,
 * 9600 7E1), port setting (the same two) and polarity, made bit by bit with the UART model; TCP
 * bridges with telnet negotiation, the wrong baud rate to their meter, or silence; damaged,
 * encrypted and good telegrams. Every verdict has its words and fix in both catalogues.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cannotOpen,
  LINE_VERDICTS,
  LineRecorder,
  telnetPrefixLength,
  type LineCheckResult,
  type LineCheckSetup,
  type LineReading,
} from '../../src/connection/line-check/line-diagnosis';
import { FIXTURES, REPO_ROOT } from '../support/paths';
import { FRAMING_7E1, FRAMING_8N1, receiveAs, type UartFraming } from '../support/uart-line';

/** Real telegrams of each generation: DSMR 5 (NL), e-MUCS (BE), DSMR 4.2, DSMR 2.2. */
const TELEGRAMS = [
  'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt',
  'ndokter__dsmr_parser/be_fluvius_v171.txt',
  'ndokter__dsmr_parser/v4_2_kaifa.txt',
  'ndokter__dsmr_parser/v2_2_iskra_mt382.txt',
].map((file) => ({ file, bytes: fs.readFileSync(path.join(FIXTURES, file)) }));

interface Setting {
  name: string;
  framing: UartFraming;
  baud: number;
  reading: LineReading;
}

const SETTINGS: Setting[] = [
  { name: '115200 8N1', framing: FRAMING_8N1, baud: 115200, reading: { baudRate: 115200, dataBits: 8, description: '115200 8N1' } },
  { name: '9600 7E1', framing: FRAMING_7E1, baud: 9600, reading: { baudRate: 9600, dataBits: 7, description: '9600 7E1' } },
];

/** Three telegrams back to back, as a meter sends them during a check. */
const meterOutput = (telegram: Buffer) => Buffer.concat([telegram, telegram, telegram]);

function check(setup: LineCheckSetup, chunks: Buffer[], intervalMs = 1000): LineCheckResult {
  const recorder = new LineRecorder(setup);
  for (const [i, chunk] of chunks.entries()) recorder.push(chunk, i * intervalMs);
  return recorder.result(chunks.length * intervalMs);
}

const serial = (reading: LineReading): LineCheckSetup => ({ link: 'serial', reading, reader: {} });
const tcp: LineCheckSetup = { link: 'tcp', reader: {} };

/** What each combination must be called, and the setting the verdict points to. */
function expected(sent: Setting, read: Setting, inverted: boolean): Pick<LineCheckResult, 'verdict' | 'suggestion'> {
  // A wrong speed hides the polarity: the speed is what to fix first (the next check then says "inverted").
  if (sent !== read) return { verdict: 'speed', suggestion: sent.baud === 9600 ? 'dsmr23' : 'dsmr45' };
  return inverted ? { verdict: 'inverted', suggestion: undefined } : { verdict: 'ok', suggestion: undefined };
}

describe('connection/line-check/line-diagnosis', () => {
  for (const { file, bytes } of TELEGRAMS) {
    describe(`${path.basename(file)}: every meter output read at every setting, inverted or not`, () => {
      for (const sent of SETTINGS) {
        for (const read of SETTINGS) {
          for (const inverted of [false, true]) {
            const want = expected(sent, read, inverted);
            it(`sent ${sent.name}${inverted ? ', inverted,' : ''} read at ${read.name} → ${want.verdict}`, () => {
              const line = receiveAs(meterOutput(bytes), sent.framing, sent.baud, read.framing, read.baud, inverted);
              const result = check(serial(read.reading), [line]);
              assert.equal(result.verdict, want.verdict);
              assert.equal(result.suggestion, want.suggestion);
              assert.equal(result.readAs, read.name);
              assert.equal(result.bytes, line.length);
              if (want.verdict === 'ok') assert.equal(result.meter?.header, bytes.toString('latin1').split(/\r?\n/)[0].slice(1));
            });
          }
        }
      }
    });
  }

  describe('a good line', () => {
    it('names the meter, its version, interval and first values, and shows the first bytes', () => {
      const telegram = TELEGRAMS[0].bytes;
      const result = check(serial(SETTINGS[0].reading), [telegram, telegram, telegram], 1000);
      assert.equal(result.verdict, 'ok');
      assert.equal(result.telegrams, 3);
      assert.equal(result.crcErrors, 0);
      assert.equal(result.meter?.header, 'ISK5\\2M550T-1012');
      assert.equal(result.meter?.version, '50');
      assert.equal(result.meter?.intervalSeconds, 1);
      assert.deepEqual(result.meter?.values[0], { code: '1-0:1.8.1', name: 'energyDeliveredTariff1', value: 2130.115, unit: 'kWh' });
      assert.equal(result.firstBytes.text.split('\n')[0], '/ISK5\\2M550T-1012');
      assert.equal(result.firstBytes.hex.slice(0, 14), '2f 49 53 4b 35');
    });

    it('shows control bytes as dots and keeps line ends in the text', () => {
      const result = check(tcp, [Buffer.from([0x00, 0x41, 0x0d, 0x0a, 0xff, 0x42])]);
      assert.equal(result.firstBytes.text, '·A\n·B');
      assert.equal(result.firstBytes.hex, '00 41 0d 0a ff 42');
    });
  });

  describe('damaged telegrams', () => {
    const telegram = TELEGRAMS[0].bytes.toString('latin1');
    const changed = Buffer.from(telegram.replace('1-0:1.8.1(002130.115', '1-0:1.8.1(002130.125'), 'latin1');
    const shortened = Buffer.from(telegram.replace('1-0:1.8.1(002130.115', '1-0:1.8.1(00213.115'), 'latin1');
    const good = Buffer.from(telegram, 'latin1');

    it('changed bytes: CRC errors with their rate, bytes changed on the way', () => {
      const result = check(serial(SETTINGS[0].reading), [good, changed, good, changed]);
      assert.equal(result.verdict, 'crc-errors');
      assert.equal(result.crcErrorRate, 0.5);
      assert.equal(result.crcCause, 'changed-bytes');
    });

    it('lost bytes: damaged telegrams shorter than good ones', () => {
      const result = check(tcp, [good, shortened, good, good]);
      assert.equal(result.verdict, 'crc-errors');
      assert.equal(result.crcErrorRate, 0.25);
      assert.equal(result.crcCause, 'lost-bytes');
    });
  });

  describe('encrypted frames', () => {
    const frame = fs.readFileSync(path.join(FIXTURES, 'NEXXTLAB__go-smarty-reader', 'lu_smarty_real_encrypted_frame.bin'));

    it('without a key → encrypted-no-key', () => {
      assert.equal(check(tcp, [frame, frame]).verdict, 'encrypted-no-key');
    });

    it('with a key that does not fit → wrong-key', () => {
      const result = check({ link: 'tcp', reader: { decryptionKey: '00112233445566778899AABBCCDDEEFF' } }, [frame]);
      assert.equal(result.verdict, 'wrong-key');
      assert.equal(result.decryptFailures, 1);
    });

    it('with the right keys → ok, decrypted', () => {
      const reader = { decryptionKey: 'D491470F47126332B07D1923B3504188', authenticationKey: '00112233445566778899AABBCCDDEEFF' };
      const result = check({ link: 'tcp', reader }, [frame]);
      assert.equal(result.verdict, 'ok');
      assert.equal(result.meter?.manufacturer, 'Lux');
    });
  });

  describe('TCP bridges', () => {
    const telegram = TELEGRAMS[2].bytes;
    const negotiation = Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfd, 0x00, 0xff, 0xfa, 0x2c, 0x01, 0x00, 0x01, 0xc2, 0x00, 0xff, 0xf0]);

    it('telnet negotiation and nothing else → telnet', () => {
      const result = check(tcp, [negotiation.subarray(0, 7), negotiation.subarray(7)]);
      assert.equal(result.verdict, 'telnet');
      assert.equal(result.telnet, true);
      assert.match(result.firstBytes.hex, /^ff fb 01/);
    });

    it('telnet negotiation, then telegrams → ok, with the negotiation noted', () => {
      const result = check(tcp, [negotiation, telegram, telegram]);
      assert.equal(result.verdict, 'ok');
      assert.equal(result.telnet, true);
    });

    it('telnet negotiation, then an inverted line → inverted (the negotiation is not taken for line garbage)', () => {
      const garbage = receiveAs(meterOutput(telegram), FRAMING_8N1, 115200, FRAMING_8N1, 115200, true);
      assert.equal(check(tcp, [negotiation, garbage]).verdict, 'inverted');
    });

    it('a bridge at 115200 baud to a 9600 7E1 meter → speed: set the bridge to 9600 7E1', () => {
      const garbage = receiveAs(meterOutput(TELEGRAMS[3].bytes), FRAMING_7E1, 9600, FRAMING_8N1, 115200);
      const result = check(tcp, [garbage]);
      assert.equal(result.verdict, 'speed');
      assert.equal(result.slowerLine, true);
      assert.equal(result.suggestion, 'dsmr23');
    });

    it('a bridge at 9600 baud to a 115200 meter → speed', () => {
      const garbage = receiveAs(meterOutput(telegram), FRAMING_8N1, 115200, FRAMING_8N1, 9600);
      const result = check(tcp, [garbage]);
      assert.equal(result.verdict, 'speed');
      assert.equal(result.slowerLine, false);
    });

    it('silence → no-bytes', () => {
      const result = check(tcp, []);
      assert.equal(result.verdict, 'no-bytes');
      assert.equal(result.bytes, 0);
    });

    it('an IAC that is data (0xFF 0xFF) is not negotiation', () => {
      assert.equal(telnetPrefixLength(Buffer.from([0xff, 0xff, 0x41])), 0);
      assert.equal(telnetPrefixLength(Buffer.from([0x2f, 0xff, 0xfb, 0x01])), 0);
    });
  });

  it('7E1 text read with 8 data bits → parity: use 9600 7E1', () => {
    const line = receiveAs(meterOutput(TELEGRAMS[3].bytes), FRAMING_7E1, 9600, FRAMING_8N1, 9600);
    const result = check(serial({ baudRate: 9600, dataBits: 8, description: '9600 8N1' }), [line]);
    assert.equal(result.verdict, 'parity');
    assert.equal(result.suggestion, 'dsmr23');
  });

  it('plain text that never makes a telegram → text', () => {
    const login = Buffer.from('\r\nDebian GNU/Linux 12 raspberrypi ttyAMA0\r\n\r\nraspberrypi login: ', 'latin1');
    assert.equal(check(serial(SETTINGS[0].reading), [login, login]).verdict, 'text');
  });

  it('a port that cannot be opened → cannot-open, with the reason', () => {
    const result = cannotOpen(serial(SETTINGS[0].reading), 'cannot open /dev/ttyUSB0: in use by another program', 300);
    assert.equal(result.verdict, 'cannot-open');
    assert.equal(result.reason, 'cannot open /dev/ttyUSB0: in use by another program');
  });

  for (const language of ['en-US', 'nl']) {
    it(`every verdict has a title and a fix in the ${language} catalogue, for a serial port and a bridge`, () => {
      const catalogue = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', language, 'p1-connection.json'), 'utf8'))['p1-connection']
        .lineCheck;
      for (const verdict of LINE_VERDICTS) {
        for (const link of ['serial', 'tcp']) {
          const entry = catalogue.verdict[verdict]?.[link];
          assert.equal(typeof entry?.title, 'string', `${language} lineCheck.verdict.${verdict}.${link}.title`);
          assert.equal(typeof entry?.fix, 'string', `${language} lineCheck.verdict.${verdict}.${link}.fix`);
        }
      }
    });
  }
});
