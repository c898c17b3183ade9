/**
 * The S/W flag of a DSMR time stamp decides its UTC offset, not the calendar: the meter knows
 * which of the two 02:30s of the October change it means. Stamps chosen where flag and
 * calendar disagree or where the calendar alone cannot tell (2026, Europe/Amsterdam: summer
 * time from 29 March 02:00, back to winter time on 25 October 03:00 → 02:00).
 * Through the public parser and reader only, so the tests hold whatever the parser looks like inside.
 */
import assert from 'node:assert/strict';
import { crc16String, formatCrc, P1Reader, parseTelegram, type P1Telegram } from '../../src';

function telegram(stamp: string, gasStamp = stamp): string {
  const body = `/TST5\\DST-TEST\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(${stamp})\r\n1-0:1.7.0(00.100*kW)\r\n0-1:24.1.0(003)\r\n0-1:24.2.1(${gasStamp})(00012.345*m3)\r\n!`;
  return body + formatCrc(crc16String(body)) + '\r\n';
}

const timeOf = (stamp: string, timezone = 'Europe/Amsterdam') => parseTelegram(telegram(stamp), { timezone }).timestamp;
const instant = (iso: string | null) => {
  assert.ok(iso, 'a time');
  return Date.parse(iso);
};

describe('time stamps around daylight saving (2026, Europe/Amsterdam)', () => {
  it('autumn: the repeated hour, 02:30 S then 02:30 W, are two instants one hour apart', () => {
    const summer = timeOf('261025023000S');
    const winter = timeOf('261025023000W');
    assert.equal(summer, '2026-10-25T02:30:00+02:00');
    assert.equal(winter, '2026-10-25T02:30:00+01:00');
    assert.equal(instant(winter) - instant(summer), 3_600_000);
  });

  it('autumn: a meter sending every 10 minutes through the change gives steadily rising instants', () => {
    const stamps = [
      '261025014000S',
      '261025015000S',
      '261025020000S',
      '261025021000S',
      '261025022000S',
      '261025023000S',
      '261025024000S',
      '261025025000S',
      '261025020000W',
      '261025021000W',
      '261025022000W',
      '261025023000W',
      '261025024000W',
      '261025025000W',
      '261025030000W',
    ];
    const received: P1Telegram[] = [];
    const reader = new P1Reader({ timezone: 'Europe/Amsterdam' }, { onTelegram: (t) => received.push(t) });
    for (const stamp of stamps) reader.push(telegram(stamp));
    assert.equal(received.length, stamps.length);
    const steps = received.slice(1).map((t, i) => instant(t.timestamp) - instant(received[i].timestamp));
    assert.deepEqual(
      steps,
      stamps.slice(1).map(() => 600_000),
    );
    // The M-Bus reading time is decoded the same way.
    assert.deepEqual(
      received.map((t) => t.mbus['1'].readingTime),
      received.map((t) => t.timestamp),
    );
  });

  it('spring: 01:59:59 W and 03:00:00 S are one second apart', () => {
    const before = timeOf('260329015959W');
    const after = timeOf('260329030000S');
    assert.equal(before, '2026-03-29T01:59:59+01:00');
    assert.equal(after, '2026-03-29T03:00:00+02:00');
    assert.equal(instant(after) - instant(before), 1000);
  });

  it('a flag that disagrees with the calendar wins (a meter whose clock switched early or late)', () => {
    // W on a summer date, S on a winter date, and both flags on the days of the change.
    assert.equal(timeOf('260715120000W'), '2026-07-15T12:00:00+01:00');
    assert.equal(timeOf('260115120000S'), '2026-01-15T12:00:00+02:00');
    assert.equal(timeOf('260329040000W'), '2026-03-29T04:00:00+01:00');
    assert.equal(timeOf('261025040000S'), '2026-10-25T04:00:00+02:00');
    assert.equal(timeOf('261024230000W'), '2026-10-24T23:00:00+01:00');
  });

  it('the flag wins in other zones too (Europe/Helsinki: W = +02:00, S = +03:00)', () => {
    assert.equal(timeOf('260715120000W', 'Europe/Helsinki'), '2026-07-15T12:00:00+02:00');
    assert.equal(timeOf('260115120000S', 'Europe/Helsinki'), '2026-01-15T12:00:00+03:00');
  });

  it('the M-Bus reading time follows its own flag, not the telegram time', () => {
    const t = parseTelegram(telegram('261025023000W', '261025023000S'), { timezone: 'Europe/Amsterdam' });
    assert.equal(t.timestamp, '2026-10-25T02:30:00+01:00');
    assert.equal(t.mbus['1'].readingTime, '2026-10-25T02:30:00+02:00');
  });
});
