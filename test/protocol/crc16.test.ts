import { strict as assert } from 'node:assert';
import { crc16, crc16String, formatCrc, checkTelegramCrc } from '../../src/protocol/crc16';

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
});
