import { strict as assert } from 'node:assert';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { P1Reader, type ReaderOptions, type ReaderProblem } from '../../src/protocol/reader';
import type { P1Telegram } from '../../src/protocol/types';
import { loadCorpus, loadEncryptedFixtures } from './corpus-files';

function collect(options: ReaderOptions = {}) {
  const telegrams: Array<{ telegram: P1Telegram; raw: string }> = [];
  const problems: ReaderProblem[] = [];
  const reader = new P1Reader(options, {
    onTelegram: (telegram, raw) => telegrams.push({ telegram, raw }),
    onProblem: (problem) => problems.push(problem),
  });
  return { reader, telegrams, problems };
}

const BODY = '/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(200101120000W)\r\n1-0:1.7.0(00.123*kW)\r\n!';
const GOOD = `${BODY}${formatCrc(crc16String(BODY))}\r\n`;
const BAD = `${BODY}1234\r\n`;

describe('P1Reader', () => {
  it('parses a good telegram and hands over the raw text', () => {
    const { reader, telegrams, problems } = collect();
    reader.push(Buffer.from(GOOD));
    assert.equal(telegrams.length, 1);
    assert.equal(telegrams[0].raw, GOOD);
    assert.equal(telegrams[0].telegram.crc.valid, true);
    assert.equal(telegrams[0].telegram.header, 'ISK5\\2M550T-1012');
    assert.deepEqual(problems, []);
    assert.equal(reader.stats.emitted, 1);
    assert.equal(reader.stats.telegrams, 1);
  });

  it('takes strings as latin1', () => {
    const { reader, telegrams } = collect();
    reader.push(GOOD.slice(0, 30));
    reader.push(GOOD.slice(30));
    assert.equal(telegrams[0].raw, GOOD);
  });

  it('drops a telegram with a wrong CRC by default and says why', () => {
    const { reader, telegrams, problems } = collect();
    reader.push(BAD);
    assert.equal(telegrams.length, 0);
    assert.deepEqual(problems, [{ kind: 'crc', message: `CRC mismatch: stated 1234, computed ${formatCrc(crc16String(BODY))} — telegram dropped` }]);
    assert.equal(reader.stats.crcFailures, 1);
    assert.equal(reader.stats.emitted, 0);
  });

  it('passes a wrong-CRC telegram on, flagged, with crcPolicy "flag"', () => {
    const { reader, telegrams, problems } = collect({ crcPolicy: 'flag' });
    reader.push(BAD);
    assert.equal(telegrams.length, 1);
    assert.equal(telegrams[0].telegram.crc.valid, false);
    assert.equal(telegrams[0].telegram.crc.stated, '1234');
    assert.equal(problems[0].kind, 'crc');
    assert.match(problems[0].message, /flag/);
  });

  it('passes telegrams without a CRC (DSMR 2.2/3) under either policy', () => {
    const dsmr22 = loadCorpus().find((e) => e.file === 'ndokter__dsmr_parser/v2_2_iskra_mt382.txt')!;
    const { reader, telegrams } = collect({ crcPolicy: 'drop' });
    reader.push(dsmr22.bytes);
    assert.equal(telegrams.length, 1);
    assert.equal(telegrams[0].telegram.crc.present, false);
  });

  it('reports garbage, partial telegrams and oversize telegrams as problems', () => {
    const { reader, telegrams, problems } = collect({ maxTelegramSize: 256 });
    reader.push(`noise\xff\r\n${GOOD.slice(0, 50)}\r\n${GOOD}`);
    reader.push(`/ISK5\r\n\r\n${'1-0:1.8.1(000001.000*kWh)\r\n'.repeat(12)}!0000\r\n`);
    reader.reset(); // the rest of the oversize telegram is a run of skipped bytes, reported when it ends
    assert.equal(telegrams.length, 1);
    assert.deepEqual(
      problems.map((p) => p.kind),
      ['skipped', 'partial', 'oversize', 'skipped'],
    );
    assert.match(problems[0].message, /skipped 8 bytes/);
    assert.match(problems[1].message, /incomplete telegram dropped/);
    assert.match(problems[2].message, /longer than 256 bytes/);
    assert.ok(reader.buffered <= 256);
  });

  it('reset() reports an unfinished telegram', () => {
    const { reader, problems } = collect();
    reader.push(GOOD.slice(0, 60));
    reader.reset();
    assert.deepEqual(
      problems.map((p) => p.kind),
      ['partial'],
    );
    assert.equal(reader.stats.droppedPartials, 1);
  });

  describe('encrypted frames', () => {
    for (const fixture of loadEncryptedFixtures()) {
      const options = fixture.tagUsesAad ? { decryptionKey: fixture.key, authenticationKey: fixture.authenticationKey } : { decryptionKey: fixture.key };

      it(`${fixture.file}: decrypted and parsed as a normal telegram, CRC included`, () => {
        const { reader, telegrams, problems } = collect({ ...options, crcPolicy: 'flag' });
        reader.push(fixture.frame);
        assert.equal(telegrams.length, 1);
        assert.equal(telegrams[0].raw, fixture.plaintext.toString('latin1'));
        assert.equal(telegrams[0].telegram.crc.present, true);
        assert.equal(reader.stats.encryptedFrames, 1);
        assert.equal(reader.stats.telegrams, 1);
        // Some plaintexts are spec examples with a wrong CRC: the same policy applies to them.
        assert.equal(problems.length, telegrams[0].telegram.crc.valid ? 0 : 1);
      });

      it(`${fixture.file}: a wrong key emits nothing and says why`, () => {
        const wrong = fixture.key.slice(0, -1) + (fixture.key.endsWith('0') ? '1' : '0');
        const { reader, telegrams, problems } = collect({ ...options, decryptionKey: wrong });
        reader.push(fixture.frame);
        assert.equal(telegrams.length, 0);
        assert.equal(problems.length, 1);
        assert.equal(problems[0].kind, 'decrypt');
        assert.match(problems[0].message, /auth-failed/);
        assert.equal(reader.stats.decryptFailures, 1);
      });
    }

    const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;

    it('a tampered frame emits nothing', () => {
      const tampered = Buffer.from(real.frame);
      tampered[200] ^= 0x80;
      const { reader, telegrams, problems } = collect({ decryptionKey: real.key });
      reader.push(tampered);
      assert.equal(telegrams.length, 0);
      assert.deepEqual(
        problems.map((p) => p.kind),
        ['decrypt'],
      );
    });

    it('without a key configured: a clear problem, nothing emitted', () => {
      for (const decryptionKey of [undefined, '']) {
        const { reader, telegrams, problems } = collect({ decryptionKey });
        reader.push(real.frame);
        assert.equal(telegrams.length, 0);
        assert.deepEqual(problems, [{ kind: 'decrypt', message: 'encrypted frame received but no decryption key configured' }]);
      }
    });

    it('a malformed key is reported with each frame, never thrown', () => {
      const { reader, telegrams, problems } = collect({ decryptionKey: 'not a key' });
      reader.push(real.frame);
      assert.equal(telegrams.length, 0);
      assert.equal(problems[0].kind, 'decrypt');
      assert.match(problems[0].message, /decryption key must be 32 hexadecimal digits/);
    });

    it('decrypts frames and reads text telegrams from one stream (unauthenticated allowed)', () => {
      const { reader, telegrams, problems } = collect({ decryptionKey: real.key, allowUnauthenticated: true });
      reader.push(Buffer.concat([Buffer.from(GOOD), real.frame, Buffer.from(GOOD), real.frame]));
      assert.deepEqual(
        telegrams.map((t) => t.telegram.crc.valid),
        [true, true, true, true],
      );
      assert.equal(telegrams[1].raw, real.plaintext.toString('latin1'));
      assert.deepEqual(problems, []);
      assert.equal(reader.stats.emitted, 4);
    });

    describe('authenticated means authenticated', () => {
      /**
       * What an attacker on the line can do without the keys: strip the tag of a genuine frame
       * (security byte 0x30 → 0x20), flip ciphertext bits to change a reading (AES-CTR, so the
       * same bits flip in the plaintext) and fix up the CRC the same way.
       */
      function forgedFrame(): { frame: Buffer; reading: string } {
        const frame = real.frame;
        const axdr = 2 + 8; // tag, title length, system title
        const contentStart = axdr + 1 + (frame[axdr] & 0x7f); // 0x82 + two length bytes
        const ciphertext = frame.subarray(contentStart + 5, frame.length - 12);
        const plain = real.plaintext.toString('latin1');
        const changed = plain.replace(/1-0:1\.8\.0\((\d)/, (_m, digit: string) => `1-0:1.8.0(${(Number(digit) + 1) % 10}`);
        const body = changed.slice(0, changed.lastIndexOf('!') + 1);
        const forged = Buffer.from(`${body}${formatCrc(crc16String(body))}\r\n`, 'latin1');
        assert.equal(forged.length, ciphertext.length);
        const flipped = Buffer.from(ciphertext.map((byte, i) => byte ^ real.plaintext[i] ^ forged[i]));
        const length = 5 + flipped.length;
        const header = Buffer.concat([
          frame.subarray(0, axdr),
          Buffer.from([0x82, length >> 8, length & 0xff, 0x20]),
          frame.subarray(contentStart + 1, contentStart + 5),
        ]);
        return { frame: Buffer.concat([header, flipped]), reading: /1-0:1\.8\.0\(([^)]*)\)/.exec(changed)![1] };
      }

      it('the forged frame decrypts to a changed reading with a good CRC when unauthenticated frames are allowed', () => {
        const { frame, reading } = forgedFrame();
        const { reader, telegrams } = collect({ decryptionKey: real.key, allowUnauthenticated: true });
        reader.push(frame);
        assert.equal(telegrams.length, 1);
        assert.equal(telegrams[0].telegram.crc.valid, true);
        assert.ok(telegrams[0].raw.includes(`1-0:1.8.0(${reading})`));
        assert.ok(!real.plaintext.toString('latin1').includes(`1-0:1.8.0(${reading})`));
      });

      it('with a key set, a genuine frame stripped of its tag, bit-flipped and with a fixed-up CRC is rejected and counted', () => {
        const { reader, telegrams, problems } = collect({ decryptionKey: real.key });
        reader.push(forgedFrame().frame);
        assert.equal(telegrams.length, 0);
        assert.deepEqual(
          problems.map((p) => p.kind),
          ['unauthenticated'],
        );
        assert.match(problems[0].message, /0x20/);
        assert.equal(reader.stats.unauthenticated, 1);
      });

      it('with a key set, plaintext telegrams are rejected and counted; the genuine frame still comes through', () => {
        const { reader, telegrams, problems } = collect({ decryptionKey: real.key });
        reader.push(Buffer.concat([Buffer.from(GOOD), real.frame, Buffer.from(GOOD)]));
        assert.deepEqual(
          telegrams.map((t) => t.raw),
          [real.plaintext.toString('latin1')],
        );
        assert.deepEqual(
          problems.map((p) => p.kind),
          ['unauthenticated', 'unauthenticated'],
        );
        assert.match(problems[0].message, /plaintext telegram rejected/);
        assert.equal(reader.stats.unauthenticated, 2);
      });

      it('without a key, plaintext telegrams are read as always', () => {
        const { reader, telegrams } = collect({});
        reader.push(GOOD);
        assert.equal(telegrams.length, 1);
      });
    });
  });

  describe('cut-off telegrams', () => {
    it('a telegram cut off mid-line and a good one glued to it: the good one is emitted, the cut-off part reported as partial, no CRC error', () => {
      const { reader, telegrams, problems } = collect();
      reader.push(GOOD.slice(0, 70) + GOOD);
      assert.deepEqual(
        telegrams.map((t) => t.raw),
        [GOOD],
      );
      assert.deepEqual(
        problems.map((p) => p.kind),
        ['partial'],
      );
      assert.equal(reader.stats.crcFailures, 0);
    });

    it('takes the maximum telegram size up to 64 KiB only', () => {
      const { reader } = collect({ maxTelegramSize: 1 << 30 });
      reader.push(`/ISK5\r\n${'x'.repeat(100_000)}`);
      assert.ok(reader.buffered <= 65536, `buffered ${reader.buffered}`);
    });
  });
});
