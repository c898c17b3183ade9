/**
 * Edges of the small pure modules that the corpus does not reach, each pinned to what a user
 * would see: numbers with too many digits, octet strings at the edges of printable, CRC
 * lines that are odd, broken encrypted frames and their exact reasons, M-Bus channel codes,
 * and UTC offsets that are negative or not whole hours. Found by the mutation run
 * (npm run mutate): every test here kills mutants that the other tests let live.
 */
import assert from 'node:assert/strict';
import { checkTelegramCrc, crc16, crc16String, formatCrc } from '../../src/protocol/crc16';
import { DecryptError, decryptFrame, readKey } from '../../src/protocol/decrypt';
import { isAxdrLengthStart, readAxdrLength } from '../../src/protocol/dlms';
import { lookupObis, meaningsOf } from '../../src/protocol/obis-registry';
import { parseTelegram } from '../../src/protocol/parser';
import { canonicalUnit, decodeHexText, parseDecimal } from '../../src/protocol/values';

const decimal = (text: string) => parseDecimal(`(${text}*kWh)`, 1, text.length + 1);
const hexText = (hex: string) => decodeHexText(`x(${hex})`, 2, hex.length + 2);

describe('parseDecimal: digits beyond double precision', () => {
  it('more than 15 significant digits: the value JavaScript itself reads', () => {
    assert.equal(decimal('12345.6789012345678'), Number('12345.6789012345678'));
    assert.equal(decimal('-12345.6789012345678'), -Number('12345.6789012345678'));
  });

  it('more than 15 decimals: the value JavaScript itself reads, not NaN', () => {
    assert.equal(decimal('0.00000000000000012345'), 1.2345e-16);
  });

  it('15 significant digits and 15 decimals are still exact', () => {
    assert.equal(decimal('123456789012345'), 123456789012345);
    assert.equal(decimal('0.123456789012345'), 0.123456789012345);
  });

  it('no digit at all is not a number', () => {
    assert.ok(Number.isNaN(decimal('.')));
    assert.ok(Number.isNaN(decimal('-')));
  });
});

describe('decodeHexText: what counts as text', () => {
  it('upper- and lower-case hex digits, tab, line ends, space and Latin-1 letters are text', () => {
    assert.equal(hexText('4a6A'), 'Jj');
    assert.equal(hexText('090A0D20'), '\t\n\r ');
    assert.equal(hexText('A0E9'), '\u00a0é');
    assert.equal(hexText('7E'), '~');
  });

  it('control bytes, DEL and C1 codes are not text; a non-hex digit is not an octet string', () => {
    for (const hex of ['1F', '7F', '9F', '00', '0B', '4G', '4g', '4`', '4z', '4/', '4:']) assert.equal(hexText(hex), undefined, hex);
  });

  it('long octet strings (over 1 KB) decode whole', () => {
    assert.equal(hexText('41'.repeat(1500)), 'A'.repeat(1500));
  });

  it('an unknown unit is returned as sent, from where it starts', () => {
    assert.equal(canonicalUnit('1-0:1.8.1(1*furlong)', 12, 19), 'furlong');
  });
});

describe('CRC edges', () => {
  const body = '/TST5\\CRC\r\n\r\n0-0:96.13.0(Hi!)\r\n1-0:1.7.0(00.100*kW)\r\n!';

  it('crc16String clamps an end past the text, also for texts longer than its copy buffer', () => {
    assert.equal(crc16String('abc', 0, 10), crc16String('abc'));
    for (const length of [16383, 16384, 16385, 40000]) {
      const text = 'x1!'.repeat(Math.ceil(length / 3)).slice(0, length);
      assert.equal(crc16String(text), crc16(Buffer.from(text, 'latin1')), `length ${length}`);
      assert.equal(crc16String(text, 5, length - 3), crc16(Buffer.from(text.slice(5, length - 3), 'latin1')), `length ${length}, a slice`);
    }
  });

  it('a "!" inside a line is not the end of the telegram', () => {
    assert.deepEqual(checkTelegramCrc(body + formatCrc(crc16String(body)) + '\r\n'), {
      present: true,
      stated: formatCrc(crc16String(body)),
      computed: formatCrc(crc16String(body)),
      valid: true,
    });
  });

  it('no "!" line: no CRC, computed over all', () => {
    const text = '/TST5\\CRC\r\n\r\n1-0:1.7.0(00.100*kW)\r\n';
    assert.deepEqual(checkTelegramCrc(text), { present: false, stated: null, computed: formatCrc(crc16String(text)), valid: null });
  });

  it('the stated CRC is at most four hex digits, any case, padded', () => {
    const stated = formatCrc(crc16String(body));
    assert.equal(checkTelegramCrc(body + stated + 'F\r\n').stated, stated);
    assert.equal(checkTelegramCrc(body + stated.toLowerCase() + '\r\n').valid, true);
    assert.equal(checkTelegramCrc(body + '1f\r\n').stated, '001F');
    assert.equal(checkTelegramCrc(body + '12G4\r\n').stated, '0012');
    assert.equal(checkTelegramCrc(body + '@\r\n').stated, null);
  });

  it('bytes before the "/" are not part of the telegram', () => {
    const stated = formatCrc(crc16String(body));
    assert.equal(checkTelegramCrc('\r\nxx' + body + stated + '\r\n').valid, true);
    const lfOnly = body.replace(/\r\n/g, '\n');
    assert.deepEqual(checkTelegramCrc('\nxx' + lfOnly + stated + '\n'), { present: true, stated, computed: stated, valid: true, restoredCrLf: true });
  });

  it('LF-only text whose CRC was made over CR LF: valid, marked as restored; its own line end may be CR LF', () => {
    const crlf = '/TST5\\CRC\r\n\r\n1-0:1.7.0(00.100*kW)\r\n!';
    const lfOnly = crlf.replace(/\r\n/g, '\n');
    const stated = formatCrc(crc16String(crlf));
    for (const ending of ['\n', '\r\n']) {
      assert.deepEqual(checkTelegramCrc(lfOnly + stated + ending), { present: true, stated, computed: stated, valid: true, restoredCrLf: true });
    }
  });
});

describe('decryptFrame: broken frames get their exact reason', () => {
  const KEY = '000102030405060708090A0B0C0D0E0F';
  const title = [0xdb, 0x08, 1, 2, 3, 4, 5, 6, 7, 8];
  const frame = (...rest: number[]) => Uint8Array.from([...title, ...rest]);
  const failure = (bytes: Uint8Array, options: { key: string; authenticationKey?: string } = { key: KEY }) => {
    try {
      decryptFrame(bytes, options);
    } catch (error) {
      assert.ok(error instanceof DecryptError);
      assert.equal(error.name, 'DecryptError');
      return `${error.reason}: ${error.message}`;
    }
    return 'decrypted';
  };

  it('keys: 32 hex digits exactly, with separators allowed; the message names which key', () => {
    assert.equal(readKey('00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f').toString('hex'), '000102030405060708090a0b0c0d0e0f');
    for (const bad of [KEY + '0', 'x' + KEY, KEY.slice(1)]) assert.throws(() => readKey(bad), DecryptError, bad);
    assert.throws(() => readKey('zz'), /^DecryptError: key must be 32 hexadecimal digits \(16 bytes\), got 2 characters$/);
    assert.match(failure(frame(0x05, 0x30, 0, 0, 0, 1), { key: 'zz' }), /^bad-key: decryption key must be/);
    assert.match(failure(frame(0x11, 0x30, ...new Array(16).fill(0)), { key: KEY, authenticationKey: 'zz' }), /^bad-key: authentication key must be/);
  });

  it('too short to be a frame, or cut inside the title or the length', () => {
    assert.match(failure(Uint8Array.of(0xdb)), /^not-a-frame: /);
    assert.match(failure(Uint8Array.of(0xdc, 0x00, 0x05)), /^not-a-frame: /);
    // A title length other than 8 is no frame we can open, whatever follows (issue 10: never a TypeError).
    assert.equal(failure(Uint8Array.of(0xdb, 0x00)), 'not-a-frame: system title length 0, expected 8');
    assert.equal(failure(Uint8Array.of(0xdb, 0x08)), 'truncated: encrypted frame ends inside its system title');
    assert.equal(failure(frame()), 'truncated: encrypted frame ends inside its system title');
    assert.equal(failure(frame(0x82, 0x01)), 'truncated: encrypted frame ends inside its length field');
  });

  it('an A-XDR length form it does not read is named in hex', () => {
    assert.equal(failure(frame(0x83, 0, 0, 0x10)), 'not-a-frame: unsupported A-XDR length form 0x83');
    assert.equal(failure(frame(0xa5)), 'not-a-frame: unsupported A-XDR length form 0xA5');
  });

  it('announced length against what follows, and the minimum sizes', () => {
    assert.equal(failure(frame(0x08, 0x30, 0, 0)), 'truncated: encrypted frame announces 8 bytes but only 3 follow');
    assert.equal(failure(frame(0x04, 0x30, 0, 0, 0)), 'truncated: encrypted frame too short for a security header');
    assert.equal(failure(frame(0x05, 0x30, 0, 0, 0, 1)), 'truncated: encrypted frame too short for its authentication tag');
    assert.equal(failure(frame(0x10, 0x30, 0, 0, 0, 1, ...new Array(11).fill(0))), 'truncated: encrypted frame too short for its authentication tag');
    assert.match(failure(frame(0x11, 0x30, 0, 0, 0, 1, ...new Array(12).fill(0))), /^auth-failed: /);
    assert.equal(failure(frame(0x05, 0x10, 0, 0, 0, 1)), 'unsupported: security control byte 0x10 is not supported (expected 0x30 or 0x20)');
    assert.equal(failure(frame(0x05, 0x05, 0, 0, 0, 1)), 'unsupported: security control byte 0x05 is not supported (expected 0x30 or 0x20)');
  });
});

describe('A-XDR lengths (dlms)', () => {
  it('short form below 0x80, then 0x81 and 0x82 only', () => {
    assert.deepEqual([0x00, 0x7f, 0x80, 0x81, 0x82, 0x83].map(isAxdrLengthStart), [true, true, false, true, true, false]);
    assert.deepEqual(readAxdrLength(Uint8Array.of(0x7f), 0, 1), { length: 0x7f, contentStart: 1 });
    assert.deepEqual(readAxdrLength(Uint8Array.of(0x81, 0x80), 0, 2), { length: 0x80, contentStart: 2 });
    assert.deepEqual(readAxdrLength(Uint8Array.of(0x82, 0x01, 0x02), 0, 3), { length: 0x102, contentStart: 3 });
  });
});

describe('OBIS registry: channels and profile variants', () => {
  it('M-Bus channels 1–9 share the 0-n definition; channel 0, letters and malformed codes do not', () => {
    const gas = lookupObis('0-n:24.2.1');
    assert.ok(gas);
    for (const channel of ['1', '4', '9']) assert.equal(lookupObis(`0-${channel}:24.2.1`), gas, channel);
    for (const code of ['0-0:24.2.1', '0-a:24.2.1', '0-::24.2.1', '1-1:24.2.1', '0-1', '0+1:24.2.1', '0-1;24.2.1', '0-1:24.2.1x']) {
      assert.equal(lookupObis(code), undefined, code);
    }
  });

  it('meaningsOf: per-profile meanings by exact code, with or without *255; channel codes and unknown codes have none', () => {
    const hasProfileVariants = (code: string) => meaningsOf(code)?.byProfile !== undefined;
    for (const code of ['0-0:98.1.0', '1-0:31.4.0', '0-0:98.1.0*255', '1-0:31.4.0*255']) assert.equal(hasProfileVariants(code), true, code);
    for (const code of ['0-1:24.2.1', '1-0:32.7.0', '9-9:9.9.9', '0-0:98.1.1*255']) assert.equal(hasProfileVariants(code), false, code);
  });
});

describe('parser: ids the registry does not hold stay unknown, under their own spelling', () => {
  const telegramWith = (line: string) => {
    const body = `/TST5\\IDS\r\n\r\n${line}\r\n!`;
    return parseTelegram(body + formatCrc(crc16String(body)) + '\r\n');
  };

  // Numbers beyond a field's range would otherwise land on a registry code: 95.257.1 on 96.1.1
  // (the equipment id), channel 10 on the M-Bus pattern, A = 2 next to the telegram time.
  for (const [line, lookalike] of [
    ['0-0:95.257.1(4530303334)', 'equipmentId'],
    ['0-10:24.2.1(240101120000W)(00012.345*m3)', 'mbusReading'],
    ['2-0:1.0.1(240101120000W)', 'timestamp'],
    ['1-0:01.8.1(000123.456*kWh)', 'energyDeliveredTariff1'],
    ['1-0:1.8.01(000123.456*kWh)', 'energyDeliveredTariff1'],
  ] as const) {
    it(`${line.slice(0, line.indexOf('('))} is no ${lookalike}`, () => {
      const telegram = telegramWith(line);
      const id = line.slice(0, line.indexOf('('));
      assert.deepEqual(Object.keys(telegram.obis), [id]);
      assert.equal(telegram.obis[id].name, undefined);
      assert.equal(telegram[lookalike], lookalike === 'timestamp' || lookalike === 'equipmentId' ? null : undefined); // those two are always there
      assert.deepEqual(telegram.mbus, {});
      assert.equal(telegram.equipmentId, null);
    });
  }

  it('a Buffer (from JavaScript callers) reads as its latin1 text', () => {
    const body = '/TST5\\IDS\r\n\r\n1-0:1.7.0(00.123*kW)\r\n!';
    const text = body + formatCrc(crc16String(body)) + '\r\n';
    const fromBuffer = parseTelegram(Buffer.from(text, 'latin1') as unknown as string);
    assert.deepEqual(fromBuffer, parseTelegram(text));
    assert.equal(fromBuffer.powerDelivered, 0.123);
  });
});

describe('UTC offsets of other zones (through the parser)', () => {
  const timeOf = (stamp: string, timezone: string) => {
    const body = `/TST5\\ZONE\r\n\r\n0-0:1.0.0(${stamp})\r\n!`;
    return parseTelegram(body + formatCrc(crc16String(body)) + '\r\n', { timezone }).timestamp;
  };

  it('a placeholder time is reported as "no value", an impossible one as invalid', () => {
    const warningsOf = (stamp: string) => {
      const body = `/TST5\\ZONE\r\n\r\n0-0:1.0.0(${stamp})\r\n!`;
      return parseTelegram(body + formatCrc(crc16String(body)) + '\r\n').warnings.join('\n');
    };
    for (const stamp of ['632525252525W', '000101000001W', '700101010000W'])
      assert.match(warningsOf(stamp), new RegExp(`placeholder time ${stamp} \\(no value\\)`), stamp);
    for (const stamp of ['250000000000W', '250301240000S', '991301000000W']) {
      assert.match(warningsOf(stamp), new RegExp(`invalid time ${stamp}`), stamp);
      assert.doesNotMatch(warningsOf(stamp), /placeholder/, stamp);
    }
  });

  it('negative and half-hour offsets are written in full', () => {
    assert.equal(timeOf('260115120000W', 'America/New_York'), '2026-01-15T12:00:00-05:00');
    assert.equal(timeOf('260715120000S', 'America/New_York'), '2026-07-15T12:00:00-04:00');
    assert.equal(timeOf('260115120000W', 'America/St_Johns'), '2026-01-15T12:00:00-03:30');
    assert.equal(timeOf('260715120000S', 'America/St_Johns'), '2026-07-15T12:00:00-02:30');
    assert.equal(timeOf('260115120000W', 'Australia/Adelaide'), '2026-01-15T12:00:00+09:30');
    assert.equal(timeOf('260115120000S', 'Australia/Adelaide'), '2026-01-15T12:00:00+10:30');
    assert.equal(timeOf('260115120000W', 'UTC'), '2026-01-15T12:00:00+00:00');
  });
});
