/**
 * p1-energy in the real Node-RED runtime (node-red-node-test-helper) with real context stores:
 * Node-RED's own `localfilesystem` store in a temporary folder for the restart and redeploy
 * tests, its memory store otherwise. Telegrams come from the simulated meters at chosen
 * instants (through midnights, a year end, DST changes) and from the Belgian telegrams of the
 * corpus; every total is checked against the registers the meter printed.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTelegram } from '../../src/protocol/parser';
import type { P1Telegram } from '../../src/protocol/types';
import { fromCentralEuropeanTime } from '../../src/transport/eu-time';
import { loadCorpus } from '../protocol/corpus-files';
import { close, deliveredKwh, HOUR, lastAtOrBefore, MINUTE, register, samples, simulatedMeter, type Sample } from '../energy/simulation';
import { helper, logLines, recorder, statusesOf, waitFor, withCatalog, type FlowNode, type Msg } from './connection-harness';

// Loaded from the build folder this test was compiled into.
const P1_ENERGY = withCatalog('p1-energy', require('../../src/nodes/p1-energy'));

const TAB = 'tab';

/** Runtime settings for the next load (the helper's `settings`, not in the shared harness's type). */
function settings(values: Record<string, unknown>): void {
  (helper as unknown as { settings(values: Record<string, unknown>): void }).settings(values);
}
const KWH = 0.0006;

interface EnergyFlow {
  energy: { receive(msg: Record<string, unknown>): void };
  totals: Msg[];
  closed: Msg[];
  alarms: Msg[];
  events: Msg[];
  caught: Msg[];
}

function flowNodes(options: Record<string, unknown>): FlowNode[] {
  return [
    { id: TAB, type: 'tab' },
    {
      id: 'energy',
      z: TAB,
      x: 100,
      y: 100,
      type: 'p1-energy',
      name: '',
      timezone: 'Europe/Amsterdam',
      store: '',
      meterKey: 'topic',
      interval: 0,
      currency: 'EUR',
      priceDelivered1: '0.25',
      priceDelivered2: '0.30',
      priceReturned1: '0.05',
      priceReturned2: '',
      priceGas: '1.25',
      priceWater: '',
      pricePerDay: '0.75',
      minimumPeak: 2.5,
      demandLimit: 0,
      alarmOnMonthPeak: true,
      waterLeakHours: 24,
      ...options,
      wires: [['totals'], ['closed'], ['alarms'], ['events']],
    },
    ...['totals', 'closed', 'alarms', 'events', 'caught'].map((id, i) => ({ id, z: TAB, x: 300, y: 100 + 40 * i, type: 'helper' })),
    { id: 'catcher', z: TAB, x: 100, y: 300, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  ];
}

async function loadEnergyFlow(options: Record<string, unknown> = {}): Promise<EnergyFlow> {
  await helper.load([P1_ENERGY], flowNodes(options));
  await contextStores().loadContextsPlugin();
  return attach();
}

function attach(): EnergyFlow {
  return {
    energy: helper.getNode('energy') as EnergyFlow['energy'],
    totals: recorder('totals'),
    closed: recorder('closed'),
    alarms: recorder('alarms'),
    events: recorder('events'),
    caught: recorder('caught'),
  };
}

/** The runtime's context-store controls the test helper does not wrap. */
function contextStores(): { loadContextsPlugin(): Promise<void>; closeContextsPlugin(): Promise<void> } {
  return (helper as unknown as { _redNodes: { loadContextsPlugin(): Promise<void>; closeContextsPlugin(): Promise<void> } })._redNodes;
}

/** Sends the samples in order and waits until a totals message came out for each. */
async function feed(flow: EnergyFlow, list: Sample[], topic = 'meter'): Promise<void> {
  const before = flow.totals.length;
  for (const s of list) flow.energy.receive({ topic, payload: s.telegram });
  await waitFor(() => flow.totals.length >= before + list.length, `${list.length} totals messages`, 20_000);
}

function lastTotals(flow: EnergyFlow, topic = 'meter'): Record<string, any> {
  const mine = flow.totals.filter((m) => m.topic === topic);
  return mine[mine.length - 1].payload;
}

describe('p1-energy node', function () {
  this.timeout(60_000);

  afterEach(async function () {
    await helper.unload();
    settings({ contextStorage: undefined });
  });

  describe("with Node-RED's localfilesystem context store", () => {
    let dir: string;
    const fileStores = () => ({ default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } });

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-energy-context-'));
      settings({ contextStorage: fileStores() });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("keeps today's and this month's totals over a restart and a full redeploy mid-day, counting nothing twice", async () => {
      const meter = simulatedMeter('nl-dsmr5', 21);
      const day = fromCentralEuropeanTime(2026, 4, 14);
      const list = samples(meter, day - HOUR, day + 16 * HOUR, 5 * MINUTE);
      const morning = list.filter((s) => s.at <= day + 9 * HOUR);
      const midday = list.filter((s) => s.at > day + 9 * HOUR && s.at <= day + 12 * HOUR);
      const afternoon = list.filter((s) => s.at > day + 12 * HOUR);

      let flow = await loadEnergyFlow({ store: 'file' });
      await feed(flow, morning);
      assert.equal(flow.closed.filter((m) => m.payload.medium === 'electricity' && m.payload.period === 'day').length, 1, 'the day before closed at midnight');

      // Restart: the runtime stops, the file store writes its files and closes; a new runtime reads them back.
      await (helper as unknown as { _redNodes: { stopFlows(): Promise<void> } })._redNodes.stopFlows();
      await contextStores().closeContextsPlugin();
      const files = fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String);
      assert.ok(
        files.some((f) => f.endsWith('.json')),
        `context files: ${files}`,
      );
      // The helper's unload cleans contexts of the stores it knows: give it a fresh memory-only context, as a stopped runtime has.
      (helper as unknown as { _context: { init(settings: object): void } })._context.init({});
      await helper.unload();
      settings({ contextStorage: fileStores() });
      flow = await loadEnergyFlow({ store: 'file' });
      // The last telegram before the restart arrives once more (a replaying bridge): it adds nothing.
      await feed(flow, [morning[morning.length - 1], ...midday]);

      // Full redeploy of the same flow.
      await helper.setFlows(flowNodes({ store: 'file' }), 'full');
      flow = attach();
      await feed(flow, afternoon);

      const totals = lastTotals(flow);
      const last = afternoon[afternoon.length - 1].telegram;
      const midnight = lastAtOrBefore(list, day).telegram;
      assert.ok(
        close(totals.energyDeliveredToday, deliveredKwh(last) - deliveredKwh(midnight), KWH),
        `today ${totals.energyDeliveredToday} vs ${deliveredKwh(last) - deliveredKwh(midnight)}`,
      );
      assert.ok(close(totals.energyDeliveredMonth, deliveredKwh(last) - deliveredKwh(list[0].telegram), KWH), 'this month, since the first telegram');
      assert.equal(totals.todayFrom, '2026-04-14T00:00:00+02:00');
      assert.equal(totals.costFixedToday, 0.75, 'the standing charge counted once for the day');
      assert.equal(flow.closed.filter((m) => m.payload.period === 'day').length, 0, 'no day closed again after the restart');
      assert.equal(flow.caught.length, 0);
    });

    it('lists its stores for the dialog, marking the memory-only ones', async () => {
      await loadEnergyFlow({ store: 'file' });
      const response = await helper.request().get('/p1-energy/stores').expect(200);
      assert.deepEqual(response.body, [
        { name: '', persistent: false },
        { name: 'default', persistent: false },
        { name: 'file', persistent: true },
      ]);
      assert.ok(!logLines().some((l) => /memory-only/.test(l.msg)), 'no memory warning for the file store');
    });
  });

  it('warns that a memory store loses the totals on restart, and keeps them over a redeploy', async () => {
    // A configured memory store keeps node context over deploys (without any contextStorage setting Node-RED clears it on every deploy).
    settings({ contextStorage: { default: { module: 'memory' } } });
    const meter = simulatedMeter('nl-dsmr5', 22);
    const day = fromCentralEuropeanTime(2026, 4, 15);
    const list = samples(meter, day, day + 4 * HOUR, 10 * MINUTE);
    let flow = await loadEnergyFlow();
    assert.ok(
      logLines().some((l) => /memory-only context store/.test(l.msg)),
      'a warning in the log',
    );
    await feed(flow, list.slice(0, 12));
    await helper.setFlows(flowNodes({}), 'full');
    flow = attach();
    await feed(flow, list.slice(12));
    const totals = lastTotals(flow);
    assert.ok(close(totals.energyDeliveredToday, deliveredKwh(list[list.length - 1].telegram) - deliveredKwh(list[0].telegram), KWH));
    assert.ok(
      statusesOf('energy').some((s) => s.shape === 'ring' && /kWh today/.test(s.text ?? '')),
      'a ring status: not kept over a restart',
    );
  });

  for (const [zone, month, day, hours] of [
    ['Europe/Amsterdam', 3, 29, 23],
    ['Europe/Brussels', 10, 25, 25],
    ['Europe/Brussels', 3, 29, 23],
    ['Europe/Amsterdam', 10, 25, 25],
  ] as const) {
    it(`sends a ${hours}-hour closed day for ${day} ${month === 3 ? 'March' : 'October'} 2026 in ${zone}, matching the registers`, async () => {
      const start = fromCentralEuropeanTime(2026, month, day);
      const end = fromCentralEuropeanTime(2026, month, day + 1);
      const list = samples(simulatedMeter(zone === 'Europe/Brussels' ? 'be-fluvius' : 'nl-dsmr5', 30 + month), start - HOUR, end + 20 * MINUTE, 5 * MINUTE);
      const flow = await loadEnergyFlow({ timezone: zone });
      await feed(flow, list);
      const closedDay = flow.closed.find((m) => m.payload.medium === 'electricity' && m.payload.period === 'day' && m.payload.complete);
      assert.ok(closedDay, 'a complete closed day');
      assert.equal(closedDay.topic, 'meter/electricity/day');
      assert.equal(closedDay.payload.hours, hours);
      assert.equal(closedDay.payload.key, `2026-${String(month).padStart(2, '0')}-${day}`);
      const expected = deliveredKwh(lastAtOrBefore(list, end).telegram) - deliveredKwh(lastAtOrBefore(list, start).telegram);
      assert.ok(close(closedDay.payload.energyDelivered, expected, KWH), `${closedDay.payload.energyDelivered} vs ${expected}`);
      const gasHours = flow.closed.filter(
        (m) =>
          m.payload.medium === 'gas' &&
          m.payload.period === 'hour' &&
          String(m.payload.key) >= new Date(start).toISOString() &&
          String(m.payload.key) < new Date(end).toISOString(),
      );
      assert.equal(gasHours.length, hours, 'one closed gas hour per hour of the day');
    });
  }

  it('closes day, month and year at the year end, and starts 2027 from zero', async () => {
    const yearEnd = fromCentralEuropeanTime(2027, 1, 1);
    const list = samples(simulatedMeter('nl-dsmr5', 40), yearEnd - 3 * HOUR, yearEnd + HOUR, MINUTE);
    const flow = await loadEnergyFlow();
    await feed(flow, list);
    const closed = flow.closed.filter((m) => m.payload.medium === 'electricity').map((m) => `${m.payload.period} ${m.payload.key}`);
    // The ISO week 2026-W53 runs on over New Year.
    assert.deepEqual(closed, ['day 2026-12-31', 'month 2026-12', 'year 2026']);
    const totals = lastTotals(flow);
    const newYear = lastAtOrBefore(list, yearEnd).telegram;
    assert.ok(close(totals.energyDeliveredYear, deliveredKwh(list[list.length - 1].telegram) - deliveredKwh(newYear), KWH));
    assert.ok(close(totals.energyDeliveredWeek, deliveredKwh(list[list.length - 1].telegram) - deliveredKwh(list[0].telegram), KWH));
  });

  it('keeps two interleaved meters apart by topic', async () => {
    const day = fromCentralEuropeanTime(2026, 6, 1);
    const nl = samples(simulatedMeter('nl-dsmr5', 50), day - 30 * MINUTE, day + 2 * HOUR, 5 * MINUTE);
    const be = samples(simulatedMeter('be-fluvius', 51), day - 30 * MINUTE, day + 2 * HOUR, 5 * MINUTE);
    const flow = await loadEnergyFlow();
    for (let i = 0; i < nl.length; i++) {
      flow.energy.receive({ topic: 'p1/nl', payload: nl[i].telegram });
      flow.energy.receive({ topic: 'p1/be', payload: be[i].telegram });
    }
    await waitFor(() => flow.totals.length === 2 * nl.length, 'all totals');
    for (const [topic, list] of [
      ['p1/nl', nl],
      ['p1/be', be],
    ] as const) {
      const totals = lastTotals(flow, topic);
      assert.equal(totals.meter, topic);
      assert.equal(totals.equipmentId, list[0].telegram.equipmentId);
      assert.ok(
        close(totals.energyDeliveredToday, deliveredKwh(list[list.length - 1].telegram) - deliveredKwh(lastAtOrBefore(list, day).telegram), KWH),
        topic,
      );
    }
    assert.deepEqual(
      flow.closed
        .filter((m) => m.payload.period === 'day' && m.payload.medium === 'electricity')
        .map((m) => m.topic)
        .sort(),
      ['p1/be/electricity/day', 'p1/nl/electricity/day'],
    );
    assert.equal(flow.events.length, 0, 'no meter swap between the two');
  });

  it('reports a meter swap and a register reset on the events output; totals carry on', async () => {
    const day = fromCentralEuropeanTime(2026, 6, 2);
    const oldMeter = samples(simulatedMeter('nl-dsmr5', 60), day, day + 3 * HOUR, 10 * MINUTE);
    const newMeter = samples(simulatedMeter('nl-dsmr5', 61), day + 3 * HOUR, day + 6 * HOUR, 10 * MINUTE);
    const reset = newMeter.slice(9).map((s) => {
      const telegram: P1Telegram = structuredClone(s.telegram);
      (telegram.obis['1-0:1.8.1'] as { value: number }).value = 0.5 + (s.at - newMeter[9].at) / HOUR; // the register restarted near zero
      return { ...s, telegram };
    });
    const flow = await loadEnergyFlow();
    await feed(flow, [...oldMeter, ...newMeter.slice(0, 9), ...reset]);
    const events = flow.events.map((m) => `${m.topic} ${m.payload.medium} ${m.payload.event}`);
    assert.deepEqual(events, ['meter/meterSwap electricity meterSwap', 'meter/meterSwap gas meterSwap', 'meter/registerReset electricity registerReset']);
    assert.equal(flow.events[0].payload.equipmentId, newMeter[0].telegram.equipmentId);
    assert.equal(flow.events[2].payload.register, 'deliveredTariff1');
    for (const m of flow.totals) assert.ok(m.payload.energyDeliveredToday >= 0 && m.payload.energyDeliveredTariff1Today >= 0);
    const t2 = (list: Sample[]) => register(list[list.length - 1].telegram, '1-0:1.8.2') - register(list[0].telegram, '1-0:1.8.2');
    assert.ok(close(lastTotals(flow).energyDeliveredTariff2Today, t2(oldMeter) + t2(newMeter), KWH), 'tariff 2 counted across the swap');
  });

  it('closes gas hours by the capture time for a DSMR 4 (hourly) and a DSMR 5 (5-minute) meter alike', async () => {
    const start = fromCentralEuropeanTime(2026, 2, 3, 6);
    const dsmr4 = samples(simulatedMeter('nl-dsmr5', 70, 60), start, start + 4 * HOUR + MINUTE, MINUTE);
    const dsmr5 = samples(simulatedMeter('nl-dsmr5', 70, 5), start, start + 4 * HOUR + MINUTE, MINUTE);
    const flow = await loadEnergyFlow();
    await feed(flow, dsmr4, 'dsmr4');
    await feed(flow, dsmr5, 'dsmr5');
    const hours = (topic: string) => flow.closed.filter((m) => m.topic === `${topic}/gas/hour` && m.payload.complete).map((m) => m.payload);
    assert.equal(hours('dsmr4').length, 4);
    assert.deepEqual(
      hours('dsmr4').map((h) => h.key),
      hours('dsmr5').map((h) => h.key),
    );
    hours('dsmr4').forEach((hour, i) => {
      const hourStart = Date.parse(hour.start);
      const readingAt = (instant: number) => dsmr4.find((s) => Date.parse(String(s.telegram.gas?.readingTime)) === instant)?.telegram.gas?.reading as number;
      assert.ok(close(hour.gas, readingAt(hourStart + HOUR) - readingAt(hourStart), 0.0011), `${hour.start}: ${hour.gas}`);
      assert.ok(close(hours('dsmr5')[i].gas, hour.gas, 0.0011));
      assert.ok(close(hour.costGas, hour.gas * 1.25, 0.0002));
    });
    assert.equal(lastTotals(flow, 'dsmr4').gasThisHour, 0, 'the 10:00 reading closed the hour; nothing yet in the new one');
  });

  it("matches the meter's own capacity values on real Belgian telegrams and raises the alarm from the projection", async () => {
    const belgian = loadCorpus().filter((e) => e.crc === 'valid' && /fluvius/.test(e.file) && e.bytes.toString('latin1').includes('1-0:1.4.0'));
    assert.ok(belgian.length >= 4, belgian.map((e) => e.file).join(', '));
    const flow = await loadEnergyFlow({ timezone: 'Europe/Brussels', demandLimit: 0.05, alarmOnMonthPeak: false });
    for (const [i, entry] of belgian.entries()) {
      const telegram = parseTelegram(entry.bytes.toString('latin1'));
      flow.energy.receive({ topic: `be${i}`, payload: telegram });
      await waitFor(() => flow.totals.length === i + 1, entry.file);
      const totals = flow.totals[i].payload;
      const average = register(telegram, '1-0:1.4.0');
      const power = register(telegram, '1-0:1.7.0');
      const clock = /T\d\d:(\d\d):(\d\d)/.exec(String(telegram.timestamp)) as RegExpExecArray;
      const elapsed = ((Number(clock[1]) % 15) * 60 + Number(clock[2])) / 900;
      assert.equal(totals.demandSource, 'meter', entry.file);
      assert.equal(totals.demandAverage, average, entry.file);
      assert.ok(close(totals.demandProjected, average * elapsed + power * (1 - elapsed), 0.0006), `${entry.file}: ${totals.demandProjected}`);
      assert.equal(totals.demandMonthPeak, register(telegram, '1-0:1.6.0'), entry.file);
      const months = [register(telegram, '1-0:1.6.0'), ...(telegram.peakDemandHistory ?? []).flatMap((m) => (m.value === null ? [] : [m.value]))].slice(0, 12);
      const rolling = months.map((kw) => Math.max(kw, 2.5)).reduce((a, b) => a + b, 0) / months.length;
      assert.ok(close(totals.demandRollingAverage, rolling, 0.0006), `${entry.file}: rolling ${totals.demandRollingAverage} vs ${rolling}`);
      const alarm = flow.alarms.find((m) => m.topic === `be${i}/capacity`);
      assert.equal(Boolean(alarm), totals.demandProjected > 0.05, `${entry.file}: alarm`);
      if (alarm) {
        assert.equal(alarm.payload.active, true);
        assert.equal(alarm.payload.reason, 'limit');
        assert.equal(alarm.payload.projectedKw, totals.demandProjected);
      }
    }
  });

  it('warns on the alarm output before a quarter sets a new month peak, and clears it', async () => {
    const start = fromCentralEuropeanTime(2026, 1, 7, 7);
    const list = samples(simulatedMeter('be-fluvius', 80), start, start + 3 * HOUR, 30_000);
    const flow = await loadEnergyFlow({ timezone: 'Europe/Brussels', minimumPeak: 0.3 });
    await feed(flow, list);
    const raised = flow.alarms.filter((m) => m.payload.active);
    assert.ok(raised.length > 0, 'the morning cooking sets new peaks');
    for (const alarm of raised) {
      assert.equal(alarm.payload.reason, 'monthPeak');
      assert.ok(alarm.payload.projectedKw > alarm.payload.thresholdKw);
      assert.ok(alarm.payload.secondsLeft > 0 && alarm.payload.secondsLeft <= 900);
    }
    assert.ok(
      flow.alarms.some((m) => !m.payload.active),
      'and clears it again',
    );
    assert.ok(statusesOf('energy').some((s) => s.fill === 'red' && /peak ahead/.test(s.text ?? '')));
  });

  it('prices by dynamic prices that change inside the day (a schedule, then a price for now)', async () => {
    const day = fromCentralEuropeanTime(2026, 8, 3);
    const list = samples(simulatedMeter('nl-dsmr5', 90), day, day + 4 * HOUR, 5 * MINUTE);
    const flow = await loadEnergyFlow();
    flow.energy.receive({ price: [0, 1].map((h) => ({ start: new Date(day + h * HOUR).toISOString(), delivered: 0.1 * (h + 1) })) });
    await feed(
      flow,
      list.filter((s) => s.at <= day + 3 * HOUR),
    );
    flow.energy.receive({ price: 0.5 }); // from 03:00 (the meter's clock) on
    await feed(
      flow,
      list.filter((s) => s.at > day + 3 * HOUR),
    );
    const at = (h: number) => deliveredKwh(lastAtOrBefore(list, day + h * HOUR).telegram);
    const returned = (s: Sample) => register(s.telegram, '1-0:2.8.1') + register(s.telegram, '1-0:2.8.2');
    const expected =
      (at(1) - at(0)) * 0.1 +
      (at(3) - at(1)) * 0.2 +
      (deliveredKwh(list[list.length - 1].telegram) - at(3)) * 0.5 -
      (returned(list[list.length - 1]) - returned(list[0])) * 0.05;
    const totals = lastTotals(flow);
    assert.ok(close(totals.costElectricityToday, expected, 0.0002), `${totals.costElectricityToday} vs ${expected}`);
    assert.equal(totals.priceDelivered, 0.5);
    assert.equal(totals.costToday, Math.round((totals.costElectricityToday + totals.costGasToday + 0.75) * 10000) / 10000);
    flow.energy.receive({ price: { delivered: 'expensive' } });
    await waitFor(() => flow.caught.length === 1, 'the bad price reported');
    assert.match(String(flow.caught[0].error.message), /msg.price not understood/);
  });

  it('sends totals at most once per interval of the meter clock, but never holds back a closed day', async () => {
    const midnight = fromCentralEuropeanTime(2026, 9, 9);
    const list = samples(simulatedMeter('nl-dsmr5', 95), midnight - 10 * MINUTE, midnight + 10 * MINUTE, 10_000);
    const flow = await loadEnergyFlow({ interval: 60 });
    for (const s of list) flow.energy.receive({ topic: 'meter', payload: s.telegram });
    await waitFor(() => flow.closed.some((m) => m.payload.period === 'day'), 'the closed day');
    await waitFor(() => flow.totals.length >= 20, '20 totals');
    assert.ok(flow.totals.length <= 22, `${flow.totals.length} totals for ${list.length} telegrams`);
    assert.ok(
      flow.totals.some((m) => m.payload.time === '2026-09-09T00:00:00+02:00'),
      'the midnight telegram that closed the day',
    );
  });

  it('reports input that is neither a telegram nor a price, and keeps working', async () => {
    const flow = await loadEnergyFlow();
    assert.ok(
      logLines().some((l) => /memory-only context store 'default'/.test(l.msg)),
      'without contextStorage settings: the memory warning',
    );
    flow.energy.receive({ payload: 'hello' });
    await waitFor(() => flow.caught.length === 1, 'the error');
    assert.match(String(flow.caught[0].error.message), /not a parsed telegram/);
    const list = samples(simulatedMeter('nl-dsmr5', 99), Date.UTC(2026, 4, 1, 10), Date.UTC(2026, 4, 1, 11), 10 * MINUTE);
    await feed(flow, list);
    assert.ok(lastTotals(flow).energyDeliveredToday >= 0);
    assert.ok(
      statusesOf('energy').some((s) => /kWh today .* · 1 rejected$/.test(s.text ?? '')),
      JSON.stringify(statusesOf('energy')),
    );
  });
});
