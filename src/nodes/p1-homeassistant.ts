/**
 * p1-homeassistant: turns p1-in / p1-parse telegrams and p1-in's health messages into ready MQTT
 * messages for Node-RED's `mqtt out`: Home Assistant discovery configs, states and availability.
 * The rules live in src/homeassistant/; this file reads the options, tells the kinds of input
 * apart and shows what was published in the status.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { P1Telegram } from '../protocol/types';
import { isValidBaseTopic, type Origin } from '../homeassistant/discovery';
import { HomeAssistantPublisher, type MqttMessage } from '../homeassistant/publisher';
import type { InputNode, NodeDef, NodeMessage, NodeRedApi, NodeStatus } from './common/node-red';

interface P1HomeAssistantDef extends NodeDef {
  discoveryPrefix?: string;
  baseTopic?: string;
  deviceName?: string;
  /** Seconds between two states of one device; 0 = every telegram. */
  stateInterval?: number | string;
  retainStates?: boolean;
}

/** One node serves the meters of one connection; a few more are allowed for p1-parse fed from several sources. */
const MAX_METERS = 16;

export = function register(RED: NodeRedApi): void {
  const origin = packageOrigin();

  function P1HomeAssistantNode(this: InputNode, def: P1HomeAssistantDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (key: string, subs?: Record<string, unknown>) => RED._(`p1-homeassistant.${key}`, subs);
    const discoveryPrefix = (def.discoveryPrefix ?? '').trim() || 'homeassistant';
    const baseTopic = (def.baseTopic ?? '').trim() || 'p1';
    const interval = Number(def.stateInterval ?? 10);
    const problem = !isValidBaseTopic(discoveryPrefix)
      ? t('errors.discoveryPrefix')
      : !isValidBaseTopic(baseTopic)
        ? t('errors.baseTopic')
        : !(Number.isFinite(interval) && interval >= 0)
          ? t('errors.stateInterval')
          : null;
    if (problem) {
      // Only possible by editing the flow file: refuse every input with the reason.
      node.status({ fill: 'red', shape: 'dot', text: problem });
      node.on('input', (_msg, _send, done) => done(new Error(problem)));
      return;
    }

    const publisher = new HomeAssistantPublisher({
      discoveryPrefix,
      baseTopic,
      meterName: (def.deviceName ?? '').trim() || 'Smart meter',
      stateIntervalMs: interval * 1000,
      retainStates: def.retainStates === true,
      origin,
      maxMeters: MAX_METERS,
    });
    let warnedRefused = false;
    let shownStatus = '';

    function showStatus(offlineBecause?: string): void {
      const { meters, sensors } = publisher.counts();
      const status: NodeStatus | null = publisher.isRemoved
        ? { fill: 'grey', shape: 'ring', text: t('status.removed') }
        : offlineBecause
          ? { fill: 'yellow', shape: 'ring', text: t('status.offline', { state: offlineBecause }) }
          : meters > 0
            ? { fill: 'green', shape: 'dot', text: t('status.publishing', { sensors, meters }) }
            : null;
      // Telegrams come every second; the editor needs to hear only about changes.
      if (!status || status.text === shownStatus) return;
      shownStatus = status.text ?? '';
      node.status(status);
    }

    node.on('input', (msg, send, done) => {
      const out = (messages: MqttMessage[]) => {
        if (messages.length > 0) send([messages.map((m) => ({ ...m }) as NodeMessage)]);
      };
      const payload = msg.payload;
      if (msg.action === 'remove') {
        out(publisher.remove());
        showStatus();
      } else if (msg.action === 'republish' || isHomeAssistantStatus(msg, 'online')) {
        out(publisher.republish());
        showStatus();
      } else if (isHomeAssistantStatus(msg, 'offline')) {
        // Home Assistant went away; its birth message will ask for everything again.
      } else if (isHealth(payload)) {
        out(publisher.connection(payload.state));
        showStatus(payload.state === 'receiving' || payload.state === 'idle' ? undefined : payload.state);
      } else if (isTelegram(payload)) {
        out(publisher.telegram(payload, Date.now()));
        if (publisher.refusedTelegrams > 0 && !warnedRefused) {
          warnedRefused = true;
          node.warn(t('errors.tooManyMeters', { max: MAX_METERS }));
        }
        showStatus();
      } else {
        done(new Error(t('errors.unknownInput')));
        return;
      }
      done();
    });
  }

  RED.nodes.registerType('p1-homeassistant', P1HomeAssistantNode);
};

/** Home Assistant's birth and will messages: `<prefix>/status` = `online` / `offline`. */
function isHomeAssistantStatus(msg: NodeMessage, value: 'online' | 'offline'): boolean {
  return typeof msg.topic === 'string' && msg.topic.endsWith('/status') && msg.payload === value;
}

/** p1-in's second output: `{ state, detail, counters }`. */
function isHealth(payload: unknown): payload is { state: string } {
  return typeof payload === 'object' && payload !== null && typeof (payload as { state?: unknown }).state === 'string' && 'counters' in payload;
}

function isTelegram(payload: unknown): payload is P1Telegram {
  if (typeof payload !== 'object' || payload === null) return false;
  const t = payload as Partial<P1Telegram>;
  return typeof t.header === 'string' && typeof t.obis === 'object' && t.obis !== null && typeof t.units === 'object' && typeof t.mbus === 'object';
}

/** The `origin` of the discovery configs: this package, its version and where to ask for help. */
function packageOrigin(): Origin {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      repository?: { url?: string };
    };
    const url = manifest.repository?.url?.replace(/^git\+/, '').replace(/\.git$/, '');
    return url ? { name: manifest.name, sw_version: manifest.version, support_url: url } : { name: manifest.name, sw_version: manifest.version };
  } catch {
    return { name: 'node-red-contrib-dsmr-p1' };
  }
}
