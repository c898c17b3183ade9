/**
 * The Home Assistant rules without Node-RED: what p1-homeassistant publishes for real telegrams
 * of the corpus (Dutch DSMR 5 with gas, Belgian with gas, water and peaks, Luxembourg), checked
 * against Home Assistant's documented discovery rules (ha-discovery-rules.ts), and how it behaves
 * over time: once per sensor, rate-limited states, availability, republish and removal.
 */
import { strict as assert } from 'node:assert';
import { parseTelegram } from '../../src/protocol/parser';
import type { P1Telegram } from '../../src/protocol/types';
import { HomeAssistantPublisher, type MqttMessage, type PublisherOptions } from '../../src/homeassistant/publisher';
import { loadCorpus } from '../protocol/corpus-files';
import { discoveryProblems, energyDashboardAccepts } from './ha-discovery-rules';
import { BE_GAS_WATER, BE_PEAKS, fixtureText, groupNumber, lineGroups, LU_SMARTY, NL_DSMR5 } from './meter-fixtures';

const OPTIONS: PublisherOptions = {
  discoveryPrefix: 'homeassistant',
  baseTopic: 'p1',
  meterName: 'Smart meter',
  stateIntervalMs: 0,
  retainStates: false,
  origin: { name: 'node-red-contrib-dsmr-p1', sw_version: '0.1.0' },
  maxMeters: 4,
};

function telegramOf(file: string): P1Telegram {
  return parseTelegram(fixtureText(file));
}

type Json = Record<string, any>;
const configs = (messages: MqttMessage[]) => messages.filter((m) => m.topic.endsWith('/config'));
const configFor = (messages: MqttMessage[], node: string, object: string): Json => {
  const found = messages.find((m) => m.topic === `homeassistant/sensor/${node}/${object}/config`);
  assert.ok(
    found,
    `no config for ${node}/${object}; have ${configs(messages)
      .map((m) => m.topic)
      .join(', ')}`,
  );
  return found.payload as Json;
};
const stateOn = (messages: MqttMessage[], topic: string): Json => {
  const found = messages.filter((m) => m.topic === topic).at(-1);
  assert.ok(found, `no state on ${topic}`);
  return found.payload as Json;
};

/** What Home Assistant would show for a sensor: its value_template (`{{ value_json.<key> }}`) applied to the last state on its state topic. */
function renderedValue(messages: MqttMessage[], config: Json): unknown {
  const key = /^\{\{ value_json\.([A-Za-z0-9_]+) \}\}$/.exec(String(config.value_template))?.[1];
  assert.ok(key, `value_template ${config.value_template}`);
  const state = stateOn(messages, config.state_topic);
  assert.ok(key in state, `${key} missing in the state on ${config.state_topic}`);
  return state[key];
}

describe('Home Assistant discovery (src/homeassistant)', function () {
  describe('every clean corpus telegram', function () {
    const telegrams = loadCorpus().filter((e) => !e.encrypted && e.crc === 'valid' && e.file.endsWith('.txt') && e.kind.startsWith('real'));

    it('has real telegrams to check', function () {
      assert.ok(telegrams.length >= 15, `only ${telegrams.length}`);
    });

    it("gives configs that follow Home Assistant's documented rules, each with a value in its state topic and an availability", function () {
      for (const entry of telegrams) {
        const messages = new HomeAssistantPublisher(OPTIONS).telegram(parseTelegram(entry.bytes.toString('latin1')), 0);
        assert.ok(configs(messages).length > 0, `${entry.file}: no sensors`);
        for (const message of configs(messages)) {
          const config = message.payload as Json;
          assert.deepEqual(discoveryProblems(message.topic, config), [], `${entry.file} ${message.topic}`);
          assert.equal(message.retain, true);
          renderedValue(messages, config);
          assert.equal(messages.find((m) => m.topic === config.availability_topic)?.payload, 'online', `${entry.file}: availability of ${message.topic}`);
        }
        const uniqueIds = configs(messages).map((m) => (m.payload as Json).unique_id);
        assert.equal(new Set(uniqueIds).size, uniqueIds.length, `${entry.file}: unique ids repeat`);
      }
    });
  });

  it('Dutch DSMR 5 with gas: one meter device, the gas meter as its own device, all ready for the energy dashboard', function () {
    const text = fixtureText(NL_DSMR5);
    const messages = new HomeAssistantPublisher(OPTIONS).telegram(telegramOf(NL_DSMR5), 0);
    const meterId = Buffer.from(lineGroups(text, '0-0:96.1.1')[0], 'hex').toString('latin1');
    const gasId = Buffer.from(lineGroups(text, '0-1:96.1.0')[0], 'hex').toString('latin1');
    const node = `p1_${meterId}`;

    const t1 = configFor(messages, node, 'energyDeliveredTariff1');
    assert.ok(energyDashboardAccepts('electricity', t1), JSON.stringify(t1));
    assert.deepEqual(t1.device.identifiers, [node]);
    assert.equal(t1.device.manufacturer, 'Iskraemeco');
    assert.equal(t1.device.model, 'M550T-1011');
    assert.equal(t1.device.serial_number, meterId);
    assert.equal(t1.device.sw_version, lineGroups(text, '1-3:0.2.8')[0]);
    assert.equal(renderedValue(messages, t1), groupNumber(lineGroups(text, '1-0:1.8.1')[0]));
    for (const register of ['energyDeliveredTariff2', 'energyReturnedTariff1', 'energyReturnedTariff2', 'energyDeliveredSum', 'energyReturnedSum']) {
      assert.ok(energyDashboardAccepts('electricity', configFor(messages, node, register)), register);
    }

    const power = configFor(messages, node, 'powerReturned');
    assert.deepEqual([power.device_class, power.state_class, power.unit_of_measurement], ['power', 'measurement', 'kW']);
    assert.equal(renderedValue(messages, power), groupNumber(lineGroups(text, '1-0:2.7.0')[0]));
    const voltage = configFor(messages, node, 'voltageL2');
    assert.deepEqual([voltage.device_class, voltage.state_class, voltage.unit_of_measurement], ['voltage', 'measurement', 'V']);
    const current = configFor(messages, node, 'currentL1');
    assert.deepEqual([current.device_class, current.state_class, current.unit_of_measurement], ['current', 'measurement', 'A']);

    const gas = configFor(messages, `p1_${gasId}`, 'reading');
    assert.ok(energyDashboardAccepts('gas', gas), JSON.stringify(gas));
    assert.equal(gas.unit_of_measurement, 'm³');
    assert.deepEqual(gas.device.identifiers, [`p1_${gasId}`]);
    assert.equal(gas.device.via_device, node, 'the gas meter hangs under the electricity meter');
    assert.equal(gas.availability_topic, t1.availability_topic, "gas follows the meter's availability");
    const [time, reading] = lineGroups(text, '0-1:24.2.1');
    assert.equal(renderedValue(messages, gas), groupNumber(reading));
    assert.match(
      String(renderedValue(messages, configFor(messages, `p1_${gasId}`, 'readingTime'))),
      new RegExp(`^20${time.slice(0, 2)}-${time.slice(2, 4)}-${time.slice(4, 6)}T`),
    );

    assert.equal(
      configs(messages).some((m) => /water|averageDemand|peakDemand/.test(m.topic)),
      false,
      'nothing the meter does not send',
    );
  });

  it('Belgian meter: gas and water devices, the current average demand and the month peak with its time', function () {
    const text = fixtureText(BE_GAS_WATER);
    const messages = new HomeAssistantPublisher(OPTIONS).telegram(telegramOf(BE_GAS_WATER), 0);
    const meterId = Buffer.from(lineGroups(text, '0-0:96.1.1')[0], 'hex').toString('latin1');
    const node = `p1_${meterId}`;
    const gasId = Buffer.from(lineGroups(text, '0-1:96.1.1')[0], 'hex').toString('latin1');
    const waterId = Buffer.from(lineGroups(text, '0-2:96.1.1')[0], 'hex').toString('latin1');

    const gas = configFor(messages, `p1_${gasId}`, 'reading');
    assert.ok(energyDashboardAccepts('gas', gas));
    assert.equal(renderedValue(messages, gas), groupNumber(lineGroups(text, '0-1:24.2.3')[1]));
    const water = configFor(messages, `p1_${waterId}`, 'reading');
    assert.ok(energyDashboardAccepts('water', water), JSON.stringify(water));
    assert.equal(water.device.name, 'Water meter');
    assert.equal(water.device.via_device, node);
    assert.equal(renderedValue(messages, water), groupNumber(lineGroups(text, '0-2:24.2.1')[1]));

    const average = configFor(messages, node, 'averageDemand');
    assert.deepEqual([average.device_class, average.state_class, average.unit_of_measurement], ['power', 'measurement', 'kW']);
    assert.equal(renderedValue(messages, average), groupNumber(lineGroups(text, '1-0:1.4.0')[0]));
    const peak = configFor(messages, node, 'peakDemandMonth');
    assert.deepEqual([peak.device_class, peak.state_class, peak.unit_of_measurement], ['power', 'measurement', 'kW']);
    const [peakTime, peakValue] = lineGroups(text, '1-0:1.6.0');
    assert.equal(renderedValue(messages, peak), groupNumber(peakValue));
    const peakAt = configFor(messages, node, 'peakDemandMonthTime');
    assert.equal(peakAt.device_class, 'timestamp');
    assert.equal(peakAt.unit_of_measurement, undefined);
    // 200509134558S: summer time, +02:00
    assert.equal(
      new Date(String(renderedValue(messages, peakAt))).toISOString(),
      new Date(
        `20${peakTime.slice(0, 2)}-${peakTime.slice(2, 4)}-${peakTime.slice(4, 6)}T${peakTime.slice(6, 8)}:${peakTime.slice(8, 10)}:${peakTime.slice(10, 12)}+02:00`,
      ).toISOString(),
    );
    assert.equal(peakTime.endsWith('S'), true);
  });

  it('Luxembourg Smarty: sensors for what it sends, none for what it does not (no voltage, no gas)', function () {
    const text = fixtureText(LU_SMARTY);
    const messages = new HomeAssistantPublisher(OPTIONS).telegram(telegramOf(LU_SMARTY), 0);
    const node = `p1_${Buffer.from(lineGroups(text, '0-0:42.0.0')[0], 'hex').toString('latin1')}`;
    const imported = configFor(messages, node, 'energyDeliveredTotal');
    assert.ok(energyDashboardAccepts('electricity', imported));
    assert.equal(renderedValue(messages, imported), groupNumber(lineGroups(text, '1-0:1.8.0')[0]));
    assert.ok(energyDashboardAccepts('electricity', configFor(messages, node, 'energyReturnedTotal')));
    assert.equal(configFor(messages, node, 'reactiveEnergyDeliveredTotal').unit_of_measurement, 'kvarh');
    assert.equal(text.includes('1-0:32.7.0'), false);
    assert.equal(
      configs(messages).some((m) => /voltageL|reading/.test(m.topic)),
      false,
    );
    assert.equal(new Set(configs(messages).map((m) => (m.payload as Json).device.identifiers[0])).size, 1, 'one device: no M-Bus meters');
  });

  describe('over time', function () {
    it('announces each sensor once, and a sensor that appears later when it appears', function () {
      const publisher = new HomeAssistantPublisher(OPTIONS);
      const telegram = telegramOf(NL_DSMR5);
      const first = publisher.telegram(telegram, 0);
      const second = publisher.telegram(telegram, 1000);
      assert.equal(configs(second).length, 0);
      assert.deepEqual(second.map((m) => m.topic).sort(), ['p1/E0034006810516416/state', 'p1/G0039001700460117/state']);

      const withPeak = { ...telegram, averageDemand: 1.25, units: { ...telegram.units, averageDemand: 'kW' } } as P1Telegram;
      const third = publisher.telegram(withPeak, 2000);
      assert.deepEqual(
        configs(third).map((m) => m.topic),
        ['homeassistant/sensor/p1_E0034006810516416/averageDemand/config'],
      );
      assert.ok(third.indexOf(configs(third)[0]) < third.findIndex((m) => m.topic === 'p1/E0034006810516416/state'), 'config before the state that needs it');

      // A sensor announced earlier and missing now reads null (unknown), not a broken template.
      const fourth = publisher.telegram(telegram, 3000);
      assert.equal(stateOn(fourth, 'p1/E0034006810516416/state').averageDemand, null);
      assert.equal(publisher.counts().sensors, configs(first).length + 1);
    });

    it('announces a sensor again when its unit changes', function () {
      const publisher = new HomeAssistantPublisher(OPTIONS);
      const telegram = telegramOf(NL_DSMR5);
      publisher.telegram(telegram, 0);
      const inWatt = { ...telegram, powerDelivered: 250, units: { ...telegram.units, powerDelivered: 'W' } } as P1Telegram;
      const again = configs(publisher.telegram(inWatt, 1000));
      assert.equal(again.length, 1);
      assert.equal((again[0].payload as Json).unit_of_measurement, 'W');
    });

    it("sends a device's state at most once per interval", function () {
      const publisher = new HomeAssistantPublisher({ ...OPTIONS, stateIntervalMs: 10_000 });
      const telegram = telegramOf(BE_PEAKS);
      const states = (now: number) => publisher.telegram(telegram, now).filter((m) => m.topic.endsWith('/state')).length;
      assert.equal(states(0), 1);
      assert.equal(states(1000), 0);
      assert.equal(states(9999), 0);
      assert.equal(states(10_000), 1);
      assert.equal(states(12_000), 0);
    });

    it('marks the meter and its M-Bus devices unavailable when the connection is lost, available with the next telegram', function () {
      const publisher = new HomeAssistantPublisher(OPTIONS);
      assert.deepEqual(publisher.connection('reconnecting'), [], 'no meter known yet');
      publisher.telegram(telegramOf(BE_GAS_WATER), 0);
      assert.deepEqual(publisher.connection('receiving'), [], 'already online');
      const lost = publisher.connection('reconnecting');
      assert.deepEqual(lost, [{ topic: 'p1/1SAG3101021605/availability', payload: 'offline', retain: true, qos: 1 }]);
      assert.deepEqual(publisher.connection('stalled'), [], 'said once');
      assert.deepEqual(publisher.connection('idle'), []);
      const back = publisher.telegram(telegramOf(BE_GAS_WATER), 1000);
      const online = back.findIndex((m) => m.topic === 'p1/1SAG3101021605/availability');
      assert.equal(back[online].payload, 'online');
      assert.ok(online < back.findIndex((m) => m.topic.endsWith('/state')), 'available before the new states');
      assert.deepEqual(
        publisher.connection('stalled').map((m) => m.payload),
        ['offline'],
      );
      assert.deepEqual(
        publisher.connection('receiving').map((m) => m.payload),
        ['online'],
      );
    });

    it('republishes every config, the availability and the last states on request', function () {
      const publisher = new HomeAssistantPublisher(OPTIONS);
      const first = publisher.telegram(telegramOf(BE_GAS_WATER), 0);
      publisher.connection('failed');
      const again = publisher.republish();
      assert.deepEqual(
        configs(again).map((m) => [m.topic, m.payload]),
        configs(first).map((m) => [m.topic, m.payload]),
      );
      assert.equal(again.find((m) => m.topic.endsWith('/availability'))?.payload, 'offline', 'the availability as it is now');
      assert.deepEqual(
        again
          .filter((m) => m.topic.endsWith('/state'))
          .map((m) => m.topic)
          .sort(),
        first
          .filter((m) => m.topic.endsWith('/state'))
          .map((m) => m.topic)
          .sort(),
      );
    });

    it('removes every sensor it announced with an empty retained config, then stays quiet until asked to publish again', function () {
      const publisher = new HomeAssistantPublisher({ ...OPTIONS, retainStates: true });
      const announced = configs(publisher.telegram(telegramOf(BE_GAS_WATER), 0)).map((m) => m.topic);
      const removal = publisher.remove();
      for (const topic of announced)
        assert.ok(
          removal.some((m) => m.topic === topic && m.payload === '' && m.retain),
          `${topic} removed`,
        );
      assert.ok(removal.some((m) => m.topic === 'p1/1SAG3101021605/availability' && m.payload === '' && m.retain));
      assert.ok(
        removal.some((m) => m.topic === 'p1/7FLO2119033733/state' && m.payload === '' && m.retain),
        'retained states cleared',
      );
      assert.equal(removal.filter((m) => m.payload !== '').length, 0);
      assert.ok(publisher.isRemoved);
      assert.deepEqual(publisher.telegram(telegramOf(BE_GAS_WATER), 1000), []);
      assert.deepEqual(publisher.connection('reconnecting'), []);
      assert.deepEqual(publisher.republish(), [], 'nothing left to republish');
      assert.deepEqual(
        configs(publisher.telegram(telegramOf(BE_GAS_WATER), 2000)).map((m) => m.topic),
        announced,
        'announced again after republish',
      );
    });

    it('serves at most maxMeters meters and counts the telegrams it refuses', function () {
      const publisher = new HomeAssistantPublisher({ ...OPTIONS, maxMeters: 1 });
      assert.ok(publisher.telegram(telegramOf(NL_DSMR5), 0).length > 0);
      assert.deepEqual(publisher.telegram(telegramOf(BE_GAS_WATER), 0), []);
      assert.equal(publisher.refusedTelegrams, 1);
      assert.equal(publisher.counts().meters, 1);
    });

    it('uses the configured prefix and base topic everywhere', function () {
      const messages = new HomeAssistantPublisher({ ...OPTIONS, discoveryPrefix: 'ha', baseTopic: 'home/meter' }).telegram(telegramOf(NL_DSMR5), 0);
      for (const m of messages) assert.match(m.topic, /^(ha\/sensor\/|home\/meter\/)/);
      for (const m of configs(messages)) {
        assert.deepEqual(discoveryProblems(m.topic, m.payload as Json, 'ha'), []);
        assert.match(String((m.payload as Json).state_topic), /^home\/meter\/[^/]+\/state$/);
      }
    });
  });
});
