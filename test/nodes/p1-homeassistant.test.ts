/**
 * p1-homeassistant with real parts: a real Node-RED flow (p1-parse or p1-connection + p1-in →
 * p1-homeassistant → Node-RED's own `mqtt out`), a real mosquitto on 127.0.0.1 and a subscriber
 * in the test. Checks what Home Assistant would read from the broker: discovery configs by its
 * documented rules, states, retained configs, availability when the connection is lost, a
 * republish when Home Assistant announces itself, and removal.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { NODE_RED_PATH } from '../support/node-red';
import { clearRetained, retainedMessages, startMosquitto, subscribe, type Broker, type ReceivedMqtt, type Subscriber } from '../support/mosquitto';
import { startTelegramServer, type TelegramServer } from '../support/telegram-server';
import { discoveryProblems, energyDashboardAccepts } from '../homeassistant/ha-discovery-rules';
import { BE_GAS_WATER, fixtureText, groupNumber, lineGroups, LU_SMARTY, NL_DSMR5 } from '../homeassistant/meter-fixtures';
import { helper, NODES, recorder, statusesOf, waitFor, withCatalog, type FlowNode, type Msg } from './connection-harness';

// Loaded from the build folder this test was compiled into.
const p1Parse = withCatalog('p1-parse', require('../../src/nodes/p1-parse'));
const p1HomeAssistant = withCatalog('p1-homeassistant', require('../../src/nodes/p1-homeassistant'));
/** Node-RED's own MQTT nodes (mqtt-broker, mqtt in, mqtt out), from the Node-RED under test. */
const coreMqtt = require(require.resolve('@node-red/nodes/core/network/10-mqtt.js', { paths: [NODE_RED_PATH, path.join(NODE_RED_PATH, 'node_modules')] }));

const TAB = 'tab';
const at = { z: TAB, x: 100, y: 100 };

type Json = Record<string, any>;

function brokerNode(port: number): FlowNode {
  return {
    id: 'broker',
    type: 'mqtt-broker',
    name: 'test broker',
    broker: '127.0.0.1',
    port: String(port),
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
    autoUnsubscribe: true,
  };
}

/** p1-homeassistant → mqtt out (topic, QoS and retain left to the messages) and a helper that sees the same messages. */
function homeAssistantNodes(port: number, options: Record<string, unknown> = {}): FlowNode[] {
  return [
    {
      id: 'ha',
      ...at,
      type: 'p1-homeassistant',
      name: '',
      discoveryPrefix: 'homeassistant',
      baseTopic: 'p1',
      deviceName: 'Smart meter',
      stateInterval: 0,
      retainStates: false,
      ...options,
      wires: [['mqttOut', 'sent']],
    },
    { id: 'mqttOut', ...at, type: 'mqtt out', name: '', topic: '', qos: '', retain: '', broker: 'broker' },
    { id: 'sent', ...at, type: 'helper' },
    {
      id: 'statusIn',
      ...at,
      type: 'mqtt in',
      name: '',
      topic: 'homeassistant/status',
      qos: '1',
      datatype: 'utf8',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['ha']],
    },
    brokerNode(port),
  ];
}

async function mqttConnected(): Promise<void> {
  await waitFor(
    () => ['mqttOut', 'statusIn'].every((id) => statusesOf(id).some((s) => /connected/.test(s.text ?? '') && !/disconnected|connecting/.test(s.text ?? ''))),
    'the mqtt nodes to connect',
    10_000,
  );
}

const configsOf = (received: ReceivedMqtt[]) => received.filter((m) => m.topic.startsWith('homeassistant/sensor/') && m.text !== '');
const last = (received: ReceivedMqtt[], topic: string) => received.filter((m) => m.topic === topic).at(-1);

function configAt(received: ReceivedMqtt[], node: string, object: string): Json {
  const message = last(received, `homeassistant/sensor/${node}/${object}/config`);
  assert.ok(message && message.text !== '', `no config for ${node}/${object}`);
  return JSON.parse(message.text) as Json;
}

/** The value Home Assistant shows for a sensor: its `{{ value_json.<key> }}` applied to the last state on its state topic, as received from the broker. */
function shownValue(received: ReceivedMqtt[], config: Json): unknown {
  const key = /^\{\{ value_json\.(\w+) \}\}$/.exec(String(config.value_template))?.[1];
  assert.ok(key, config.value_template);
  const state = last(received, config.state_topic);
  assert.ok(state, `no state on ${config.state_topic}`);
  return (JSON.parse(state.text) as Json)[key];
}

const meterNode = (file: string, idCode = '0-0:96.1.1') => `p1_${Buffer.from(lineGroups(fixtureText(file), idCode)[0], 'hex').toString('latin1')}`;

describe('p1-homeassistant node with a real MQTT broker', function () {
  this.timeout(30_000);
  let broker: Broker;
  let subscribers: Subscriber[] = [];
  let bridge: TelegramServer | undefined;

  before(async function () {
    broker = await startMosquitto();
  });

  after(async function () {
    await broker?.stop();
  });

  afterEach(async function () {
    await helper.unload();
    await clearRetained(broker.url);
    await Promise.all(subscribers.map((s) => s.close()));
    subscribers = [];
    await bridge?.close();
    bridge = undefined;
    if (this.currentTest?.state === 'failed') console.log(broker.output().split('\n').slice(-20).join('\n'));
  });

  async function subscriber(): Promise<Subscriber> {
    const s = await subscribe(broker.url);
    subscribers.push(s);
    return s;
  }

  async function loadParseFlow(): Promise<{ parse: { receive(msg: Msg): void }; ha: { receive(msg: Msg): void }; sent: Msg[] }> {
    await helper.load(
      [...NODES, p1Parse, p1HomeAssistant, coreMqtt],
      [
        { id: TAB, type: 'tab' },
        {
          id: 'parse',
          ...at,
          type: 'p1-parse',
          name: '',
          property: 'payload',
          sourceKey: 'topic',
          output: 'parsed',
          crcPolicy: 'drop',
          timezone: 'Europe/Amsterdam',
          maxTelegramSize: 8192,
          wires: [['ha']],
        },
        ...homeAssistantNodes(broker.port),
      ],
    );
    await mqttConnected();
    return { parse: helper.getNode('parse') as never, ha: helper.getNode('ha') as never, sent: recorder('sent') };
  }

  it('publishes configs and states for a Dutch DSMR 5 meter with gas, a Belgian meter with gas, water and peaks, and a Luxembourg meter', async function () {
    const live = await subscriber();
    const flow = await loadParseFlow();
    for (const file of [NL_DSMR5, BE_GAS_WATER, LU_SMARTY]) flow.parse.receive({ topic: file, payload: fixtureText(file) });

    // Everything the node sent arrives through the broker, as sent.
    await waitFor(
      () => flow.sent.length > 0 && flow.sent.every((m) => live.received.some((r) => r.topic === m.topic)),
      'every message at the subscriber',
      10_000,
    );
    for (const m of flow.sent) {
      const arrived = last(live.received, String(m.topic));
      assert.deepEqual(typeof m.payload === 'string' ? arrived?.text : JSON.parse(arrived?.text ?? 'null'), m.payload, m.topic);
    }

    const configs = configsOf(live.received);
    assert.ok(configs.length >= 60, `${configs.length} configs`);
    for (const m of configs) {
      const config = JSON.parse(m.text) as Json;
      assert.deepEqual(discoveryProblems(m.topic, config), [], m.topic);
      shownValue(live.received, config);
      assert.equal(last(live.received, config.availability_topic)?.text, 'online', `availability of ${m.topic}`);
    }

    // Dutch DSMR 5: electricity and gas as the energy dashboard wants them, values from the telegram.
    const nl = fixtureText(NL_DSMR5);
    const nlMeter = meterNode(NL_DSMR5);
    const nlImport = configAt(live.received, nlMeter, 'energyDeliveredTariff1');
    assert.ok(energyDashboardAccepts('electricity', nlImport));
    assert.equal(shownValue(live.received, nlImport), groupNumber(lineGroups(nl, '1-0:1.8.1')[0]));
    const nlGas = configAt(live.received, meterNode(NL_DSMR5, '0-1:96.1.0'), 'reading');
    assert.ok(energyDashboardAccepts('gas', nlGas));
    assert.equal(nlGas.device.via_device, nlMeter);
    assert.equal(shownValue(live.received, nlGas), groupNumber(lineGroups(nl, '0-1:24.2.1')[1]));

    // Belgian: gas, water, average demand and month peak.
    const be = fixtureText(BE_GAS_WATER);
    const beMeter = meterNode(BE_GAS_WATER);
    assert.ok(energyDashboardAccepts('gas', configAt(live.received, meterNode(BE_GAS_WATER, '0-1:96.1.1'), 'reading')));
    const water = configAt(live.received, meterNode(BE_GAS_WATER, '0-2:96.1.1'), 'reading');
    assert.ok(energyDashboardAccepts('water', water));
    assert.equal(shownValue(live.received, water), groupNumber(lineGroups(be, '0-2:24.2.1')[1]));
    assert.equal(shownValue(live.received, configAt(live.received, beMeter, 'averageDemand')), groupNumber(lineGroups(be, '1-0:1.4.0')[0]));
    assert.equal(shownValue(live.received, configAt(live.received, beMeter, 'peakDemandMonth')), groupNumber(lineGroups(be, '1-0:1.6.0')[1]));
    assert.equal(configAt(live.received, beMeter, 'peakDemandMonthTime').device_class, 'timestamp');

    // Luxembourg: its energy registers, and no sensor for what it does not send.
    const lu = fixtureText(LU_SMARTY);
    const luMeter = meterNode(LU_SMARTY, '0-0:42.0.0');
    const luImport = configAt(live.received, luMeter, 'energyDeliveredTotal');
    assert.ok(energyDashboardAccepts('electricity', luImport));
    assert.equal(shownValue(live.received, luImport), groupNumber(lineGroups(lu, '1-0:1.8.0')[0]));
    assert.equal(
      configs.some((m) => m.topic.includes(`/${luMeter}/voltageL`)),
      false,
    );

    // A subscriber that comes later (Home Assistant starting) finds every config retained, and no state (states are not retained by default).
    const late = await subscriber();
    await waitFor(() => configsOf(late.received).length === new Set(configs.map((m) => m.topic)).size, 'the retained configs', 5000);
    assert.deepEqual(
      late.received.filter((m) => !m.retain).map((m) => m.topic),
      [],
    );
    assert.equal(
      late.received.some((m) => m.topic.endsWith('/state')),
      false,
    );
  });

  it('marks the meter unavailable when p1-in reports the connection lost, available again when telegrams come back', async function () {
    bridge = await startTelegramServer(Buffer.from(fixtureText(NL_DSMR5), 'latin1'), 200);
    const live = await subscriber();
    await helper.load(
      [...NODES, p1HomeAssistant, coreMqtt],
      [
        { id: TAB, type: 'tab' },
        { id: 'meter', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port, connectTimeout: 2, idleTimeout: 30, maxBackoff: 1 },
        { id: 'in', ...at, type: 'p1-in', connection: 'meter', output: 'parsed', topic: '', rateLimit: 0, changeField: '', wires: [['ha'], ['ha']] },
        ...homeAssistantNodes(broker.port),
      ],
    );
    await mqttConnected();
    const availability = `p1/${meterNode(NL_DSMR5).slice(3)}/availability`;
    await waitFor(() => last(live.received, availability)?.text === 'online', 'online', 10_000);
    assert.ok(configsOf(live.received).length > 20);

    const seenBefore = live.received.length;
    bridge.dropClients();
    await waitFor(
      () => live.received.slice(seenBefore).some((m) => m.topic === availability && m.text === 'offline'),
      'offline after the bridge dropped',
      10_000,
    );
    await waitFor(() => statusesOf('ha').some((s) => /^offline/.test(s.text ?? '')), 'the offline status');

    // It reconnects by itself; the next telegram makes the meter available again.
    await waitFor(
      () => last(live.received, availability)?.text === 'online' && live.received.slice(seenBefore).some((m) => m.text === 'online'),
      'online again',
      10_000,
    );

    // Lost for good: the retained availability says offline to whoever subscribes later.
    await bridge.close();
    bridge = undefined;
    await waitFor(() => last(live.received, availability)?.text === 'offline', 'offline after the bridge went away', 10_000);
    const late = await subscriber();
    await waitFor(() => late.received.some((m) => m.topic === availability), 'the retained availability');
    assert.equal(last(late.received, availability)?.text, 'offline');
  });

  it('publishes everything again when Home Assistant comes online, and removes every entity on msg.action "remove"', async function () {
    const live = await subscriber();
    const flow = await loadParseFlow();
    flow.parse.receive({ topic: 'be', payload: fixtureText(BE_GAS_WATER) });
    await waitFor(() => live.received.some((m) => m.topic.endsWith('/state')), 'the first states');
    await waitFor(() => configsOf(live.received).length === flow.sent.filter((m) => String(m.topic).endsWith('/config')).length, 'the configs');
    const announced = [...new Set(configsOf(live.received).map((m) => m.topic))];

    // Home Assistant's birth message, through the broker and Node-RED's mqtt in.
    await live.publish('homeassistant/status', 'online');
    await waitFor(() => announced.every((topic) => live.received.filter((m) => m.topic === topic).length === 2), 'every config a second time', 10_000);

    // The republish is more than the configs (the availability, the last states): let all of it arrive first.
    const seen = () => live.received.filter((m) => !m.topic.startsWith('probe/') && m.topic !== 'homeassistant/status').length;
    await waitFor(() => seen() >= flow.sent.length, `everything the node sent at the subscriber (${seen()} of ${flow.sent.length})`, 10_000);
    const beforeRemoval = live.received.length;
    const sentBeforeRemoval = flow.sent.length;
    flow.ha.receive({ action: 'remove' });
    await waitFor(
      () => announced.every((topic) => live.received.slice(beforeRemoval).some((m) => m.topic === topic && m.text === '')),
      'an empty config for every sensor',
      10_000,
    );
    await waitFor(() => statusesOf('ha').some((s) => s.text === 'entities removed'), 'the removed status');

    // The broker keeps nothing of it, and further telegrams bring nothing back.
    flow.parse.receive({ topic: 'be', payload: fixtureText(BE_GAS_WATER) });
    assert.deepEqual(
      (await retainedMessages(broker.url)).map((m) => m.topic),
      [],
    );
    assert.ok(
      flow.sent.slice(sentBeforeRemoval).every((m) => m.payload === ''),
      'only removals sent',
    );
    assert.equal(live.received.slice(beforeRemoval).filter((m) => m.text !== '' && !m.topic.startsWith('probe/')).length, 0, 'quiet after removal');
  });

  it('reports input it cannot use to a catch node, and refuses a flow-file topic with a wildcard', async function () {
    await helper.load(
      [...NODES, p1HomeAssistant],
      [
        { id: TAB, type: 'tab' },
        {
          id: 'ha',
          ...at,
          type: 'p1-homeassistant',
          discoveryPrefix: 'homeassistant',
          baseTopic: 'p1',
          deviceName: 'Smart meter',
          stateInterval: 0,
          retainStates: false,
          wires: [['sent']],
        },
        {
          id: 'bad',
          ...at,
          type: 'p1-homeassistant',
          discoveryPrefix: 'homeassistant/#',
          baseTopic: 'p1',
          deviceName: 'Smart meter',
          stateInterval: 0,
          retainStates: false,
          wires: [['sent']],
        },
        { id: 'sent', ...at, type: 'helper' },
        { id: 'catcher', ...at, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', ...at, type: 'helper' },
      ],
    );
    const sent = recorder('sent');
    const caught = recorder('caught');
    (helper.getNode('ha') as { receive(msg: Msg): void }).receive({ topic: 'p1', payload: fixtureText(NL_DSMR5) });
    await waitFor(() => caught.length === 1, 'the error at the catch node');
    assert.match(String(caught[0].error.message), /Expected a parsed telegram/);
    assert.deepEqual(
      statusesOf('bad').map((s) => s.text),
      ['Invalid discovery prefix'],
    );
    (helper.getNode('bad') as { receive(msg: Msg): void }).receive({ payload: {} });
    await waitFor(() => caught.length === 2, 'the second error');
    assert.match(String(caught[1].error.message), /Invalid discovery prefix/);
    assert.equal(sent.length, 0);
  });
});
