import * as assert from 'node:assert/strict';
import { checkTelegramCrc } from '../../src/protocol/crc16';
import { createTransport } from '../../src/transport';
import { formatDsmrTimestamp, fromCentralEuropeanTime } from '../../src/transport/eu-time';
import { solarKw } from '../../src/transport/simulated-household';
import { SimulatedMeter, type SimulatedProfile } from '../../src/transport/simulated-meter';
import { waitFor } from '../support/pty-pair';
import { TransportRecorder } from '../support/transport-recorder';

const MINUTE = 60_000;
const PROFILES: SimulatedProfile[] = ['nl-dsmr5', 'be-fluvius'];

/** The first value of an OBIS line as a number: "1-0:1.8.1(002130.115*kWh)" → 2130.115. */
function value(telegram: string, obis: string, group = 0): number {
  const line = telegram.split('\r\n').find((l) => l.startsWith(`${obis}(`));
  assert.ok(line, `${obis} is in the telegram`);
  const groups = [...line.matchAll(/\(([^)]*)\)/g)].map((m) => m[1]);
  return Number(groups[group].split('*')[0]);
}

function text(telegram: string, obis: string): string {
  const line = telegram.split('\r\n').find((l) => l.startsWith(`${obis}(`));
  assert.ok(line, `${obis} is in the telegram`);
  return line.slice(obis.length);
}

const REGISTERS = ['1-0:1.8.1', '1-0:1.8.2', '1-0:2.8.1', '1-0:2.8.2'];

describe('transport/simulated-meter', () => {
  for (const profile of PROFILES) {
    describe(profile, () => {
      const gas = profile === 'nl-dsmr5' ? '0-1:24.2.1' : '0-1:24.2.3';

      it('two days, one telegram a minute: every CRC valid, no register ever decreases, gas every 5 minutes', () => {
        const meter = new SimulatedMeter(profile, 3);
        const start = Date.UTC(2025, 5, 20, 0, 0, 30); // around midsummer: solar return too
        let previous: string | undefined;
        const begin = meter.telegramAt(start - MINUTE);
        const gasTimes = new Set<string>();
        for (let t = start; t < start + 2 * 24 * 60 * MINUTE; t += MINUTE) {
          const telegram = meter.telegramAt(t);
          assert.equal(checkTelegramCrc(telegram).valid, true, telegram);
          if (previous) {
            for (const obis of REGISTERS) assert.ok(value(telegram, obis) >= value(previous, obis), `${obis} at ${new Date(t).toISOString()}`);
            assert.ok(value(telegram, gas, 1) >= value(previous, gas, 1));
          }
          gasTimes.add(text(telegram, gas).slice(1, 14));
          previous = telegram;
        }
        const end = meter.telegramAt(start + 2 * 24 * 60 * MINUTE);
        const sum = (t: string, a: string, b: string) => value(t, a) + value(t, b);
        assert.ok(sum(end, '1-0:1.8.1', '1-0:1.8.2') - sum(begin, '1-0:1.8.1', '1-0:1.8.2') > 2, 'imported over two days');
        assert.ok(sum(end, '1-0:2.8.1', '1-0:2.8.2') - sum(begin, '1-0:2.8.1', '1-0:2.8.2') > 2, 'returned over two summer days');
        assert.equal(gasTimes.size, 2 * 24 * 12, 'a new gas reading every 5 minutes');
        for (const time of gasTimes) assert.match(time, /^\d{8}\d[05]00S$/);
      });

      it('nothing is returned to the grid at night; solar returns power around noon', () => {
        const meter = new SimulatedMeter(profile, 5);
        const night = fromCentralEuropeanTime(2025, 6, 21, 1, 0);
        const atNight = meter.telegramAt(night);
        const later = meter.telegramAt(night + 60 * MINUTE);
        assert.equal(value(later, '1-0:2.7.0'), 0);
        assert.equal(value(later, '1-0:2.8.1') + value(later, '1-0:2.8.2'), value(atNight, '1-0:2.8.1') + value(atNight, '1-0:2.8.2'));
        const noon = fromCentralEuropeanTime(2025, 6, 21, 13, 30);
        const returned: number[] = [];
        for (let t = noon; t < noon + 60 * MINUTE; t += MINUTE) returned.push(value(meter.telegramAt(t), '1-0:2.7.0'));
        assert.ok(Math.max(...returned) > 0.5, `returned at noon: ${returned.join(' ')}`);
      });

      it('the same seed and times give the same telegrams; another seed another meter', () => {
        const times = [0, 1000, 2000, 63_000].map((d) => Date.UTC(2025, 1, 3, 9, 0) + d);
        const run = (seed: number) => {
          const meter = new SimulatedMeter(profile, seed);
          return times.map((t) => meter.telegramAt(t));
        };
        assert.deepEqual(run(11), run(11));
        assert.notDeepEqual(run(11), run(12));
      });
    });
  }

  it('solar: zero at night and positive at noon on every day of the year', () => {
    for (let day = 1; day <= 365; day++) {
      const date = new Date(Date.UTC(2025, 0, day));
      const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      for (const seed of [1, 2, 3]) {
        assert.equal(solarKw(seed, fromCentralEuropeanTime(y, m, d, 2, 0)), 0);
        assert.equal(solarKw(seed, fromCentralEuropeanTime(y, m, d, 23, 30)), 0);
        assert.ok(solarKw(seed, fromCentralEuropeanTime(y, m, d, 13, 0)) > 0, `${y}-${m}-${d}`);
        assert.ok(solarKw(seed, fromCentralEuropeanTime(y, m, d, 13, 0)) < 4, 'a ~3.8 kWp system');
      }
    }
  });

  it('timestamps carry the right DST flag around both switches (Europe/Amsterdam)', () => {
    assert.equal(formatDsmrTimestamp(Date.UTC(2025, 2, 30, 0, 59, 59)), '250330015959W');
    assert.equal(formatDsmrTimestamp(Date.UTC(2025, 2, 30, 1, 0, 0)), '250330030000S');
    assert.equal(formatDsmrTimestamp(Date.UTC(2025, 9, 26, 0, 59, 59)), '251026025959S');
    assert.equal(formatDsmrTimestamp(Date.UTC(2025, 9, 26, 1, 0, 0)), '251026020000W');
    const meter = new SimulatedMeter('nl-dsmr5');
    assert.equal(text(meter.telegramAt(Date.UTC(2025, 6, 1, 10, 0, 0)), '0-0:1.0.0'), '(250701120000S)');
    assert.equal(text(meter.telegramAt(Date.UTC(2025, 11, 1, 10, 0, 0)), '0-0:1.0.0'), '(251201110000W)');
  });

  it('tariffs: NL low tariff (1) at night and in weekends; BE night tariff (2) likewise', () => {
    const at = (profile: SimulatedProfile, day: number, hour: number) =>
      text(new SimulatedMeter(profile).telegramAt(fromCentralEuropeanTime(2025, 1, day, hour, 30)), '0-0:96.14.0');
    // 2025-01-06 is a Monday, 2025-01-11 a Saturday.
    assert.deepEqual([at('nl-dsmr5', 6, 12), at('nl-dsmr5', 6, 23), at('nl-dsmr5', 6, 3), at('nl-dsmr5', 11, 12)], ['(0002)', '(0001)', '(0001)', '(0001)']);
    assert.deepEqual(
      [at('be-fluvius', 6, 12), at('be-fluvius', 6, 22), at('be-fluvius', 6, 3), at('be-fluvius', 11, 12)],
      ['(0001)', '(0002)', '(0002)', '(0002)'],
    );
  });

  it('BE: the quarter-hour average demand (1.4.0) restarts every 15 minutes; the month peak (1.6.0) keeps the highest', () => {
    const meter = new SimulatedMeter('be-fluvius', 9);
    const quarterStart = fromCentralEuropeanTime(2025, 1, 15, 18, 0); // winter evening: import, no solar
    const imported = (t: string) => value(t, '1-0:1.8.1') + value(t, '1-0:1.8.2');
    const first = meter.telegramAt(quarterStart);
    let beforeEnd = first;
    for (let t = quarterStart + 1000; t < quarterStart + 15 * MINUTE; t += 1000) beforeEnd = meter.telegramAt(t);
    // 1.4.0 × elapsed time = the energy imported in this quarter so far.
    const elapsedHours = (15 * MINUTE - 1000) / 3_600_000;
    const quarterEnergy = value(beforeEnd, '1-0:1.4.0') * elapsedHours;
    assert.ok(Math.abs(quarterEnergy - (imported(beforeEnd) - imported(first))) < 0.003, 'average matches the register increase');
    assert.ok(quarterEnergy > 0.03);

    const afterStart = meter.telegramAt(quarterStart + 15 * MINUTE + 1000);
    const energyInNewQuarter = value(afterStart, '1-0:1.4.0') * (1000 / 3_600_000);
    assert.ok(energyInNewQuarter < 0.002, `restarted: ${value(afterStart, '1-0:1.4.0')} kW over 1 s`);
    assert.ok(value(afterStart, '1-0:1.6.0', 1) >= value(beforeEnd, '1-0:1.4.0') - 0.002, 'the month peak is at least the last quarter');
    const history = text(afterStart, '0-0:98.1.0');
    assert.match(history, /^\(13\)\(1-0:1\.6\.0\)\(1-0:1\.6\.0\)(\(\d{12}[SW]\)\(\d{12}[SW]\)\(\d\d\.\d{3}\*kW\)){13}$/);
  });

  it('telegramsBetween travels through a DST change at any pace; gas every hour like a DSMR 4 meter when asked', () => {
    const start = fromCentralEuropeanTime(2026, 10, 25, 0);
    const hourly = new SimulatedMeter('nl-dsmr5', 4, { gasReadingMinutes: 60 });
    const stamps = new Set<string>();
    let count = 0;
    for (const { at, telegram } of hourly.telegramsBetween(start, start + 6 * 60 * MINUTE, 10_000)) {
      assert.equal(checkTelegramCrc(telegram).valid, true);
      assert.ok(text(telegram, '0-0:1.0.0').includes(formatDsmrTimestamp(at)));
      stamps.add(text(telegram, '0-1:24.2.1').slice(1, 14));
      count++;
    }
    assert.equal(count, 6 * 360);
    // Six real hours from 00:00 summer time, with 02:00 twice: every capture on a full hour.
    assert.deepEqual(
      [...stamps].map((s) => s.slice(6, 10)),
      ['0000', '0100', '0200', '0200', '0300', '0400'],
    );
    assert.deepEqual(
      [...stamps].map((s) => s[12]),
      ['S', 'S', 'S', 'W', 'W', 'W'],
    );
  });
});

describe('transport/simulator', function () {
  this.timeout(10_000);

  it('sends telegrams with valid CRCs, each in 2–3 chunks, until closed', async () => {
    const transport = createTransport({ kind: 'simulator', profile: 'nl-dsmr5', intervalMs: 30 });
    const recorder = new TransportRecorder(transport);
    transport.open();
    try {
      await waitFor(() => (recorder.bytes.toString('latin1').match(/\r\n!/g) ?? []).length >= 5, 5000);
    } finally {
      await transport.close();
    }
    assert.deepEqual(recorder.states, [{ state: 'connected', detail: 'simulated Dutch DSMR 5 meter' }, { state: 'closed' }]);
    const telegrams = recorder.bytes
      .toString('latin1')
      .split(/(?<=!\w{4}\r\n)/)
      .filter((t) => t.endsWith('\r\n'));
    assert.ok(telegrams.length >= 5);
    for (const telegram of telegrams) assert.equal(checkTelegramCrc(telegram).valid, true);
    assert.ok(recorder.chunks.length >= 2 * telegrams.length, `${recorder.chunks.length} chunks for ${telegrams.length} telegrams`);
    const chunksAtClose = recorder.chunks.length;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(recorder.chunks.length, chunksAtClose, 'no chunk after close()');
  });
});
