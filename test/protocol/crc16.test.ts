import { strict as assert } from 'node:assert';
import { crc16, crc16String, crc16Update, findTerminator, formatCrc, checkTelegramCrc } from '../../src/protocol/crc16';
import { SeededRandom } from './seeded-random';

describe('crc16 (CRC-16/ARC)', () => {
  const vectors: Array<[string, string]> = [
    ['123456789', 'BB3D'],
    ['/TEST\r\n\r\n1-3:0.2.8(50)\r\n!', '2A99'],
    ['/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n!', '5106'],
    ['/TST512345\r\n\r\nHello, world!\r\n!', '25B5'],
    ['/empty\r\n\r\n!', '0039'],
  ];
  for (const [input, expected] of vectors) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(formatCrc(crc16String(input)), expected);
      assert.equal(formatCrc(crc16(Buffer.from(input, 'latin1'))), expected);
    });
  }

  it('checks a telegram, accepting lower-case and unpadded CRCs', () => {
    assert.deepEqual(checkTelegramCrc('/empty\r\n\r\n!0039\r\n'), { present: true, stated: '0039', computed: '0039', valid: true });
    assert.equal(checkTelegramCrc('/empty\r\n\r\n!39\r\n').valid, true);
    assert.equal(checkTelegramCrc('/TEST\r\n\r\n1-3:0.2.8(50)\r\n!2a99\r\n').valid, true);
    assert.equal(checkTelegramCrc('/empty\r\n\r\n!0038\r\n').valid, false);
  });

  it('reports no CRC for a DSMR 2.2 style "!" line', () => {
    assert.deepEqual(checkTelegramCrc('/empty\r\n\r\n!\r\n').valid, null);
  });

  it('validates LF-only text by restoring CR LF, and says so', () => {
    const check = checkTelegramCrc('/TEST\n\n1-3:0.2.8(50)\n!2A99\n');
    assert.equal(check.valid, true);
    assert.equal(check.restoredCrLf, true);
  });

  it('takes the "!" at the start of a line as the end, not one inside the header', () => {
    assert.equal(checkTelegramCrc('/AC!E\r\n\r\n!' + formatCrc(crc16String('/AC!E\r\n\r\n!')) + '\r\n').valid, true);
  });

  it('finds the terminator: the first "!" that starts a line', () => {
    assert.equal(findTerminator('/X!Y\r\n\r\n1-0:1.8.1(1!)\r\n!ABCD\r\n'), 23);
    assert.equal(findTerminator('!\n!'), 2);
    assert.equal(findTerminator('/X\r\n!'), 4);
    assert.equal(findTerminator('/X!\r\n'), -1);
    assert.equal(findTerminator(''), -1);
  });

  describe('agrees with a bit-by-bit CRC-16/ARC (the table-driven code reads 8 bytes per step)', () => {
    /** The definition, one bit at a time: nothing shared with the implementation under test. */
    function bitwise(bytes: Uint8Array, start: number, end: number, crc = 0): number {
      for (let i = start; i < end; i++) {
        crc ^= bytes[i];
        for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
      }
      return crc;
    }
    const random = new SeededRandom(1602);

    it('crc16Update over random ranges, also continued from a previous CRC', () => {
      for (let round = 0; round < 300; round++) {
        const bytes = random.bytes(random.int(0, 70));
        const start = random.int(0, bytes.length);
        const end = random.int(start, bytes.length);
        const seed = random.int(0, 0xffff);
        assert.equal(crc16Update(seed, bytes, start, end), bitwise(bytes, start, end, seed), `${bytes.toString('hex')} [${start}, ${end}) from ${seed}`);
      }
    });

    it('crc16String over random ranges, including texts longer than its copy buffer', () => {
      for (const length of [0, 1, 7, 8, 9, 100, 16383, 16384, 16385, 40000]) {
        const bytes = random.bytes(length);
        const text = bytes.toString('latin1');
        const start = random.int(0, length);
        const end = random.int(start, length);
        assert.equal(crc16String(text), bitwise(bytes, 0, length), `length ${length}`);
        assert.equal(crc16String(text, start, end), bitwise(bytes, start, end), `length ${length} [${start}, ${end})`);
      }
    });

    it('crc16String counts a char code above 0xFF as its low byte, as before', () => {
      const text = 'a\u0100b\u20ac\ud83d\ude00c';
      const lowBytes = Uint8Array.from({ length: text.length }, (_, i) => text.charCodeAt(i) & 0xff);
      assert.equal(crc16String(text), bitwise(lowBytes, 0, lowBytes.length));
    });
  });
});
