/**
 * End to end: the packed package in a real Node-RED (child process, admin API over HTTP),
 * every example flow deployed and checked through what the debug sidebar shows.
 * See test/support/example-flows.ts for the (few) changes made to the examples.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { FIXTURES } from '../support/paths';
import { NODE_RED_VERSION } from '../support/node-red';
import { adminRequest, deployFlows, type NodeRedProcess } from '../support/node-red-process';
import { NodeRedComms, type DebugMessage } from '../support/node-red-comms';
import { PACKAGE_NAME, startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { exampleFiles, loadExample, mqttStandInRoute, tapId, testableFlow, type FlowNode } from '../support/example-flows';
import { startTelegramServer, type TelegramServer } from '../support/telegram-server';
import { FakeDongle } from '../support/http-dongle';
import { SimulatedMeter } from '../../src/transport/simulated-meter';

const NODE_TYPES = ['p1-connection', 'p1-in', 'p1-parse', 'p1-filter-obis', 'p1-energy', 'p1-homeassistant'];

/** A real Dutch DSMR 5 telegram and the values a reader must find in it. */
const NL_TELEGRAM = path.join(FIXTURES, 'athombv__node-dsmr-parser', 'dsmr_5.0_isk_1.txt');
/** A real encrypted Luxembourg frame, its key and its plaintext. */
const LU_FRAME = path.join(FIXTURES, 'NEXXTLAB__go-smarty-reader', 'lu_smarty_real_encrypted_frame');

/** The number in the first `code(…*unit)` line of a telegram text: the expected value comes from the fixture, not from the code under test. */
function registerValue(telegram: string, code: string): number {
  const match = new RegExp(`^${code.replace(/[.*]/g, '\\$&')}\\((\\d+\\.?\\d*)\\*`, 'm').exec(telegram);
  assert.ok(match, `${code} not in fixture`);
  return Number(match[1]);
}

/** POSTs a plain-text body (as an MQTT payload string arrives), resolving with the status code. */
function postText(url: URL, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(text);
  });
}

function connection(patch: Record<string, unknown>): (node: FlowNode) => FlowNode {
  return (node) => (node.type === 'p1-connection' ? { ...node, ...patch } : node);
}

const simulator = (profile: 'nl-dsmr5' | 'be-fluvius') => connection({ source: 'simulator', simulatorProfile: profile, simulatorInterval: 1 });

/** Belgian telegrams of a January evening, one a second: the simulated household draws from the grid (no sun). */
function winterEveningTelegrams(count: number): Buffer {
  const meter = new SimulatedMeter('be-fluvius', 2);
  const start = Date.UTC(2026, 0, 15, 18, 0, 5); // 19:00:05 in Brussels
  return Buffer.from(Array.from({ length: count }, (_, i) => meter.telegramAt(start + i * 1000)).join(''), 'latin1');
}

const payloadOf = (m: DebugMessage) => m.value as Record<string, unknown>;
const isTelegram = (m: DebugMessage) => typeof m.value === 'object' && m.value !== null && 'obis' in (m.value as object);

describe(`example flows in a real Node-RED ${NODE_RED_VERSION} (packed package)`, function () {
  this.timeout(120000);
  let packed: PackedNodeRed | undefined;
  let nodeRed: NodeRedProcess | undefined;
  let comms: NodeRedComms | undefined;

  before(async function () {
    this.timeout(240000);
    // Whole telegrams in the debug sidebar, not the default 1000 characters.
    packed = await startPackedNodeRed([], { debugMaxLength: 200000 });
    nodeRed = packed.nodeRed;
    comms = await NodeRedComms.connect(nodeRed.url);
  });

  after(async function () {
    this.timeout(30000);
    comms?.close();
    await packed?.dispose();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && nodeRed) console.log(nodeRed.output().split('\n').slice(-40).join('\n'));
  });

  async function deploy(flow: FlowNode[]): Promise<NodeRedComms> {
    assert.ok(nodeRed && comms);
    await comms.waitForDeploy(await deployFlows(nodeRed.url, [])); // stop the previous example (and release its sources) first
    comms.clear();
    await comms.waitForDeploy(await deployFlows(nodeRed.url, flow));
    return comms;
  }

  it('ships only the built runtime, editor files, examples and icons', () => {
    const packedFiles = packed?.packedFiles ?? [];
    for (const type of NODE_TYPES) {
      assert.ok(packedFiles.includes(`dist/src/nodes/${type}.js`), `${type}.js packed`);
      assert.ok(packedFiles.includes(`dist/src/nodes/${type}.html`), `${type}.html packed`);
    }
    assert.deepEqual(
      packedFiles.filter((f) => f.startsWith('examples/')).sort(),
      exampleFiles().map((f) => `examples/${f}`),
    );
    assert.ok(!packedFiles.some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'no tests or sources in the package');
  });

  it('loads every node type from the packed package without error', async () => {
    assert.ok(nodeRed);
    const nodeSets = await adminRequest<Array<{ module: string; types: string[]; enabled: boolean; err?: unknown }>>(nodeRed.url, 'GET', 'nodes');
    const ours = nodeSets.filter((set) => set.module === PACKAGE_NAME);
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), [...NODE_TYPES].sort());
    for (const set of ours) {
      assert.equal(set.err, undefined, `${set.types.join(',')}: ${JSON.stringify(set.err)}`);
      assert.equal(set.enabled, true);
    }
    const module = await adminRequest<{ version: string; local: boolean }>(nodeRed.url, 'GET', `nodes/${PACKAGE_NAME}`);
    assert.equal(module.local, true, 'loaded from the user directory');
  });

  it('offers every example under Import > Examples', async () => {
    assert.ok(nodeRed);
    const listing = JSON.stringify(await adminRequest(nodeRed.url, 'GET', `library/examples/flows/${PACKAGE_NAME}`));
    for (const file of exampleFiles()) {
      const name = file.replace(/\.json$/, '');
      assert.ok(listing.includes(name), `${name} listed in ${listing}`);
      const served: unknown = await adminRequest(nodeRed.url, 'GET', `library/examples/flows/${PACKAGE_NAME}/${encodeURIComponent(name)}`);
      assert.deepEqual(served, loadExample(file), `${name} served as shipped`);
    }
  });

  it('every example starts with a comment and every node type appears in an example', () => {
    const used = new Set<string>();
    for (const file of exampleFiles()) {
      const example = loadExample(file);
      assert.equal(example[0].type, 'comment', `${file} starts with a comment`);
      assert.ok(String(example[0].info ?? '').includes('Change'), `${file}: the comment says what to change`);
      for (const n of example) used.add(n.type);
    }
    for (const type of NODE_TYPES) assert.ok(used.has(type), `${type} is in an example`);
  });

  it('01 USB P1 cable → debug: telegrams and connection state (simulator instead of the cable)', async () => {
    const c = await deploy(testableFlow(loadExample('01 USB P1 cable to debug.json'), simulator('nl-dsmr5')));
    const telegram = await c.waitForDebug('telegram', isTelegram);
    const payload = payloadOf(telegram);
    assert.equal(typeof payload.powerDelivered, 'number');
    assert.equal(typeof payload.energyDeliveredTariff1, 'number');
    assert.equal((payload.crc as { valid: boolean }).valid, true);
    await c.waitForDebug('connection state', (m) => (m.value as { state?: string }).state === 'receiving');
    await c.waitForStatus('ex1.health', (s) => s.text === 'receiving');
  });

  describe('02 ESP8266 bridge over TCP → debug', () => {
    let bridge: TelegramServer | undefined;
    afterEach(async () => {
      await bridge?.close();
      bridge = undefined;
    });

    it('reads a real telegram from a TCP bridge and alerts when the bridge drops', async () => {
      const text = fs.readFileSync(NL_TELEGRAM, 'latin1');
      bridge = await startTelegramServer(Buffer.from(text, 'latin1'), 300);
      const c = await deploy(
        testableFlow(loadExample('02 ESP8266 bridge over TCP to debug.json'), connection({ host: '127.0.0.1', port: bridge.port, maxBackoff: 1 })),
      );
      const telegram = payloadOf(await c.waitForDebug('telegram', isTelegram));
      assert.equal(telegram.energyDeliveredTariff1, registerValue(text, '1-0:1.8.1'));
      assert.equal(telegram.powerDelivered, registerValue(text, '1-0:1.7.0'));
      await c.waitForDebug('connection alert', (m) => m.value === 'P1 meter: receiving telegrams again');

      const before = c.from('connection alert').length;
      bridge.dropClients();
      const alert = await c.waitForDebug(
        'connection alert',
        (m) => c.from('connection alert').indexOf(m) >= before && m.value !== 'P1 meter: receiving telegrams again',
      );
      assert.match(String(alert.value), /^P1 meter: (reconnecting|connecting|waiting|stalled)/);
      // and it recovers by itself
      await c.waitForDebug('connection alert', (m) => c.from('connection alert').indexOf(m) > before && m.value === 'P1 meter: receiving telegrams again');
    });
  });

  it('03 live dashboard: gauges, chart and table get their values; the dashboard page is served', async () => {
    const example = loadExample('03 Live dashboard.json');
    const c = await deploy(testableFlow(example, simulator('nl-dsmr5')));
    const delivered = await c.waitForDebug(tapId('ex3.g.delivered'));
    const msg = delivered.value as { payload: number; topic: string; unit: string };
    assert.equal(msg.topic, 'powerDelivered');
    assert.equal(msg.unit, 'W', 'scaled to W');
    // The meter sends kW with three decimals: in W that is a whole number, without float noise.
    assert.ok(Number.isInteger(msg.payload) && msg.payload >= 0, `${msg.payload} W`);
    await c.waitForDebug(tapId('ex3.g.returned'));
    const chart = await c.waitForDebug(tapId('ex3.chart'));
    assert.ok(['powerDelivered', 'powerReturned'].includes((chart.value as { topic: string }).topic));
    const table = await c.waitForDebug(tapId('ex3.table'));
    const rows = (table.value as { payload: Array<{ register: string; value: number; unit: string }> }).payload;
    assert.ok(
      rows.some((r) => r.register === 'energyDeliveredTariff1' && r.unit === 'kWh' && typeof r.value === 'number'),
      JSON.stringify(rows),
    );
    const page = await new Promise<number>((resolve, reject) =>
      http
        .get(new URL('dashboard/', nodeRed!.url), (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    assert.equal(page, 200);
  });

  it('04 Home Assistant: discovery configs, states, availability, republish and removal (debug capture instead of the broker)', async () => {
    assert.ok(nodeRed);
    const c = await deploy(testableFlow(loadExample('04 MQTT with Home Assistant discovery.json'), simulator('nl-dsmr5')));
    type Sent = { topic: string; payload: Record<string, any> | string; retain: boolean; qos: number };
    const sentTo = (pattern: RegExp) => (m: DebugMessage) => pattern.test(m.topic ?? '');
    const config = async (name: string) =>
      (await c.waitForDebug('to Home Assistant', sentTo(new RegExp(`^homeassistant/sensor/p1_[A-Za-z0-9_-]+/${name}/config$`)))).value as Sent;
    const expectations: Array<[string, string, string, string]> = [
      ['powerDelivered', 'power', 'measurement', 'kW'],
      ['energyDeliveredTariff1', 'energy', 'total_increasing', 'kWh'],
      ['voltageL1', 'voltage', 'measurement', 'V'],
      ['currentL1', 'current', 'measurement', 'A'],
      ['reading', 'gas', 'total_increasing', 'm³'],
    ];
    for (const [name, deviceClass, stateClass, unit] of expectations) {
      const message = await config(name);
      const payload = message.payload as Record<string, any>;
      assert.equal(message.retain, true);
      assert.equal(payload.device_class, deviceClass, name);
      assert.equal(payload.state_class, stateClass, name);
      assert.equal(payload.unit_of_measurement, unit, name);
      assert.match(String(payload.state_topic), /^p1\/[A-Za-z0-9_-]+\/state$/);
      assert.equal(payload.value_template, `{{ value_json.${name} }}`);
      assert.ok((payload.device as { identifiers: string[] }).identifiers.length > 0);
    }
    const meterConfig = (await config('powerDelivered')).payload as Record<string, any>;
    const state = (await c.waitForDebug('to Home Assistant', (m) => m.topic === meterConfig.state_topic)).value as Sent;
    assert.equal(typeof (state.payload as Record<string, unknown>).powerDelivered, 'number');
    const availability = (await c.waitForDebug('to Home Assistant', (m) => m.topic === meterConfig.availability_topic)).value as Sent;
    assert.deepEqual([availability.payload, availability.retain], ['online', true]);

    // Home Assistant's birth message (through the stand-in for mqtt in) brings every config again.
    const isPowerConfig = (m: DebugMessage) => (m.topic ?? '').endsWith('/powerDelivered/config');
    const before = c.from('to Home Assistant').length;
    await postText(new URL(mqttStandInRoute('ex4.status').slice(1), nodeRed.url), 'online');
    await c.waitForDebug('to Home Assistant', (m) => isPowerConfig(m) && c.from('to Home Assistant').indexOf(m) >= before && (m.value as Sent).payload !== '');

    // The inject node removes them: empty retained configs.
    await adminRequest(nodeRed.url, 'POST', 'inject/ex4.remove');
    const removal = (await c.waitForDebug('to Home Assistant', (m) => isPowerConfig(m) && (m.value as Sent).payload === '')).value as Sent;
    assert.equal(removal.retain, true);
  });

  describe('05 InfluxDB', () => {
    let influx: http.Server | undefined;
    afterEach(async () => {
      await new Promise<void>((done) => (influx ? influx.close(() => done()) : done()));
      influx = undefined;
    });

    it('builds [fields, tags] for influxdb out and writes line protocol over HTTP (local server instead of InfluxDB)', async () => {
      const writes: Array<{ url: string; auth: string; body: string }> = [];
      influx = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          writes.push({ url: req.url ?? '', auth: String(req.headers.authorization), body });
          res.statusCode = 204;
          res.end();
        });
      });
      await new Promise<void>((done) => influx!.listen(0, '127.0.0.1', done));
      const influxPort = (influx.address() as { port: number }).port;
      const c = await deploy(
        testableFlow(loadExample('05 InfluxDB.json'), (node) => {
          if (node.type === 'p1-connection') return simulator('nl-dsmr5')(node);
          if (node.type === 'http request') return { ...node, url: String(node.url).replace('http://localhost:8086', `http://127.0.0.1:${influxPort}`) };
          return node;
        }),
      );
      const fieldsAndTags = (await c.waitForDebug('to influxdb out')).value as [Record<string, number>, Record<string, string>];
      assert.equal(typeof fieldsAndTags[0].powerDelivered, 'number');
      assert.equal(typeof fieldsAndTags[1].meter, 'string');
      assert.equal(await c.waitForDebug('InfluxDB answer').then((m) => m.value), 204);
      assert.equal(writes.length >= 1, true);
      assert.match(writes[0].url, /^\/api\/v2\/write\?org=home&bucket=energy&precision=s$/);
      assert.equal(writes[0].auth, 'Token YOUR-INFLUXDB-TOKEN');
      assert.match(writes[0].body, /^p1,meter=\S+ (\w+=-?[\d.]+)(,\w+=-?[\d.]+)* \d{10}$/);
      assert.ok(writes[0].body.includes(`powerDelivered=${fieldsAndTags[0].powerDelivered}`));
    });
  });

  describe('06 Belgian capacity tariff warning', () => {
    let bridge: TelegramServer | undefined;
    afterEach(async () => {
      await bridge?.close();
      bridge = undefined;
    });

    it("06 Belgian capacity tariff: p1-energy's alarm output warns from the projection; capacity values every telegram", async () => {
      const example = loadExample('06 Belgian capacity tariff warning.json');
      // A limit every projection exceeds while anything at all is drawn: the first telegram raises the alarm.
      // A winter evening's telegrams (the simulated house draws from the grid, no sun), all at once from a TCP bridge:
      // the test does not depend on the time of day it runs at.
      bridge = await startTelegramServer(winterEveningTelegrams(30), 3_600_000);
      const port = bridge.port;
      const c = await deploy(
        testableFlow(example, (node) =>
          node.type === 'p1-energy' ? { ...node, demandLimit: 0.001 } : connection({ source: 'tcp-client', host: '127.0.0.1', port })(node),
        ),
      );
      type Capacity = {
        demandAverage: number;
        demandProjected: number;
        demandMonthPeak: number;
        demandRollingAverage: number;
        demandSource: string;
        demandQuarterEnd: string;
      };
      const capacity = (await c.waitForDebug('capacity')).value as Capacity;
      assert.equal(capacity.demandSource, 'meter', 'the Belgian meter sends its own quarter-hour average');
      for (const field of ['demandAverage', 'demandProjected', 'demandMonthPeak', 'demandRollingAverage'] as const)
        assert.equal(typeof capacity[field], 'number', field);
      assert.ok(capacity.demandRollingAverage >= 2.5, 'each month counts at least the 2.5 kW minimum');
      const warning = (await c.waitForDebug('warning')).value as {
        alarm: string;
        active: boolean;
        reason: string;
        projectedKw: number;
        thresholdKw: number;
        secondsLeft: number;
      };
      assert.equal(warning.alarm, 'capacity');
      assert.equal(warning.active, true);
      assert.equal(warning.reason, 'limit');
      assert.ok(warning.projectedKw > warning.thresholdKw && warning.thresholdKw === 0.001, JSON.stringify(warning));
      assert.ok(warning.secondsLeft > 0 && warning.secondsLeft <= 900);
      await c.waitForDebug('capacity', (m) => c.from('capacity').indexOf(m) >= 2);
      // Alarm messages come when the alarm turns on and off (solar may bring the projection down), not on every telegram.
      c.from('warning').forEach((m, i) => {
        assert.equal((m.value as { active: boolean }).active, i % 2 === 0, `warning ${i}`);
      });
      assert.ok(c.from('warning').length < c.from('capacity').length);
    });
  });

  it('07 telegrams from MQTT (Tasmota fragments) through p1-parse (HTTP stand-in for the broker)', async () => {
    const example = loadExample('07 Telegrams from MQTT through p1-parse.json');
    const mqttIn = example.find((n) => n.type === 'mqtt in');
    assert.ok(mqttIn);
    const c = await deploy(testableFlow(example));
    const text = fs.readFileSync(NL_TELEGRAM, 'latin1');
    // Tasmota cuts the serial stream wherever its buffer is full: three uneven pieces.
    const cuts = [0, 37, Math.floor(text.length / 2) + 5, text.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      await adminRequest(nodeRed!.url, 'POST', mqttStandInRoute(mqttIn.id).slice(1), { SSerialReceived: text.slice(cuts[i], cuts[i + 1]) });
    }
    const telegram = payloadOf(await c.waitForDebug('telegram', isTelegram));
    assert.equal(telegram.energyDeliveredTariff2, registerValue(text, '1-0:1.8.2'));
    assert.equal((telegram.crc as { valid: boolean }).valid, true);
    assert.equal(c.from('telegram').length, 1, 'one telegram from three fragments');
  });

  describe('09 energy costs with dynamic prices', () => {
    let prices: http.Server | undefined;
    afterEach(async () => {
      await new Promise<void>((done) => (prices ? prices.close(() => done()) : done()));
      prices = undefined;
    });

    it('fetches a day of hourly prices, hands them to p1-energy as msg.price, and prices the meter at the price of the hour (local server instead of the API)', async () => {
      // An EnergyZero-shaped answer: 48 hourly prices from the start of the current UTC day, each hour its own price.
      const dayStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
      const priceOfHour = (h: number) => Math.round((0.113 + 0.01 * h) * 1000) / 1000; // never the dialog's 0.25
      const requests: string[] = [];
      prices = http.createServer((req, res) => {
        requests.push(req.url ?? '');
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            Prices: Array.from({ length: 48 }, (_v, h) => ({ price: priceOfHour(h), readingDate: new Date(dayStart + h * 3_600_000).toISOString() })),
          }),
        );
      });
      await new Promise<void>((done) => prices!.listen(0, '127.0.0.1', done));
      const port = (prices.address() as { port: number }).port;
      const c = await deploy(
        testableFlow(loadExample('09 Energy costs with dynamic prices.json'), (node) => {
          if (node.type === 'p1-connection') return simulator('nl-dsmr5')(node);
          if (node.id === 'ex9.url') return { ...node, rules: [{ t: 'set', p: 'url', pt: 'msg', to: `http://127.0.0.1:${port}/v1/energyprices`, tot: 'str' }] };
          if (node.type === 'p1-energy') return { ...node, interval: 0 };
          return node;
        }),
      );
      type Costs = { priceDelivered: number; costToday: number; costElectricityToday: number; costGasToday?: number; costFixedToday: number; time: string };
      // The simulated meter's clock is the real clock: the price in force is the one of the current hour.
      const costs = (
        await c.waitForDebug('costs', (m) => {
          const v = m.value as Costs;
          return typeof v.priceDelivered === 'number' && v.priceDelivered !== 0.25;
        })
      ).value as Costs;
      const hour = Math.floor((Date.parse(costs.time) - dayStart) / 3_600_000);
      assert.equal(costs.priceDelivered, priceOfHour(hour), `price at ${costs.time}`);
      assert.equal(costs.costFixedToday, 0.85);
      assert.ok(Math.abs(costs.costToday - (costs.costElectricityToday + (costs.costGasToday ?? 0) + costs.costFixedToday)) < 0.0002, JSON.stringify(costs));
      assert.equal(requests.length >= 1, true);
    });
  });

  describe('08 encrypted Luxembourg meter', () => {
    let bridge: TelegramServer | undefined;
    afterEach(async () => {
      await bridge?.close();
      bridge = undefined;
    });

    it('decrypts with the key from the credentials (TCP bridge instead of the serial port)', async () => {
      const key = /encryption_key\(EK\)=([0-9A-F]{32})/.exec(fs.readFileSync(`${LU_FRAME}.key.txt`, 'utf8'))?.[1];
      assert.ok(key);
      const plaintext = fs.readFileSync(`${LU_FRAME}.plaintext.txt`, 'latin1');
      bridge = await startTelegramServer(fs.readFileSync(`${LU_FRAME}.bin`), 300);
      const example = loadExample('08 Encrypted Luxembourg meter.json');
      assert.equal(example.find((n) => n.type === 'p1-connection')?.credentials, undefined, 'no key in the example file');
      const c = await deploy(
        testableFlow(example, connection({ source: 'tcp-client', host: '127.0.0.1', port: bridge.port, credentials: { decryptionKey: key } })),
      );
      const values = (await c.waitForDebug('values')).value as Record<string, number>;
      assert.equal(values.energyDeliveredTotal, registerValue(plaintext, '1-0:1.8.0'));
      assert.equal(values.energyReturnedTotal, registerValue(plaintext, '1-0:2.8.0'));
      await c.waitForStatus('ex8.health', (s) => s.text === 'receiving');
    });
  });

  describe('10 HomeWizard P1 meter over HTTP → debug', () => {
    let dongle: FakeDongle | undefined;
    afterEach(async () => {
      await dongle?.stop();
      dongle = undefined;
    });

    it('reads the telegram from a local HTTP server that answers like the HomeWizard API, and says when the API is switched off', async () => {
      const text = fs.readFileSync(NL_TELEGRAM, 'latin1');
      dongle = await new FakeDongle().listen(0);
      dongle.telegram = Buffer.from(text, 'latin1');
      const c = await deploy(
        testableFlow(loadExample('10 HomeWizard P1 meter over HTTP to debug.json'), connection({ httpHost: '127.0.0.1', httpPort: dongle.port })),
      );
      const telegram = payloadOf(await c.waitForDebug('telegram', isTelegram));
      assert.equal(telegram.energyDeliveredTariff1, registerValue(text, '1-0:1.8.1'));
      assert.equal(telegram.powerDelivered, registerValue(text, '1-0:1.7.0'));

      dongle.behaviour = { status: 403 };
      await c.waitForStatus('ex10.in', (s) => /^retry in \d+ s$/.test(s.text ?? ''));
      await c.waitForDebug('connection state', (m) => /^retry in \d+ s: HTTP 403: API disabled\?/.test(String((m.value as { detail?: string }).detail)));
      assert.equal(c.from('telegram').length, 1, 'the telegram served again and again is shown once');
    });
  });
});
