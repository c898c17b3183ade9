/**
 * `p1-energy`: turns parsed telegrams into the answers users otherwise build function nodes for
 * (energy today/this week/month/year, gas and water per hour, the capacity-tariff quarter hour,
 * costs). The bookkeeping lives in src/energy (pure); this file reads the dialog, keeps the
 * state in the node context store the user picked, and sends the four kinds of message.
 */
import { ZoneCalendar } from '../energy/calendar';
import { emptyBook, restoreBook, takePrices, takeTelegram, type BookSettings, type EnergyBook, type TelegramOutcome } from '../energy/energy-book';
import type { FixedPrices } from '../energy/prices';
import type { P1Telegram } from '../protocol/types';
import { describeStores, isPersistentStore, type ContextStorageSettings } from './p1-energy/context-stores';
import type { InputNode, NodeDef, NodeMessage, NodeRedApi, SendPorts } from './common/node-red';

interface P1EnergyDef extends NodeDef {
  timezone?: string;
  store?: string;
  meterKey?: 'topic' | 'equipmentId';
  interval?: number | string;
  currency?: string;
  priceDelivered1?: number | string;
  priceDelivered2?: number | string;
  priceReturned1?: number | string;
  priceReturned2?: number | string;
  priceGas?: number | string;
  priceWater?: number | string;
  pricePerDay?: number | string;
  minimumPeak?: number | string;
  demandLimit?: number | string;
  alarmOnMonthPeak?: boolean;
  waterLeakHours?: number | string;
}

/** Node context as Node-RED gives it: asynchronous get/set against a named store. */
interface NodeContext {
  get(key: string, store: string | undefined, callback: (err: Error | null, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err: Error | null) => void): void;
}

interface EnergyNode extends InputNode {
  context(): NodeContext;
}

/** The context key under which the whole book (every meter and the price schedule) is kept. */
const STATE_KEY = 'p1-energy';

export = function register(RED: NodeRedApi & { settings?: { contextStorage?: ContextStorageSettings } }): void {
  function P1EnergyNode(this: EnergyNode, def: P1EnergyDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const timeZone = (def.timezone ?? '').trim() || 'Europe/Amsterdam';
    if (!ZoneCalendar.isValidZone(timeZone)) {
      const reason = RED._('p1-energy.errors.timezone', { zone: timeZone });
      node.status({ fill: 'red', shape: 'dot', text: reason });
      node.on('input', (_msg, _send, done) => done(new Error(reason)));
      return;
    }
    const store = (def.store ?? '').trim() || undefined;
    const persistent = isPersistentStore(RED.settings?.contextStorage, store);
    if (!persistent) node.warn(RED._('p1-energy.warnings.memoryStore', { store: store ?? 'default' }));
    const settings: BookSettings = {
      calendar: new ZoneCalendar(timeZone),
      prices: fixedPrices(def),
      capacity: {
        minimumKw: nonNegative(def.minimumPeak, 2.5),
        limitKw: nonNegative(def.demandLimit, 0),
        alarmOnMonthPeak: def.alarmOnMonthPeak !== false,
      },
      waterLeakHours: nonNegative(def.waterLeakHours, 24),
      currency: (def.currency ?? '').trim() || 'EUR',
    };
    const intervalMs = nonNegative(def.interval, 0) * 1000;
    const byEquipmentId = def.meterKey === 'equipmentId';
    /** Per meter: telegram time of the last totals message, for the interval. */
    const lastSent = new Map<string, number>();
    let rejected = 0;

    // The stored state is read when the first message comes (context stores are ready by then);
    // messages wait in arrival order until it is there (a file store answers at once, others may not).
    let book: EnergyBook | null = null;
    let loading = false;
    const waiting: Array<() => void> = [];
    node.status({ fill: 'grey', shape: persistent ? 'dot' : 'ring', text: RED._('p1-energy.status.ready') });

    function load(): void {
      loading = true;
      node.status({ fill: 'grey', shape: 'ring', text: RED._('p1-energy.status.loading') });
      node.context().get(STATE_KEY, store, (err, stored) => {
        if (err) node.warn(RED._('p1-energy.warnings.loadFailed', { message: err.message }));
        book = err ? emptyBook() : restoreBook(stored);
        node.status({ fill: 'grey', shape: persistent ? 'dot' : 'ring', text: RED._('p1-energy.status.ready') });
        for (const run of waiting.splice(0)) run();
      });
    }

    function save(): void {
      node.context().set(STATE_KEY, book, store, (err) => {
        if (err) node.warn(RED._('p1-energy.warnings.saveFailed', { message: err.message }));
      });
    }

    node.on('input', (msg, send, done) => {
      const handle = () => {
        try {
          handleMessage(book as EnergyBook, msg, send, done);
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      };
      if (book) {
        handle();
        return;
      }
      waiting.push(handle);
      if (!loading) load();
    });

    function handleMessage(current: EnergyBook, msg: NodeMessage, send: (msgs: SendPorts) => void, done: (err?: Error) => void): void {
      if (msg.price !== undefined) {
        const problem = takePrices(current, msg.price, Date.now());
        if (problem) {
          reject(done, RED._('p1-energy.errors.price', { problem }));
          return;
        }
        save();
        done();
        return;
      }
      if (!isTelegram(msg.payload)) {
        reject(done, RED._('p1-energy.errors.notTelegram'));
        return;
      }
      const meter = meterKeyOf(msg, msg.payload);
      const outcome = takeTelegram(current, msg.payload, meter, Date.now(), settings);
      if (typeof outcome === 'string') {
        reject(done, outcome);
        return;
      }
      save();
      send(toPorts(outcome, msg));
      showStatus(outcome);
      done();
    }

    /** Input that cannot be used goes to a Catch node with the reason, and is counted in the status. */
    function reject(done: (err?: Error) => void, reason: string): void {
      rejected++;
      node.status({ fill: 'yellow', shape: 'ring', text: RED._('p1-energy.status.rejected', { count: rejected }) });
      done(new Error(reason));
    }

    function meterKeyOf(msg: NodeMessage, telegram: P1Telegram): string {
      const topic = typeof msg.topic === 'string' ? msg.topic.trim() : '';
      const id = typeof telegram.equipmentId === 'string' ? telegram.equipmentId : '';
      const key = byEquipmentId ? id || topic : topic || id;
      return key || 'meter';
    }

    function toPorts(outcome: TelegramOutcome, input: NodeMessage): SendPorts {
      const at = Date.parse(String(outcome.totals.time));
      const previous = lastSent.get(outcome.meter);
      const due = intervalMs === 0 || previous === undefined || at - previous >= intervalMs || at < previous || outcome.closed.length > 0;
      if (due) lastSent.set(outcome.meter, at);
      const topic = outcome.meter;
      const totals: NodeMessage | null = due ? { ...passThrough(input), topic, payload: outcome.totals, units: outcome.units } : null;
      const many = (payloads: Array<Record<string, unknown>>, suffix: (p: Record<string, unknown>) => string): NodeMessage[] | null =>
        payloads.length === 0 ? null : payloads.map((payload) => ({ topic: `${topic}/${suffix(payload)}`, payload }));
      return [
        totals,
        many(outcome.closed, (p) => `${p.medium}/${p.period}`),
        many(outcome.alarms, (p) => `${p.alarm}`),
        many(outcome.events, (p) => `${p.event}`),
      ];
    }

    function showStatus(outcome: TelegramOutcome): void {
      const t = outcome.totals;
      if (t.demandAlarm === true) {
        node.status({
          fill: 'red',
          shape: 'dot',
          text: RED._('p1-energy.status.alarm', { projected: fixed(t.demandProjected, 2), threshold: fixed(t.demandThreshold, 2) }),
        });
        return;
      }
      const gas = typeof t.gasToday === 'number' ? ` · ${fixed(t.gasToday, 2)} m³` : '';
      const problems = rejected > 0 ? ` · ${RED._('p1-energy.status.rejected', { count: rejected })}` : '';
      node.status({
        fill: 'green',
        shape: persistent ? 'dot' : 'ring',
        text: RED._('p1-energy.status.today', { kwh: fixed(t.energyDeliveredToday, smallDecimals(t.energyDeliveredToday)) }) + gas + problems,
      });
    }

    node.on('close', (_removed, closed) => {
      if (book) save();
      closed();
    });
  }

  RED.nodes.registerType('p1-energy', P1EnergyNode);

  // The editor asks which context stores exist and which of them keep their data over a restart.
  const permission = RED.auth ? [RED.auth.needsPermission('p1-energy.read')] : [];
  RED.httpAdmin.get('/p1-energy/stores', ...permission, (_req: unknown, res: { json(body: unknown): void }) => {
    res.json(describeStores(RED.settings?.contextStorage));
  });
};

/** The input message's own properties travel along on the totals message (not its telegram). */
function passThrough(msg: NodeMessage): NodeMessage {
  const { payload: _telegram, telegram: _raw, _msgid: _id, price: _price, ...rest } = msg;
  return rest;
}

function fixedPrices(def: P1EnergyDef): FixedPrices {
  const delivered2 = nonNegative(def.priceDelivered2, NaN);
  const returned2 = nonNegative(def.priceReturned2, NaN);
  const delivered1 = nonNegative(def.priceDelivered1, 0);
  const returned1 = nonNegative(def.priceReturned1, 0);
  return {
    // One price for both tariffs when the second is left empty; meters without tariff registers use the first.
    deliveredTariff: { 0: delivered1, 1: delivered1, 2: Number.isNaN(delivered2) ? delivered1 : delivered2 },
    returnedTariff: { 0: returned1, 1: returned1, 2: Number.isNaN(returned2) ? returned1 : returned2 },
    gas: nonNegative(def.priceGas, 0),
    water: nonNegative(def.priceWater, 0),
    perDay: nonNegative(def.pricePerDay, 0),
  };
}

function nonNegative(value: unknown, fallback: number): number {
  if (value === '' || value === undefined || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Three decimals while a total is small (the first Wh of a day), two after. */
function smallDecimals(value: unknown): number {
  return typeof value === 'number' && value < 10 ? 3 : 2;
}

function fixed(value: unknown, decimals: number): string {
  return typeof value === 'number' ? value.toFixed(decimals) : '–';
}

function isTelegram(payload: unknown): payload is P1Telegram {
  return typeof payload === 'object' && payload !== null && typeof (payload as { obis?: unknown }).obis === 'object';
}
