/**
 * Local periods through Intl, checked against the EU summer-time rule the simulator uses
 * (src/transport/eu-time.ts, written from the rule, not from a time-zone database): every local
 * midnight of 2026, and the 23- and 25-hour days, in Amsterdam and Brussels.
 */
import { strict as assert } from 'node:assert';
import { ZoneCalendar } from '../../src/energy/calendar';
import { fromCentralEuropeanTime } from '../../src/transport/eu-time';
import { HOUR } from './simulation';

describe('energy/calendar', () => {
  for (const zone of ['Europe/Amsterdam', 'Europe/Brussels']) {
    describe(zone, () => {
      const calendar = new ZoneCalendar(zone);

      it('puts every day of 2026 between the local midnights the EU rule gives', () => {
        for (let day = 1; day <= 365; day++) {
          const start = fromCentralEuropeanTime(2026, 1, day);
          const end = fromCentralEuropeanTime(2026, 1, day + 1);
          for (const instant of [start, start + 1, end - 1]) {
            const period = calendar.period('day', instant);
            assert.equal(period.start, start, `start of the day holding ${new Date(instant).toISOString()}`);
            assert.equal(period.end, end);
          }
        }
      });

      it('has a 23-hour day on 29 March 2026 and a 25-hour day on 25 October 2026', () => {
        const spring = calendar.period('day', Date.UTC(2026, 2, 29, 12));
        assert.equal(spring.key, '2026-03-29');
        assert.equal((spring.end - spring.start) / HOUR, 23);
        const autumn = calendar.period('day', Date.UTC(2026, 9, 25, 12));
        assert.equal(autumn.key, '2026-10-25');
        assert.equal((autumn.end - autumn.start) / HOUR, 25);
      });

      it('gives the two 02:00 hours of 25 October 2026 different keys', () => {
        const first = calendar.period('hour', Date.UTC(2026, 9, 25, 0, 30)); // 02:30 CEST
        const second = calendar.period('hour', Date.UTC(2026, 9, 25, 1, 30)); // 02:30 CET
        assert.notEqual(first.key, second.key);
        assert.equal(calendar.localIso(first.start), '2026-10-25T02:00:00+02:00');
        assert.equal(calendar.localIso(second.start), '2026-10-25T02:00:00+01:00');
      });

      it('names weeks, months and years across the year end', () => {
        const newYearsEve = Date.UTC(2026, 11, 31, 22, 59, 59); // 23:59:59 local
        assert.equal(calendar.period('month', newYearsEve).key, '2026-12');
        assert.equal(calendar.period('year', newYearsEve).key, '2026');
        assert.equal(calendar.period('week', newYearsEve).key, '2026-W53');
        const newYear = Date.UTC(2026, 11, 31, 23, 0, 0); // 00:00 local
        assert.equal(calendar.period('year', newYear).key, '2027');
        assert.equal(calendar.period('month', newYear).start, newYear);
        assert.equal(calendar.period('week', newYear).key, '2026-W53', '1 January 2027 is a Friday of ISO week 2026-W53');
        assert.equal(calendar.period('week', Date.UTC(2027, 0, 4, 12)).key, '2027-W01');
      });

      it('starts quarter hours on the local clock', () => {
        const at = Date.UTC(2026, 2, 29, 1, 7); // 03:07 CEST, just after the change
        assert.equal(calendar.localIso(calendar.quarterStart(at)), '2026-03-29T03:00:00+02:00');
      });
    });
  }

  it('works for a zone far from Europe, with its own midnight', () => {
    const calendar = new ZoneCalendar('America/New_York');
    const day = calendar.period('day', Date.UTC(2026, 2, 8, 12)); // US spring change
    assert.equal(day.key, '2026-03-08');
    assert.equal((day.end - day.start) / HOUR, 23);
    assert.equal(calendar.localIso(day.start), '2026-03-08T00:00:00-05:00');
  });

  it('knows an unknown zone', () => {
    assert.equal(ZoneCalendar.isValidZone('Europe/Brussels'), true);
    assert.equal(ZoneCalendar.isValidZone('Mars/Olympus'), false);
  });
});
