/**
 * p1-filter-obis in the real Node-RED runtime, fed by a real p1-parse from corpus telegrams:
 * the messages each mode sends, the filters over time (with a fake clock), and the admin
 * endpoint that gives the editor's value picker the OBIS registry and the gas/water/heat shortcuts.
 */
import { strict as assert } from 'node:assert';
import * as sinon from 'sinon';
import { OBIS_REGISTRY } from '../../src/protocol/obis-registry';
import { fixture, helper, logLines, NODES, numberedTelegram, recorder, waitFor, type FlowNode } from './connection-harness';

// Loaded from the build folder this test was compiled into.
const p1Parse = require('../../src/nodes/p1-parse');
const p1FilterObis = require('../../src/nodes/p1-filter-obis');

const TAB = 'tab';
/** DSMR 5 spec example: power 0.244 kW, L1 230 V, gas 0.107 m3 read at 16:10:05 (telegram at 19:20:02). */
const NL = fixture('ndokter__dsmr_parser/v5_spec_example.txt').toString('latin1');

interface FilterFlow {
  parse: { receive(msg: Record<string, unknown>): void };
  outputs: any[][];
  caught: any[];
  /** Messages the filter has finished with. */
  completed: any[];
}

/** inject-less flow: p1-parse → p1-filter-obis → one helper per output, plus a Catch node. */
async function loadFilterFlow(options: Record<string, unknown>, outputs = 1): Promise<FilterFlow> {
  const outIds = Array.from({ length: outputs }, (_, i) => `out${i}`);
  const flow: FlowNode[] = [
    { id: TAB, type: 'tab' },
    {
      id: 'parse',
      z: TAB,
      x: 100,
      y: 100,
      type: 'p1-parse',
      property: 'payload',
      sourceKey: 'topic',
      output: 'parsed',
      crcPolicy: 'drop',
      timezone: 'Europe/Amsterdam',
      maxTelegramSize: 8192,
      wires: [['filter']],
    },
    {
      id: 'filter',
      z: TAB,
      x: 200,
      y: 100,
      type: 'p1-filter-obis',
      name: '',
      values: [],
      mode: 'split',
      topicStyle: 'name',
      onlyOnChange: false,
      deadband: 0,
      minInterval: 0,
      scaleToW: false,
      outputs,
      ...options,
      wires: outIds.map((id) => [id]),
    },
    ...outIds.map((id, i) => ({ id, z: TAB, x: 300, y: 100 + 50 * i, type: 'helper' })),
    { id: 'catcher', z: TAB, x: 100, y: 400, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: TAB, x: 300, y: 400, type: 'helper' },
    // Tells when the filter has finished with a message, whether or not it sent anything.
    { id: 'completer', z: TAB, x: 100, y: 500, type: 'complete', scope: ['filter'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: TAB, x: 300, y: 500, type: 'helper' },
  ];
  await helper.load([...NODES, p1Parse, p1FilterObis], flow);
  return {
    parse: helper.getNode('parse') as FilterFlow['parse'],
    outputs: outIds.map((id) => recorder(id)),
    caught: recorder('caught'),
    completed: recorder('completed'),
  };
}

describe('p1-filter-obis node', function () {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    await helper.unload();
  });

  it('split: sends chart-ready messages, one per value, keeping other properties', async function () {
    const flow = await loadFilterFlow({ values: ['powerDelivered', 'voltageL1', 'gas', 'powerDeliveredL4'] });
    flow.parse.receive({ topic: 'meter', payload: NL, site: 'home' });
    const [out] = flow.outputs;
    await waitFor(() => out.length === 3, 'three values');
    assert.deepEqual(
      out.map((m) => [m.topic, m.payload, m.unit, m.obis, m.timestamp, m.name, m.label, m.site]),
      [
        ['powerDelivered', 0.244, 'kW', '1-0:1.7.0', '2017-01-02T19:20:02+01:00', 'powerDelivered', 'Power delivered', 'home'],
        ['voltageL1', 230, 'V', '1-0:32.7.0', '2017-01-02T19:20:02+01:00', 'voltageL1', 'Voltage, L1', 'home'],
        ['gas', 0.107, 'm3', '0-1:24.2.1', '2017-01-02T16:10:05+01:00', 'gas', 'M-Bus reading (M-Bus 1)', 'home'],
      ],
    );
    for (const msg of out) assert.equal(msg.telegram, undefined);
  });

  it('split with topics as OBIS codes from a pattern, scaled to W', async function () {
    const flow = await loadFilterFlow({ values: ['1-0:*.7.0', '0-*:24.2.1'], topicStyle: 'code', scaleToW: true });
    flow.parse.receive({ topic: 'meter', payload: NL });
    const [out] = flow.outputs;
    await waitFor(() => out.length === 15, '14 instantaneous values and the gas reading');
    const byTopic = new Map(out.map((m) => [m.topic, m]));
    assert.deepEqual([byTopic.get('1-0:1.7.0').payload, byTopic.get('1-0:1.7.0').unit], [244, 'W']);
    assert.deepEqual([byTopic.get('1-0:32.7.0').payload, byTopic.get('1-0:32.7.0').unit], [230, 'V']);
    assert.deepEqual([byTopic.get('0-1:24.2.1').payload, byTopic.get('0-1:24.2.1').timestamp], [0.107, '2017-01-02T16:10:05+01:00']);
  });

  it('object: one message with the chosen values keyed by name, units alongside', async function () {
    const flow = await loadFilterFlow({ values: ['energyDeliveredTariff1', 'energyDeliveredTariff2', 'gas', 'waterNotThere'], mode: 'object' });
    flow.parse.receive({ topic: 'meter', payload: NL });
    const [out] = flow.outputs;
    await waitFor(() => out.length === 1, 'one message');
    assert.deepEqual(out[0].payload, { energyDeliveredTariff1: 4.426, energyDeliveredTariff2: 2.399, gas: 0.107 });
    assert.deepEqual(out[0].units, { energyDeliveredTariff1: 'kWh', energyDeliveredTariff2: 'kWh', gas: 'm3' });
    assert.equal(out[0].topic, 'meter');
  });

  it('ports: each chosen value on its own output', async function () {
    const flow = await loadFilterFlow({ values: ['voltageL1', 'voltageL2', 'water', 'voltageL3'], mode: 'ports' }, 4);
    flow.parse.receive({ topic: 'meter', payload: NL });
    flow.parse.receive({ topic: 'sentinel', payload: numberedTelegram(1) });
    const [l1, l2, water, l3] = flow.outputs;
    await waitFor(() => l3.length === 2, 'both telegrams on output 4');
    assert.deepEqual(
      l1.map((m) => m.payload),
      [230, 230],
    );
    assert.deepEqual(
      l2.map((m) => m.payload),
      [230, 230],
    );
    assert.deepEqual(
      l3.map((m) => m.payload),
      [229, 229],
    );
    assert.deepEqual(water, [], 'this meter has no water meter');
  });

  it('only on change and deadband hold back values that did not move enough', async function () {
    const flow = await loadFilterFlow({ values: ['energyDeliveredTariff1', 'voltageL1'], onlyOnChange: true, deadband: 1.5, scaleToW: true });
    // numberedTelegram(n) sets energy delivered, tariff 1 to n Wh; everything else stays the same.
    // The last one jumps far: once it is out, every telegram before it has been filtered.
    for (const n of [1000, 1001, 1002, 1004, 1005, 1007, 2000]) flow.parse.receive({ topic: 'meter', payload: numberedTelegram(n) });
    const [out] = flow.outputs;
    await waitFor(() => out.some((m) => m.payload === 2000), 'the last telegram');
    const energy = out.filter((m) => m.topic === 'energyDeliveredTariff1');
    assert.deepEqual(
      energy.map((m) => m.payload),
      [1000, 1002, 1004, 1007, 2000],
    );
    assert.ok(energy.every((m) => m.unit === 'Wh'));
    assert.deepEqual(
      out.filter((m) => m.topic === 'voltageL1').map((m) => m.payload),
      [230],
      'the unchanged voltage went out once',
    );
  });

  it('min interval: one value per interval, measured on the clock', async function () {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z'), toFake: ['Date'] });
    const flow = await loadFilterFlow({ values: ['energyDeliveredTariff1'], minInterval: 10 });
    const [out] = flow.outputs;
    const sendAndWait = async (n: number) => {
      const before = flow.completed.length;
      flow.parse.receive({ topic: 'meter', payload: numberedTelegram(n) });
      await waitFor(() => flow.completed.length === before + 1, `the filter to finish telegram ${n}`);
    };
    await sendAndWait(1);
    clock.tick(9_999);
    await sendAndWait(2);
    clock.tick(1);
    await sendAndWait(3);
    await waitFor(() => out.length >= 2, 'the third value');
    assert.deepEqual(
      out.map((m) => m.payload),
      [0.001, 0.003],
    );
  });

  it('reports input that is not a parsed telegram to a Catch node', async function () {
    await loadFilterFlow({ values: ['powerDelivered'] });
    const filter = helper.getNode('filter') as { receive(msg: unknown): void };
    const caught: any[] = recorder('caught');
    filter.receive({ payload: 'not a telegram' });
    await waitFor(() => caught.length === 1, 'the error');
    assert.match(caught[0].error.message, /not a parsed telegram/);
  });

  it('warns about entries that are not values, and uses the others', async function () {
    const flow = await loadFilterFlow({ values: ['power delivered', 'powerDelivered'] });
    assert.ok(
      logLines().some((line) => /power delivered/.test(line.msg) && /neither a friendly name/.test(line.msg)),
      'a warning naming the bad entry',
    );
    flow.parse.receive({ topic: 'meter', payload: NL });
    await waitFor(() => flow.outputs[0].length === 1, 'the good value');
    assert.equal(flow.outputs[0][0].topic, 'powerDelivered');
  });

  it('gives the editor gas, water, heat and the OBIS registry (name, code, label, unit)', async function () {
    await loadFilterFlow({ values: ['powerDelivered'] });
    const response = await helper.request().get('/p1-filter-obis/registry').expect(200);
    assert.equal(response.body.length, OBIS_REGISTRY.length + 3);
    assert.deepEqual(response.body[0], { name: 'gas', label: 'Gas meter reading (any M-Bus channel)', unit: 'm3' });
    assert.deepEqual(
      response.body.find((e: { code: string }) => e.code === '1-0:1.7.0'),
      { name: 'powerDelivered', code: '1-0:1.7.0', label: 'Power delivered', unit: 'kW' },
    );
  });
});
