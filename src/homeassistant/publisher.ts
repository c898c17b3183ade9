/**
 * The memory of one p1-homeassistant node: which sensors it announced to Home Assistant, which
 * availability it last published and when it last sent each device's state. Every method takes
 * what happened (a telegram, a connection change, a request) and returns the MQTT messages to
 * send, ready for Node-RED's `mqtt out`. Pure: no Node-RED, no timers; the caller passes the time.
 *
 * Rules: a config goes out once per sensor (again when it changes or on request, e.g. after Home
 * Assistant restarted); configs go before the states that need them; a device's state at most once
 * per interval; removal publishes an empty retained config for every sensor announced.
 */
import type { P1Telegram } from '../protocol/types';
import { availabilityTopic, configTopic, OFFLINE, ONLINE, sensorConfig, stateTopic, type Origin, type TopicSettings } from './discovery';
import { meterReading, type DeviceReading, type MeterReading, type StateValue } from './meter-devices';

/** What `mqtt out` needs: it sends objects as JSON and takes `retain` and `qos` from the message when its own are unset. */
export interface MqttMessage {
  topic: string;
  payload: Record<string, unknown> | string;
  retain: boolean;
  qos: 0 | 1;
}

export interface PublisherOptions extends TopicSettings {
  /** Name of the electricity meter device in Home Assistant. */
  meterName: string;
  /** Least time between two states of one device; 0 = every telegram. */
  stateIntervalMs: number;
  /** Retain states, so that a subscriber sees the last values at once. */
  retainStates: boolean;
  origin: Origin;
  /** Most meters one node serves; telegrams of further meters are refused (and counted). */
  maxMeters: number;
}

interface DeviceRecord {
  /** The latest reading: its device block and state are what a republish sends. */
  reading: DeviceReading;
  /** Config topic → config as sent (JSON), per sensor key. */
  announced: Map<string, { topic: string; json: string }>;
  /** The device block and sensors the configs were last built from: while it stays the same, so do the configs. */
  signature: string;
  lastStateAt: number | null;
}

interface MeterRecord {
  availability: typeof ONLINE | typeof OFFLINE | null;
  devices: Map<string, DeviceRecord>;
}

/** Connection phases (src/connection/connection-state.ts) in which telegrams arrive: the meter is available. */
const AVAILABLE_PHASES = new Set(['receiving']);
/** Phases that say nothing about the meter (not started yet). */
const NEUTRAL_PHASES = new Set(['idle']);

export class HomeAssistantPublisher {
  private readonly meters = new Map<string, MeterRecord>();
  /** After a removal: quiet until asked to publish again, so that the next telegram does not bring the entities back. */
  private removed = false;
  /** Telegrams refused because the node already serves `maxMeters` meters. */
  refusedTelegrams = 0;

  constructor(private readonly options: PublisherOptions) {}

  get isRemoved(): boolean {
    return this.removed;
  }

  /** Meters and sensors announced so far. */
  counts(): { meters: number; sensors: number } {
    let sensors = 0;
    for (const meter of this.meters.values()) for (const device of meter.devices.values()) sensors += device.announced.size;
    return { meters: this.meters.size, sensors };
  }

  telegram(telegram: P1Telegram, now: number): MqttMessage[] {
    return this.reading(meterReading(telegram, { meterName: this.options.meterName }), now);
  }

  /**
   * Any message turned into devices and values (meter-devices.ts does it for telegrams; other
   * message kinds, such as p1-energy's answers, need only their own such function).
   */
  reading(reading: MeterReading, now: number): MqttMessage[] {
    if (this.removed) return [];
    let meter = this.meters.get(reading.key);
    if (!meter) {
      if (this.meters.size >= this.options.maxMeters) {
        this.refusedTelegrams++;
        return [];
      }
      meter = { availability: null, devices: new Map() };
      this.meters.set(reading.key, meter);
    }
    return this.update(reading, meter, now);
  }

  /** A connection state change from p1-in's health output: offline when telegrams stopped coming. */
  connection(phase: string): MqttMessage[] {
    if (this.removed || NEUTRAL_PHASES.has(phase)) return [];
    const wanted = AVAILABLE_PHASES.has(phase) ? ONLINE : OFFLINE;
    const messages: MqttMessage[] = [];
    for (const [key, meter] of this.meters) {
      if (meter.availability === wanted) continue;
      meter.availability = wanted;
      messages.push(this.availability(key, wanted));
    }
    return messages;
  }

  /** Every config, availability and last state again (Home Assistant restarted, or the user asked). */
  republish(): MqttMessage[] {
    this.removed = false;
    const messages: MqttMessage[] = [];
    for (const [meterKey, meter] of this.meters) {
      for (const device of meter.devices.values()) {
        for (const { topic, json } of device.announced.values())
          messages.push({ topic, payload: JSON.parse(json) as Record<string, unknown>, retain: true, qos: 1 });
      }
      if (meter.availability) messages.push(this.availability(meterKey, meter.availability));
      for (const device of meter.devices.values()) messages.push(this.state(device.reading));
    }
    return messages;
  }

  /** Empty retained configs for every sensor announced (Home Assistant deletes them), and the retained topics cleared. */
  remove(): MqttMessage[] {
    const messages: MqttMessage[] = [];
    for (const [meterKey, meter] of this.meters) {
      for (const device of meter.devices.values()) {
        for (const { topic } of device.announced.values()) messages.push({ topic, payload: '', retain: true, qos: 1 });
        if (this.options.retainStates) messages.push({ topic: stateTopic(this.options, device.reading.key), payload: '', retain: true, qos: 1 });
      }
      messages.push({ topic: availabilityTopic(this.options, meterKey), payload: '', retain: true, qos: 1 });
    }
    this.meters.clear();
    this.removed = true;
    return messages;
  }

  private update(reading: MeterReading, meter: MeterRecord, now: number): MqttMessage[] {
    const configs: MqttMessage[] = [];
    const states: MqttMessage[] = [];
    for (const deviceReading of reading.devices) {
      let record = meter.devices.get(deviceReading.key);
      if (!record) {
        record = { reading: deviceReading, announced: new Map(), signature: '', lastStateAt: null };
        meter.devices.set(deviceReading.key, record);
      }
      const newConfigs = this.newConfigs(deviceReading, record, reading.key);
      configs.push(...newConfigs);
      // Sensors announced earlier but absent now read `null` (unknown) rather than failing their template.
      for (const sensorKey of record.announced.keys()) if (!(sensorKey in deviceReading.state)) deviceReading.state[sensorKey] = null;
      record.reading = deviceReading;
      const due = record.lastStateAt === null || now - record.lastStateAt >= this.options.stateIntervalMs;
      if (due || newConfigs.length > 0) {
        record.lastStateAt = now;
        states.push(this.state(deviceReading));
      }
    }
    const messages = configs;
    if (meter.availability !== ONLINE) {
      meter.availability = ONLINE;
      messages.push(this.availability(reading.key, ONLINE));
    }
    return messages.concat(states);
  }

  /** Configs for the sensors not announced yet, or whose config changed (e.g. a new unit). */
  private newConfigs(reading: DeviceReading, record: DeviceRecord, meterKey: string): MqttMessage[] {
    // Building every config for every telegram would cost more than parsing it: compare the inputs first.
    const signature = JSON.stringify([reading.device, [...reading.sensors]]);
    if (signature === record.signature) return [];
    record.signature = signature;
    const messages: MqttMessage[] = [];
    for (const [sensorKey, spec] of reading.sensors) {
      const payload = sensorConfig(this.options, reading, sensorKey, spec, meterKey, this.options.origin);
      const json = JSON.stringify(payload);
      if (record.announced.get(sensorKey)?.json === json) continue;
      const topic = configTopic(this.options, reading.key, sensorKey);
      record.announced.set(sensorKey, { topic, json });
      messages.push({ topic, payload, retain: true, qos: 1 });
    }
    return messages;
  }

  private state(reading: DeviceReading): MqttMessage {
    return {
      topic: stateTopic(this.options, reading.key),
      payload: { ...reading.state } as Record<string, StateValue>,
      retain: this.options.retainStates,
      qos: 0,
    };
  }

  private availability(meterKey: string, value: typeof ONLINE | typeof OFFLINE): MqttMessage {
    return { topic: availabilityTopic(this.options, meterKey), payload: value, retain: true, qos: 1 };
  }
}
