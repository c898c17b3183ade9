/**
 * `p1-filter-obis`: picks chosen values out of a parsed telegram and sends them in the shape
 * dashboards, databases and MQTT take directly. The selection logic lives in
 * p1-filter-obis/obis-selection.ts; this file only wires it to Node-RED.
 */
import type { P1Telegram } from '../protocol/types';
import type { InputNode, NodeDef, NodeMessage, NodeRedApi, SendPorts } from './common/node-red';
import { invalidSelectors, ObisSelection, type FilterMode, type SelectionResult, type TopicStyle } from './p1-filter-obis/obis-selection';
import { pickerEntries } from './p1-filter-obis/picker-entries';

interface P1FilterObisDef extends NodeDef {
  values?: unknown;
  mode?: FilterMode;
  topicStyle?: TopicStyle;
  onlyOnChange?: boolean;
  deadband?: number | string;
  minInterval?: number | string;
  scaleToW?: boolean;
}

export = function register(RED: NodeRedApi): void {
  function P1FilterObisNode(this: InputNode, def: P1FilterObisDef): void {
    RED.nodes.createNode(this, def);
    const values = Array.isArray(def.values) ? def.values.filter((v): v is string => typeof v === 'string') : [];
    const invalid = invalidSelectors(values);
    if (invalid.length > 0) this.warn(RED._('p1-filter-obis.errors.invalidValues', { values: invalid.join(', ') }));
    const mode: FilterMode = def.mode === 'object' || def.mode === 'ports' ? def.mode : 'split';
    const selection = new ObisSelection({
      values,
      mode,
      topicStyle: def.topicStyle === 'code' ? 'code' : 'name',
      scaleToW: def.scaleToW === true,
      onlyOnChange: def.onlyOnChange === true,
      deadband: nonNegative(def.deadband),
      minIntervalMs: nonNegative(def.minInterval) * 1000,
    });

    this.on('input', (msg, send, done) => {
      try {
        if (!isTelegram(msg.payload)) {
          done(new Error(RED._('p1-filter-obis.errors.notTelegram')));
          return;
        }
        const result = selection.apply(msg.payload, Date.now());
        const ports = toPorts(result, baseMessage(msg));
        if (ports.some((port) => port !== null)) send(ports);
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    /** Each outgoing message starts from the input message without its telegram, so user properties travel along. */
    function baseMessage(msg: NodeMessage): NodeMessage {
      const { payload: _telegram, telegram: _raw, ...rest } = msg;
      return rest;
    }

    function toPorts(result: SelectionResult, base: NodeMessage): SendPorts {
      const withBase = (props: object): NodeMessage => Object.assign(RED.util.cloneMessage(base), props);
      switch (result.mode) {
        case 'split':
          return result.messages.length > 0 ? [result.messages.map(withBase)] : [null];
        case 'object':
          return [result.message ? withBase(result.message) : null];
        case 'ports':
          return result.ports.map((messages) => (messages.length > 0 ? messages.map(withBase) : null));
      }
    }
  }

  RED.nodes.registerType('p1-filter-obis', P1FilterObisNode);

  // The editor's value picker offers `gas`, `water`, `heat` and every known code with its friendly name, label and unit.
  const registry = pickerEntries();
  const permission = RED.auth ? [RED.auth.needsPermission('p1-filter-obis.read')] : [];
  RED.httpAdmin.get('/p1-filter-obis/registry', ...permission, (_req: unknown, res: { json(body: unknown): void }) => {
    res.json(registry);
  });
};

function nonNegative(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function isTelegram(payload: unknown): payload is P1Telegram {
  return typeof payload === 'object' && payload !== null && typeof (payload as { obis?: unknown }).obis === 'object';
}
