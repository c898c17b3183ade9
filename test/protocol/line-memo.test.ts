import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { parseTelegram } from '../../src/protocol/parser';
import { FIXTURES } from '../support/paths';

/**
 * The parser replays a line's decoded groups when the next telegram repeats the line's text
 * (line-memo.ts). A replay must be indistinguishable from decoding afresh.
 */

function telegram(lines: string[]): string {
  const body = `/TST5\\MEMO-METER\r\n\r\n${lines.map((line) => line + '\r\n').join('')}!`;
  return body + formatCrc(crc16String(body)) + '\r\n';
}

describe('parseTelegram: lines repeated from the previous telegram', () => {
  const lines = [
    '1-3:0.2.8(50)',
    '0-0:1.0.0(240330120000S)',
    '1-0:1.8.1(001581.123*kWh)',
    '0-0:96.1.1(4530303334303037343337383430323139)',
    '1-0:99.97.0(1)(0-0:96.7.19)(230101120000W)(0000000240*s)',
    '0-1:24.2.1(240330115500S)(01234.567*m3)',
  ];

  it('gives equal results that share no objects, so changing one result leaves the next alone', () => {
    const first = parseTelegram(telegram(lines));
    const expected = JSON.stringify(first);
    const second = parseTelegram(telegram(lines));
    assert.equal(JSON.stringify(second), expected);
    for (const key of Object.keys(first.obis)) {
      assert.notEqual(second.obis[key], first.obis[key], key);
      assert.notEqual(second.obis[key].groups, first.obis[key].groups, key);
      second.obis[key].groups.forEach((group, g) => assert.notEqual(group, first.obis[key].groups[g], `${key} group ${g}`));
    }
    first.obis['1-0:1.8.1'].value = 0;
    first.obis['1-0:1.8.1'].groups[0].raw = 'changed';
    first.obis['0-1:24.2.1'].groups.pop();
    assert.equal(JSON.stringify(parseTelegram(telegram(lines))), expected);
  });

  it('decodes a changed line afresh', () => {
    parseTelegram(telegram(lines));
    const changed = parseTelegram(telegram(lines.map((line) => line.replace('001581.123', '001581.124'))));
    assert.equal(changed.energyDeliveredTariff1, 1581.124);
    assert.equal(changed.obis['1-0:1.8.1'].groups[0].raw, '001581.124*kWh');
  });

  it('reads a line right through runs of changes and repeats (a memo that keeps missing rests, then tries again)', () => {
    // Values that change for a while, then repeat, then change and repeat again, in every order.
    const values = [...Array.from({ length: 60 }, (_, i) => i), 7, 7, 7, 7, 8, 8, 7, ...Array.from({ length: 50 }, (_, i) => i % 3), 9, 9, 9];
    for (const [i, value] of values.entries()) {
      const power = `00.${String(value).padStart(3, '0')}`;
      const result = parseTelegram(telegram([...lines, `1-0:1.7.0(${power}*kW)`]));
      assert.equal(result.powerDelivered, value / 1000, `telegram ${i}`);
      assert.equal(result.obis['1-0:1.7.0'].groups[0].raw, `${power}*kW`, `telegram ${i}`);
    }
  });

  it('decodes time stamps again for another time zone', () => {
    const amsterdam = parseTelegram(telegram(lines));
    const newYork = parseTelegram(telegram(lines), { timezone: 'America/New_York' });
    assert.equal(amsterdam.timestamp, '2024-03-30T12:00:00+02:00');
    assert.equal(newYork.timestamp, '2024-03-30T12:00:00-04:00');
    assert.equal(parseTelegram(telegram(lines)).timestamp, amsterdam.timestamp);
  });

  it('warns again for a repeated line that drew a warning', () => {
    const bad = [...lines, '1-0:2.8.1(12x4.5*kWh)', '0-0:96.14.0(0002)trailing'];
    const first = parseTelegram(telegram(bad)).warnings;
    assert.equal(first.length, 2);
    assert.deepEqual(parseTelegram(telegram(bad)).warnings, first);
  });

  it('reads a group left open on its line afresh: the lines after it decide where it ends', () => {
    const open = '0-0:96.13.0(414243';
    const cut = parseTelegram(telegram([open, ...lines]));
    assert.equal(cut.obis['0-0:96.13.0'].value, '414243');
    assert.equal(cut.warnings.length, 1);
    const wrapped = parseTelegram(telegram([open, '444546)', ...lines]));
    assert.equal(wrapped.obis['0-0:96.13.0'].value, '414243444546');
    assert.deepEqual(wrapped.warnings, []);
  });

  it('still sees the IEC value group F (`*255`) in a repeated line', () => {
    const iec = ['1-0:1.8.0*255(001581.123*kWh)', '1-0:1.7.0*255(00.193*kW)'];
    assert.equal(parseTelegram(telegram(iec)).profile, 'iec62056');
    assert.equal(parseTelegram(telegram(iec)).profile, 'iec62056');
  });

  it('tells a character above 0xFF from its low byte (JavaScript callers may pass any string)', () => {
    const ascii = parseTelegram(telegram(['0-0:96.13.0(A)', ...lines]));
    const wide = parseTelegram(telegram(['0-0:96.13.0(\u0141)', ...lines]));
    assert.equal(ascii.obis['0-0:96.13.0'].value, 'A');
    assert.equal(wide.obis['0-0:96.13.0'].value, '\u0141');
    assert.equal(wide.obis['1-0:1.8.1'].value, 1581.123);
  });

  it('parses every corpus telegram the same the second time as the first', () => {
    const files = fs.readdirSync(path.join(FIXTURES, 'ndokter__dsmr_parser')).filter((name) => name.endsWith('.txt'));
    assert.ok(files.length > 5);
    for (const name of files) {
      const text = fs.readFileSync(path.join(FIXTURES, 'ndokter__dsmr_parser', name), 'latin1');
      const first = JSON.stringify(parseTelegram(text));
      assert.equal(JSON.stringify(parseTelegram(text)), first, name);
      assert.equal(JSON.stringify(parseTelegram(text.replace(/\r\n/g, '\n'))), JSON.stringify(parseTelegram(text.replace(/\r\n/g, '\n'))), `${name} LF only`);
    }
  });
});
