/**
 * p1-energy's bookkeeping without Node-RED: simulated meters travel through midnights, a month
 * end, a year end and both DST changes of 2026; every total is checked against the registers the
 * meter itself printed at the boundaries (not against our own arithmetic).
 */
import { strict as assert } from 'node:assert';
import { emptyBook, restoreBook, takePrices, takeTelegram, type BookSettings, type EnergyBook, type TelegramOutcome } from '../../src/energy/energy-book';
import type { Flat } from '../../src/energy/energy-output';
import { fromCentralEuropeanTime } from '../../src/transport/eu-time';
import { close, deliveredKwh, HOUR, lastAtOrBefore, MINUTE, register, returnedKwh, samples, settingsFor, simulatedMeter, type Sample } from './simulation';

const KWH = 0.0006; // printed registers have 3 decimals; a difference of two rounds to within this

function run(list: Sample[], settings: BookSettings, book: EnergyBook = emptyBook(), meter = 'meter'): { book: EnergyBook; outcomes: TelegramOutcome[] } {
  const outcomes = list.map((s) => {
    const outcome = takeTelegram(book, s.telegram, meter, 0, settings);
    if (typeof outcome === 'string') throw new Error(outcome);
    return outcome;
  });
  return { book, outcomes };
}

function closedOf(outcomes: TelegramOutcome[], medium: string, period: string): Flat[] {
  return outcomes.flatMap((o) => o.closed).filter((c) => c.medium === medium && c.period === period);
}

/** Checks a closed electricity day against the printed registers at its two midnights. */
function assertDayMatchesRegisters(day: Flat, list: Sample[], start: number, end: number): void {
  const first = lastAtOrBefore(list, start).telegram;
  const last = lastAtOrBefore(list, end).telegram;
  assert.ok(
    close(day.energyDelivered, deliveredKwh(last) - deliveredKwh(first), KWH),
    `${day.key} delivered ${day.energyDelivered} vs ${deliveredKwh(last) - deliveredKwh(first)}`,
  );
  assert.ok(close(day.energyReturned, returnedKwh(last) - returnedKwh(first), KWH), `${day.key} returned`);
  for (const [code, field] of [
    ['1-0:1.8.1', 'energyDeliveredTariff1'],
    ['1-0:1.8.2', 'energyDeliveredTariff2'],
    ['1-0:2.8.2', 'energyReturnedTariff2'],
  ]) {
    assert.ok(close(day[field], register(last, code) - register(first, code), KWH), `${day.key} ${field}`);
  }
  assert.ok(close(day.energyNet, (day.energyDelivered as number) - (day.energyReturned as number), 0.0011));
}

describe('energy/energy-book', () => {
  for (const zone of ['Europe/Amsterdam', 'Europe/Brussels']) {
    describe(`${zone}: period ends`, () => {
      const settings = settingsFor(zone);

      for (const [label, year, month, day, hours] of [
        ['the spring DST change (23 hours)', 2026, 3, 29, 23],
        ['the autumn DST change (25 hours)', 2026, 10, 25, 25],
      ] as const) {
        it(`closes the day of ${label} with the registers' difference between its midnights`, () => {
          const start = fromCentralEuropeanTime(year, month, day);
          const end = fromCentralEuropeanTime(year, month, day + 1);
          assert.equal((end - start) / HOUR, hours);
          const list = samples(simulatedMeter('be-fluvius', 4), start - 2 * HOUR, end + HOUR, 5 * MINUTE);
          const { outcomes } = run(list, settings);
          const days = closedOf(outcomes, 'electricity', 'day');
          const closedDay = days.find((d) => d.key === `${year}-${String(month).padStart(2, '0')}-${day}`);
          assert.ok(closedDay, `closed days: ${days.map((d) => d.key)}`);
          assert.equal(closedDay.hours, hours);
          assert.equal(closedDay.complete, true);
          assertDayMatchesRegisters(closedDay, list, start, end);
          // Gas by its capture time: the day's gas is the difference of the readings stamped at its two midnights.
          const gasDay = closedOf(outcomes, 'gas', 'day').find((d) => d.key === closedDay.key);
          const gasAt = (instant: number) => lastAtOrBefore(list, instant).telegram.gas?.reading as number;
          assert.ok(gasDay && close(gasDay.gas, gasAt(end) - gasAt(start), 0.0006), `gas ${gasDay?.gas} vs ${gasAt(end) - gasAt(start)}`);
          assert.equal(closedOf(outcomes, 'gas', 'hour').filter((h) => String(h.start).startsWith(closedDay.key as string)).length, hours);
        });
      }

      it('closes February at the month end and 2026 at the year end, each with its own registers', () => {
        const meter = simulatedMeter('nl-dsmr5', 5);
        const febStart = fromCentralEuropeanTime(2026, 2, 28);
        const marStart = fromCentralEuropeanTime(2026, 3, 1);
        const feb = samples(meter, febStart - HOUR, marStart + HOUR, 2 * MINUTE);
        const book = emptyBook();
        const { outcomes } = run(feb, settings, book);
        const month = closedOf(outcomes, 'electricity', 'month');
        assert.deepEqual(
          month.map((m) => m.key),
          ['2026-02'],
        );
        assert.equal(month[0].complete, false, 'counting began on 27 February');
        assertDayMatchesRegisters(closedOf(outcomes, 'electricity', 'day').find((d) => d.key === '2026-02-28') as Flat, feb, febStart, marStart);
        const last = outcomes[outcomes.length - 1].totals;
        assert.ok(close(last.energyDeliveredMonth, deliveredKwh(feb[feb.length - 1].telegram) - deliveredKwh(lastAtOrBefore(feb, marStart).telegram), KWH));

        // The same meter later that year: the book carries on, and 31 December closes day, month and year.
        const yearEnd = fromCentralEuropeanTime(2027, 1, 1);
        const december = samples(meter, yearEnd - 2 * HOUR, yearEnd + 30 * MINUTE, MINUTE);
        const later = run(december, settings, book).outcomes;
        const closedKinds = later
          .flatMap((o) => o.closed)
          .filter((c) => c.medium === 'electricity')
          .map((c) => `${c.period} ${c.key}`);
        assert.ok(closedKinds.includes('day 2026-12-31'), closedKinds.join(', '));
        assert.ok(closedKinds.includes('month 2026-12'));
        assert.ok(closedKinds.includes('year 2026'));
        const year = closedOf(later, 'electricity', 'year')[0];
        const firstEver = feb[0].telegram;
        assert.ok(
          close(year.energyDelivered, deliveredKwh(lastAtOrBefore(december, yearEnd).telegram) - deliveredKwh(firstEver), KWH),
          'the year holds everything since the first telegram',
        );
        const newYear = later[later.length - 1].totals;
        assert.equal(newYear.todayFrom, '2027-01-01T00:00:00+01:00');
        assert.ok(
          close(
            newYear.energyDeliveredYear,
            deliveredKwh(december[december.length - 1].telegram) - deliveredKwh(lastAtOrBefore(december, yearEnd).telegram),
            KWH,
          ),
        );
      });
    });
  }

  it('starts a complete day when the very first telegram comes exactly at midnight, closing nothing it never saw', () => {
    const midnight = fromCentralEuropeanTime(2026, 6, 12);
    const list = samples(simulatedMeter('nl-dsmr5', 13), midnight, midnight + HOUR, 5 * MINUTE);
    const { outcomes } = run(list, settingsFor('Europe/Amsterdam'));
    assert.deepEqual(
      outcomes.flatMap((o) => o.closed).filter((c) => c.medium === 'electricity'),
      [],
    );
    assert.equal(outcomes[outcomes.length - 1].totals.todayFrom, '2026-06-12T00:00:00+02:00');
  });

  it('counts a gap over midnight in the day the readings resume, and closes the day before with what it measured', () => {
    const settings = settingsFor('Europe/Amsterdam');
    const midnight = fromCentralEuropeanTime(2026, 6, 10);
    const all = samples(simulatedMeter('nl-dsmr5', 8), midnight - 3 * HOUR, midnight + 3 * HOUR, MINUTE);
    const list = all.filter((s) => s.at <= midnight - HOUR || s.at >= midnight + 2 * HOUR); // Node-RED down 23:00–02:00
    const { outcomes } = run(list, settings);
    const day = closedOf(outcomes, 'electricity', 'day')[0];
    assert.equal(day.key, '2026-06-09');
    assert.ok(close(day.energyDelivered, deliveredKwh(lastAtOrBefore(list, midnight - HOUR).telegram) - deliveredKwh(list[0].telegram), KWH));
    const today = outcomes[outcomes.length - 1].totals;
    assert.ok(
      close(today.energyDeliveredToday, deliveredKwh(list[list.length - 1].telegram) - deliveredKwh(lastAtOrBefore(list, midnight - HOUR).telegram), KWH),
    );
  });

  it('continues the totals through a meter swap, never negative, and reports it', () => {
    const settings = settingsFor('Europe/Amsterdam');
    const start = fromCentralEuropeanTime(2026, 5, 4);
    const before = samples(simulatedMeter('nl-dsmr5', 1), start, start + 12 * HOUR, 5 * MINUTE);
    const after = samples(simulatedMeter('nl-dsmr5', 9), start + 12 * HOUR + 10 * MINUTE, start + 20 * HOUR, 5 * MINUTE);
    assert.notEqual(before[0].telegram.equipmentId, after[0].telegram.equipmentId);
    const { outcomes } = run([...before, ...after], settings);
    const events = outcomes.flatMap((o) => o.events);
    assert.deepEqual(
      events.map((e) => `${e.medium} ${e.event}`),
      ['electricity meterSwap', 'gas meterSwap'],
    );
    assert.equal(events[0].previousId, before[0].telegram.equipmentId);
    assert.equal(events[0].equipmentId, after[0].telegram.equipmentId);
    const expected =
      deliveredKwh(before[before.length - 1].telegram) -
      deliveredKwh(before[0].telegram) +
      deliveredKwh(after[after.length - 1].telegram) -
      deliveredKwh(after[0].telegram);
    const last = outcomes[outcomes.length - 1].totals;
    assert.ok(close(last.energyDeliveredToday, expected, KWH), `${last.energyDeliveredToday} vs ${expected}`);
    for (const o of outcomes)
      for (const [name, value] of Object.entries(o.totals))
        if (/^(energy(Delivered|Returned)|gas)/.test(name) && typeof value === 'number') assert.ok(value >= 0, `${name} ${value}`);
  });

  it('re-anchors a register that runs backwards and keeps counting from there', () => {
    const settings = settingsFor('Europe/Amsterdam');
    const start = fromCentralEuropeanTime(2026, 5, 5);
    const list = samples(simulatedMeter('nl-dsmr5', 2), start, start + 10 * HOUR, 5 * MINUTE);
    const resetAt = 60;
    // From sample 60 on, tariff 2 reads 1500 kWh less (a reset module); the true use is unchanged.
    const shifted = list.map((s, i) => {
      if (i < resetAt) return s;
      const telegram = structuredClone(s.telegram);
      (telegram.obis['1-0:1.8.2'] as { value: number }).value -= 1500;
      return { ...s, telegram };
    });
    const { outcomes } = run(shifted, settings);
    const events = outcomes.flatMap((o) => o.events);
    assert.equal(events.length, 1);
    assert.equal(events[0].event, 'registerReset');
    assert.equal(events[0].register, 'deliveredTariff2');
    const lost = register(list[resetAt].telegram, '1-0:1.8.2') - register(list[resetAt - 1].telegram, '1-0:1.8.2');
    const expected = register(list[list.length - 1].telegram, '1-0:1.8.2') - register(list[0].telegram, '1-0:1.8.2') - lost;
    assert.ok(close(outcomes[outcomes.length - 1].totals.energyDeliveredTariff2Today, expected, KWH));
  });

  it('puts gas in the hour of its capture time: a DSMR 4 (hourly, reported late) and a DSMR 5 meter agree', () => {
    const settings = settingsFor('Europe/Amsterdam');
    const start = fromCentralEuropeanTime(2026, 1, 20, 5);
    const end = start + 6 * HOUR;
    const dsmr5 = samples(simulatedMeter('nl-dsmr5', 3), start, end, 10_000);
    const dsmr4 = samples(simulatedMeter('nl-dsmr5', 3, 60), start, end, 10_000).map((s, i, all) => {
      // Real DSMR 4 meters often send the hourly reading a few minutes late: until :03 the previous hour's reading repeats.
      const minute = Math.floor((s.at % HOUR) / MINUTE);
      if (minute >= 3 || i < 18) return s;
      const telegram = structuredClone(s.telegram);
      telegram.gas = structuredClone(all[i - 18].telegram.gas);
      return { ...s, telegram };
    });
    const hours5 = closedOf(run(dsmr5, settings).outcomes, 'gas', 'hour').filter((h) => h.complete);
    const out4 = run(dsmr4, settings).outcomes;
    const hours4 = closedOf(out4, 'gas', 'hour').filter((h) => h.complete);
    assert.ok(hours4.length >= 4, `${hours4.length} complete hours`);
    for (const hour of hours4) {
      const twin = hours5.find((h) => h.key === hour.key);
      assert.ok(twin, `hour ${hour.start} closed for the DSMR 5 meter too`);
      assert.ok(close(hour.gas, twin.gas as number, 0.0011), `${hour.start}: ${hour.gas} vs ${twin.gas}`);
      // And against the readings themselves: the one stamped at the hour's end minus the one at its start.
      const readingAt = (instant: number) => dsmr5.find((s) => Date.parse(s.telegram.gas?.readingTime as string) === instant)?.telegram.gas?.reading as number;
      const hourStart = Date.parse(hour.start as string);
      assert.ok(close(hour.gas, readingAt(hourStart + HOUR) - readingAt(hourStart), 0.0011));
    }
    // The DSMR 4 hour 13:00–14:00 is closed by the telegram that first carries the 14:00 reading, at 14:03.
    const closing = out4.find((o) => o.closed.some((c) => c.medium === 'gas' && c.period === 'hour' && c.complete));
    assert.match(String(closing?.totals.time), /:03:00\+01:00$/);
    assert.ok(typeof out4[out4.length - 1].totals.gasFlow === 'number');
  });

  it('computes the quarter-hour average and month peak like the Belgian meter does itself', () => {
    const settings = settingsFor('Europe/Brussels');
    const monthStart = fromCentralEuropeanTime(2026, 2, 1);
    const list = samples(simulatedMeter('be-fluvius', 6), monthStart - 2 * HOUR, monthStart + 14 * HOUR, 30_000);
    const withoutOwnValues = list.map((s) => {
      const telegram = structuredClone(s.telegram);
      delete telegram.obis['1-0:1.4.0'];
      delete telegram.obis['1-0:1.6.0'];
      delete telegram.peakDemandHistory;
      return { ...s, telegram };
    });
    const computed = run(withoutOwnValues, settings).outcomes;
    let compared = 0;
    list.forEach((s, i) => {
      const minuteInQuarter = (s.at / MINUTE) % 15;
      if (minuteInQuarter < 5) return; // a few Wh of print resolution weigh too much early in a quarter
      const meterAverage = register(s.telegram, '1-0:1.4.0');
      assert.equal(computed[i].totals.demandSource, 'computed');
      assert.ok(
        close(computed[i].totals.demandAverage, meterAverage, 0.03),
        `${new Date(s.at).toISOString()}: ${computed[i].totals.demandAverage} vs meter ${meterAverage}`,
      );
      compared++;
    });
    assert.ok(compared > 1000);
    const last = list[list.length - 1].telegram;
    assert.ok(
      close(computed[computed.length - 1].totals.demandMonthPeak, register(last, '1-0:1.6.0'), 0.01),
      `month peak ${computed[computed.length - 1].totals.demandMonthPeak} vs meter ${register(last, '1-0:1.6.0')}`,
    );
  });

  it('prices every step at the dynamic price of its quarter hour, with a new schedule arriving during the day', () => {
    const settings = settingsFor('Europe/Amsterdam');
    const day = fromCentralEuropeanTime(2026, 7, 1);
    const list = samples(simulatedMeter('nl-dsmr5', 11), day, day + 12 * HOUR, MINUTE);
    const book = emptyBook();
    const quarterPrice = (q: number) => 0.05 + ((q * 7) % 13) / 50; // a different price every quarter hour
    const schedule = (from: number, offset: number) =>
      Array.from({ length: 48 }, (_v, q) => ({ start: new Date(from + q * 15 * MINUTE).toISOString(), delivered: quarterPrice(q) + offset }));
    assert.equal(takePrices(book, schedule(day, 0), day), null);
    const morning = list.filter((s) => s.at < day + 6 * HOUR);
    run(morning, settings, book);
    // At 06:00 the supplier publishes new prices for the afternoon (all 0.10 higher); a fixed gas price arrives too.
    assert.equal(takePrices(book, schedule(day + 6 * HOUR, 0.1).slice(0, 24), day), null);
    assert.equal(takePrices(book, { gas: 1.5 }, day), null);
    const outcomes = run(
      list.filter((s) => s.at >= day + 6 * HOUR),
      settings,
      book,
    ).outcomes;

    let expected = 0;
    for (let q = 0; q < 48; q++) {
      const from = lastAtOrBefore(list, day + q * 15 * MINUTE).telegram;
      const to = lastAtOrBefore(list, day + (q + 1) * 15 * MINUTE).telegram;
      const price = q < 24 ? quarterPrice(q) : quarterPrice(q - 24) + 0.1;
      expected += (deliveredKwh(to) - deliveredKwh(from)) * price;
    }
    expected -= (returnedKwh(list[list.length - 1].telegram) - returnedKwh(list[0].telegram)) * 0.05;
    const totals = outcomes[outcomes.length - 1].totals;
    assert.ok(close(totals.costElectricityToday, expected, 0.001), `${totals.costElectricityToday} vs ${expected}`);
    assert.equal(totals.costFixedToday, 0.75);
    assert.equal(totals.priceGas, 1.5);
    assert.ok(close(totals.priceDelivered, quarterPrice(47 - 24) + 0.1, 1e-9), `price in force at 11:59 is ${totals.priceDelivered}`);
  });

  it('starts afresh from a stored state it cannot use, and keeps what it can', () => {
    assert.deepEqual(restoreBook(undefined), emptyBook());
    assert.deepEqual(restoreBook('garbage'), emptyBook());
    const book = emptyBook();
    run(samples(simulatedMeter('nl-dsmr5', 12), Date.UTC(2026, 4, 1, 8), Date.UTC(2026, 4, 1, 9), 10 * MINUTE), settingsFor('Europe/Amsterdam'), book);
    const stored = JSON.parse(
      JSON.stringify({ meters: { ...book.meters, old: { version: 0 } }, prices: [{ start: 'soon' }, { start: 1, prices: { delivered: 0.2 } }] }),
    );
    const restored = restoreBook(stored);
    assert.deepEqual(Object.keys(restored.meters), ['meter']);
    assert.deepEqual(restored.meters.meter, book.meters.meter);
    assert.deepEqual(restored.prices, [{ start: 1, prices: { delivered: 0.2 } }]);
  });

  it('refuses price messages it cannot read, with the reason', () => {
    const book = emptyBook();
    assert.match(String(takePrices(book, 'cheap', 0)), /object/);
    assert.match(String(takePrices(book, [{ delivered: 0.2 }], 0)), /start/);
    assert.match(String(takePrices(book, { delivered: 'x' }, 0)), /delivered/);
    assert.deepEqual(book.prices, []);
  });
});
