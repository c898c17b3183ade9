/**
 * Home Assistant's documented rules for MQTT discovery sensors, written down as test data from
 * its documentation, independently of the code under test (src/homeassistant/sensor-catalogue.ts),
 * so that a wrong class/unit pairing in the code fails here.
 *
 * Sources:
 * - MQTT sensor options: https://www.home-assistant.io/integrations/sensor.mqtt/
 * - MQTT discovery (topic, device, origin, removal): https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
 * - Sensor device classes and their units: https://www.home-assistant.io/integrations/sensor/#device-class
 * - Device classes and state classes: https://developers.home-assistant.io/docs/core/entity/sensor/
 * - Energy dashboard: https://www.home-assistant.io/docs/energy/electricity-grid/,
 *   https://www.home-assistant.io/docs/energy/gas/, https://www.home-assistant.io/docs/energy/water/
 */

/** Options of an MQTT sensor (full names, no abbreviations) that the discovery schema knows. */
export const SENSOR_OPTIONS = new Set([
  'availability',
  'availability_mode',
  'availability_template',
  'availability_topic',
  'device',
  'device_class',
  'enabled_by_default',
  'encoding',
  'entity_category',
  'entity_picture',
  'expire_after',
  'force_update',
  'icon',
  'json_attributes_template',
  'json_attributes_topic',
  'last_reset_value_template',
  'name',
  'object_id',
  'default_entity_id',
  'options',
  'origin',
  'payload_available',
  'payload_not_available',
  'platform',
  'qos',
  'state_class',
  'state_topic',
  'suggested_display_precision',
  'unique_id',
  'unit_of_measurement',
  'value_template',
]);

/** A sensor cannot work without a state topic; without a unique id it cannot be tied to a device. */
export const REQUIRED_SENSOR_OPTIONS = ['state_topic', 'unique_id', 'device'];

/** Keys of the `device` block; at least one of `identifiers` / `connections` is needed. */
export const DEVICE_KEYS = new Set([
  'configuration_url',
  'connections',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
]);

/** Keys of the `origin` block; `name` is required. */
export const ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url']);

/** A sensor may be a diagnostic entity; `config` is not allowed for sensors. */
export const SENSOR_ENTITY_CATEGORIES = new Set(['diagnostic']);

export const STATE_CLASSES = new Set(['measurement', 'total', 'total_increasing']);

/** Per device class: the units it accepts (`null` = no unit) and the state classes allowed with it. */
export const DEVICE_CLASSES: Record<string, { units: Array<string | null>; stateClasses: string[] }> = {
  energy: {
    units: ['mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'J', 'kJ', 'MJ', 'GJ', 'cal', 'kcal', 'Mcal', 'Gcal'],
    stateClasses: ['total', 'total_increasing'],
  },
  power: { units: ['mW', 'W', 'kW', 'MW', 'GW', 'TW', 'BTU/h'], stateClasses: ['measurement'] },
  gas: { units: ['m³', 'ft³', 'CCF', 'L'], stateClasses: ['total', 'total_increasing'] },
  water: { units: ['L', 'gal', 'm³', 'ft³', 'CCF'], stateClasses: ['total', 'total_increasing'] },
  voltage: { units: ['µV', 'mV', 'V', 'kV', 'MV'], stateClasses: ['measurement'] },
  current: { units: ['mA', 'A'], stateClasses: ['measurement'] },
  frequency: { units: ['Hz', 'kHz', 'MHz', 'GHz'], stateClasses: ['measurement'] },
  power_factor: { units: ['%', null], stateClasses: ['measurement'] },
  duration: { units: ['d', 'h', 'min', 's', 'ms'], stateClasses: ['measurement', 'total', 'total_increasing'] },
  reactive_power: { units: ['var', 'kvar'], stateClasses: ['measurement'] },
  apparent_power: { units: ['VA', 'kVA'], stateClasses: ['measurement'] },
  timestamp: { units: [null], stateClasses: [] },
};

/** What each energy-dashboard source accepts. */
export const ENERGY_DASHBOARD: Record<'electricity' | 'gas' | 'water', { deviceClasses: string[]; units: string[]; stateClasses: string[] }> = {
  electricity: { deviceClasses: ['energy'], units: ['Wh', 'kWh', 'MWh', 'MJ', 'GJ'], stateClasses: ['total', 'total_increasing'] },
  gas: { deviceClasses: ['gas', 'energy'], units: ['m³', 'ft³', 'CCF', 'Wh', 'kWh', 'MWh', 'MJ', 'GJ'], stateClasses: ['total', 'total_increasing'] },
  water: { deviceClasses: ['water'], units: ['L', 'gal', 'm³', 'ft³', 'CCF'], stateClasses: ['total', 'total_increasing'] },
};

/** Discovery topic ids (node id, object id) allow only these characters. */
export const TOPIC_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * Everything wrong with one discovery config by the rules above (empty = valid).
 * `topic` is the config topic `<prefix>/sensor/<node id>/<object id>/config`.
 */
export function discoveryProblems(topic: string, config: Record<string, unknown>, prefix = 'homeassistant'): string[] {
  const problems: string[] = [];
  const levels = topic.split('/');
  if (
    levels.length !== 5 ||
    levels[0] !== prefix ||
    levels[1] !== 'sensor' ||
    levels[4] !== 'config' ||
    !TOPIC_ID.test(levels[2]) ||
    !TOPIC_ID.test(levels[3])
  ) {
    problems.push(`config topic ${topic} is not ${prefix}/sensor/<node id>/<object id>/config`);
  }
  for (const key of Object.keys(config)) if (!SENSOR_OPTIONS.has(key)) problems.push(`unknown option ${key}`);
  for (const key of REQUIRED_SENSOR_OPTIONS) if (config[key] === undefined) problems.push(`missing ${key}`);
  const device = config.device as Record<string, unknown> | undefined;
  if (device) {
    for (const key of Object.keys(device)) if (!DEVICE_KEYS.has(key)) problems.push(`unknown device key ${key}`);
    const ids = device.identifiers;
    if (!(Array.isArray(ids) && ids.length > 0) && !device.connections) problems.push('device without identifiers or connections');
  }
  const origin = config.origin as Record<string, unknown> | undefined;
  if (origin) {
    for (const key of Object.keys(origin)) if (!ORIGIN_KEYS.has(key)) problems.push(`unknown origin key ${key}`);
    if (typeof origin.name !== 'string') problems.push('origin without name');
  }
  if (config.entity_category !== undefined && !SENSOR_ENTITY_CATEGORIES.has(String(config.entity_category)))
    problems.push(`entity_category ${config.entity_category}`);
  const stateClass = config.state_class as string | undefined;
  if (stateClass !== undefined && !STATE_CLASSES.has(stateClass)) problems.push(`state_class ${stateClass}`);
  const deviceClass = config.device_class as string | undefined;
  const unit = (config.unit_of_measurement as string | undefined) ?? null;
  if (deviceClass !== undefined) {
    const rules = DEVICE_CLASSES[deviceClass];
    if (!rules) problems.push(`device_class ${deviceClass} not in the table`);
    else {
      if (!rules.units.includes(unit)) problems.push(`unit ${unit} not allowed for device_class ${deviceClass}`);
      if (stateClass !== undefined && !rules.stateClasses.includes(stateClass))
        problems.push(`state_class ${stateClass} not allowed for device_class ${deviceClass}`);
    }
  }
  return problems;
}

/** Whether the energy dashboard offers this sensor as a source of `kind`. */
export function energyDashboardAccepts(kind: keyof typeof ENERGY_DASHBOARD, config: Record<string, unknown>): boolean {
  const rules = ENERGY_DASHBOARD[kind];
  return (
    rules.deviceClasses.includes(String(config.device_class)) &&
    rules.units.includes(String(config.unit_of_measurement)) &&
    rules.stateClasses.includes(String(config.state_class))
  );
}
