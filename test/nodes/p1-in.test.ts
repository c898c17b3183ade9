/**
 * p1-in against the real Node-RED runtime, fed by a p1-connection with the built-in simulator:
 * message shape, output modes, topics, rate limit, change filter, several users.
 */
import assert from 'node:assert/strict';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { lookupObis } from '../../src/protocol/obis-registry';
import { helper, NODES, numberedTelegram, p1InWithOutputs, recorder, statusesOf, telegramNumber, waitFor, type FlowNode } from './connection-harness';
import { FakeBridge } from './fake-bridge';

const SIMULATOR: FlowNode = { id: 'meter', type: 'p1-connection', source: 'simulator', simulatorProfile: 'nl-dsmr5', simulatorInterval: 0.05 };

describe('p1-in with a simulated meter', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('emits parsed telegrams in the contract shape, topic named after the meter, status with a live summary', async () => {
    await helper.load(NODES, [SIMULATOR, ...p1InWithOutputs('in', 'meter')]);
    const telegrams = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => telegrams.length >= 3, 'three telegrams');

    const { topic, payload } = telegrams[0];
    assert.equal(typeof payload.header, 'string');
    assert.equal(payload.crc.valid, true);
    assert.ok(payload.obis['1-0:1.8.1'], 'obis view has energy delivered tariff 1');
    assert.equal(typeof payload.obis['1-0:1.7.0'].value, 'number');
    assert.ok(Array.isArray(payload.warnings));
    assert.equal(topic, payload.equipmentId ? `p1/${payload.equipmentId}` : 'p1/simulator');
    assert.equal(JSON.parse(JSON.stringify(payload)).header, payload.header, 'payload is plain JSON');

    await waitFor(() => health.some((m) => m.payload.state === 'receiving'), 'a health message for receiving');
    const receiving = health.find((m) => m.payload.state === 'receiving')!;
    assert.equal(receiving.topic, 'health');
    assert.ok(receiving.payload.counters.telegrams >= 1);
    assert.equal(typeof receiving.payload.counters.lastTelegramAt, 'string');

    const live = statusesOf('in').filter((s) => s.fill === 'green' && s.shape === 'dot');
    assert.ok(live.length > 0, 'a green dot status while receiving');
    assert.match(live[live.length - 1].text!, /^\d+\.\d\d kW ↓ \d+\.\d\d kW ↑ · \d\d:\d\d:\d\d$/);
  });

  it('output raw sends the telegram text; output both adds it as msg.telegram; a custom topic is used as is', async () => {
    await helper.load(NODES, [
      SIMULATOR,
      ...p1InWithOutputs('textIn', 'meter', { output: 'raw', topic: 'meter/raw' }),
      ...p1InWithOutputs('bothIn', 'meter', { output: 'both', topic: 'meter/both' }),
    ]);
    const raw = recorder('textIn-out');
    const both = recorder('bothIn-out');
    await waitFor(() => raw.length >= 2 && both.length >= 2, 'telegrams on both nodes');

    assert.equal(typeof raw[0].payload, 'string');
    assert.match(raw[0].payload, /^\/[\s\S]*![0-9A-F]{4}\r\n$/);
    assert.equal(raw[0].topic, 'meter/raw');
    assert.equal(typeof both[0].payload, 'object');
    assert.match(both[0].telegram!, /^\/[\s\S]*!/);
    assert.equal(both[0].payload.header, both[0].telegram!.slice(1, both[0].telegram!.indexOf('\r')));
    assert.equal(both[0].topic, 'meter/both');
  });

  it('two p1-in nodes on one connection both receive every telegram, each with its own copy', async () => {
    await helper.load(NODES, [SIMULATOR, ...p1InWithOutputs('a', 'meter', { output: 'both' }), ...p1InWithOutputs('b', 'meter', { output: 'both' })]);
    const a = recorder('a-out');
    const b = recorder('b-out');
    await waitFor(() => a.length >= 6 && b.length >= 6, 'six telegrams each');
    const seenByA = a.slice(0, 5).map((m) => m.telegram);
    const seenByB = b.slice(0, 5).map((m) => m.telegram);
    assert.deepEqual(seenByB, seenByA);
    assert.notEqual(a[0].payload, b[0].payload, 'not the same object');
  });

  it('change field emits only when that field changed', async () => {
    await helper.load(NODES, [SIMULATOR, ...p1InWithOutputs('all', 'meter'), ...p1InWithOutputs('changes', 'meter', { changeField: 'equipmentId' })]);
    const all = recorder('all-out');
    const changes = recorder('changes-out');
    await waitFor(() => all.length >= 5, 'five telegrams');
    // The equipment id never changes: only the first telegram passes.
    assert.equal(changes.length, 1);
    assert.equal(changes[0].payload.equipmentId, all[0].payload.equipmentId);
  });
});

describe('p1-in rate limit and change filter (numbered telegrams from a TCP bridge)', function () {
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  async function loadWith(options: Record<string, unknown>) {
    await helper.load(NODES, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port },
      ...p1InWithOutputs('all', 'link'),
      ...p1InWithOutputs('gated', 'link', options),
    ]);
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    return { all: recorder('all-out'), gated: recorder('gated-out') };
  }

  it('rate limit: of a burst of telegrams only the first passes within the period', async () => {
    const { all, gated } = await loadWith({ rateLimit: 60 });
    await bridge.send([1, 2, 3, 4, 5, 6].map((n) => numberedTelegram(n)).join(''));
    await waitFor(() => all.length === 6, 'the whole burst on the ungated node');
    assert.deepEqual(gated.map(telegramNumber), [1]);
  });

  it('default topic: an equipment id with MQTT wildcards and separators stays one escaped topic level', async () => {
    const { all } = await loadWith({});
    const text = numberedTelegram(7).replace(/0-0:96\.1\.1\([^)]*\)/, `0-0:96.1.1(${Buffer.from('x/#/+', 'latin1').toString('hex')})`);
    const body = text.slice(0, text.indexOf('!') + 1);
    await bridge.send(`${body}${formatCrc(crc16String(body))}\r\n`);
    await waitFor(() => all.length === 1, 'the telegram');
    assert.equal(all[0].payload.equipmentId, 'x/#/+');
    assert.equal(all[0].topic, 'p1/x%2F%23%2F%2B');
  });

  it('change field: passes a telegram only when that field changed', async () => {
    const field = lookupObis('1-0:1.8.1')!.name;
    const { all, gated } = await loadWith({ changeField: field });
    const sequence = [1, 1, 2, 2, 2, 3, 1, 1];
    await bridge.send(sequence.map((n) => numberedTelegram(n)).join(''));
    await waitFor(() => all.length === sequence.length, 'every telegram on the ungated node');
    assert.deepEqual(gated.map(telegramNumber), [1, 2, 3, 1]);
    assert.equal(typeof gated[0].payload[field], 'number');
  });
});
