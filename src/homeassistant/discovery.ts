/**
 * Home Assistant's MQTT discovery format: the topics and the config payload of one sensor.
 * Facts from https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and
 * https://www.home-assistant.io/integrations/sensor.mqtt/:
 * - config topic `<discovery prefix>/sensor/<node id>/<object id>/config`, ids in `[a-zA-Z0-9_-]`
 *   (node id here `p1_<device key>`, so that our configs never collide with another publisher's);
 * - a sensor needs `state_topic`; `unique_id` and a `device` with `identifiers` put it in the
 *   device registry; `value_template` picks its value out of a JSON state payload;
 * - `availability_topic` with the default payloads `online` / `offline`;
 * - an empty retained config removes the entity;
 * - MQTT entities are always named after their device plus `name` (no `has_entity_name` option).
 */
import type { DeviceReading, HaDevice } from './meter-devices';
import type { SensorSpec } from './sensor-catalogue';

export interface TopicSettings {
  /** Home Assistant's discovery prefix, `homeassistant` unless changed in Home Assistant. */
  discoveryPrefix: string;
  /** Where the states and the availability go, e.g. `p1`. */
  baseTopic: string;
}

/** Who publishes the configs (`origin` in the discovery payload; shown in Home Assistant's MQTT info). */
export interface Origin {
  name: string;
  sw_version?: string;
  support_url?: string;
}

export function configTopic(topics: TopicSettings, deviceKey: string, sensorKey: string): string {
  return `${topics.discoveryPrefix}/sensor/p1_${deviceKey}/${sensorKey}/config`;
}

export function stateTopic(topics: TopicSettings, deviceKey: string): string {
  return `${topics.baseTopic}/${deviceKey}/state`;
}

export function availabilityTopic(topics: TopicSettings, meterKey: string): string {
  return `${topics.baseTopic}/${meterKey}/availability`;
}

export const ONLINE = 'online';
export const OFFLINE = 'offline';

/** The discovery config of one sensor of `reading`'s device, whose availability follows its meter. */
export function sensorConfig(
  topics: TopicSettings,
  reading: DeviceReading,
  sensorKey: string,
  spec: SensorSpec,
  meterKey: string,
  origin: Origin,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    name: spec.label,
    unique_id: `p1_${reading.key}_${sensorKey}`,
    state_topic: stateTopic(topics, reading.key),
    value_template: `{{ value_json.${sensorKey} }}`,
    availability_topic: availabilityTopic(topics, meterKey),
  };
  if (spec.deviceClass) config.device_class = spec.deviceClass;
  if (spec.stateClass) config.state_class = spec.stateClass;
  if (spec.unit) config.unit_of_measurement = spec.unit;
  if (spec.icon) config.icon = spec.icon;
  if (spec.diagnostic) config.entity_category = 'diagnostic';
  config.device = { ...reading.device } satisfies HaDevice;
  config.origin = origin;
  return config;
}

/** Discovery prefix and base topic: MQTT topic levels without wildcards and without empty levels. */
export function isValidBaseTopic(topic: string): boolean {
  return topic.length > 0 && !/[+#]/.test(topic) && !topic.includes('\0') && topic.split('/').every((level) => level.length > 0);
}
