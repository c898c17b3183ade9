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

const NODE_TYPES = ['p1-connection', 'p1-in', 'p1-parse', 'p1-filter-obis'];

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

function connection(patch: Record<string, unknown>): (node: FlowNode) => FlowNode {
  return (node) => (node.type === 'p1-connection' ? { ...node, ...patch } : node);
}

const simulator = (profile: 'nl-dsmr5' | 'be-fluvius') => connection({ source: 'simulator', simulatorProfile: profile, simulatorInterval: 1 });

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
    assert.deepEqual(packedFiles.filter((f) => f.startsWith('examples/')).sort(), exampleFiles().map((f) => `examples/${f}`));
    assert.ok(!packedFiles.some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'no tests or sources in the package');
  });

  it('loads the four node types from the packed package without error', async () => {
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
      example.forEach((n) => used.add(n.type));
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
    afterEach(async () => { await bridge?.close(); bridge = undefined; });

    it('reads a real telegram from a TCP bridge and alerts when the bridge drops', async () => {
      const text = fs.readFileSync(NL_TELEGRAM, 'latin1');
      bridge = await startTelegramServer(Buffer.from(text, 'latin1'), 300);
      const c = await deploy(testableFlow(loadExample('02 ESP8266 bridge over TCP to debug.json'),
        connection({ host: '127.0.0.1', port: bridge.port, maxBackoff: 1 })));
      const telegram = payloadOf(await c.waitForDebug('telegram', isTelegram));
      assert.equal(telegram.energyDeliveredTariff1, registerValue(text, '1-0:1.8.1'));
      assert.equal(telegram.powerDelivered, registerValue(text, '1-0:1.7.0'));
      await c.waitForDebug('connection alert', (m) => m.value === 'P1 meter: receiving telegrams again');

      const before = c.from('connection alert').length;
      bridge.dropClients();
      const alert = await c.waitForDebug('connection alert', (m) => c.from('connection alert').indexOf(m) >= before && m.value !== 'P1 meter: receiving telegrams again');
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
    assert.ok(rows.some((r) => r.register === 'energyDeliveredTariff1' && r.unit === 'kWh' && typeof r.value === 'number'), JSON.stringify(rows));
    const page = await new Promise<number>((resolve, reject) => http.get(new URL('dashboard/', nodeRed!.url), (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject));
    assert.equal(page, 200);
  });

  it('04 MQTT: one topic per value and Home Assistant discovery (debug capture instead of the broker)', async () => {
    const c = await deploy(testableFlow(loadExample('04 MQTT with Home Assistant discovery.json'), simulator('nl-dsmr5')));
    const value = await c.waitForDebug('values', (m) => m.topic === 'dsmr/powerDelivered');
    assert.equal(typeof (value.value as { payload: unknown }).payload, 'number');
    await c.waitForDebug('values', (m) => m.topic === 'dsmr/voltageL1');

    const config = (name: string) => c.waitForDebug('discovery (retained)', (m) => new RegExp(`^homeassistant/sensor/[A-Za-z0-9_-]+/${name}/config$`).test(m.topic ?? ''));
    const expectations: Array<[string, string, string, string]> = [
      ['powerDelivered', 'power', 'measurement', 'kW'],
      ['energyDeliveredTariff1', 'energy', 'total_increasing', 'kWh'],
      ['voltageL1', 'voltage', 'measurement', 'V'],
      ['currentL1', 'current', 'measurement', 'A'],
    ];
    for (const [name, deviceClass, stateClass, unit] of expectations) {
      const message = (await config(name)).value as { retain: boolean; payload: Record<string, unknown> };
      assert.equal(message.retain, true);
      assert.equal(message.payload.device_class, deviceClass, name);
      assert.equal(message.payload.state_class, stateClass, name);
      assert.equal(message.payload.unit_of_measurement, unit, name);
      assert.equal(message.payload.state_topic, `dsmr/${name}`);
      assert.ok((message.payload.device as { identifiers: string[] }).identifiers.length > 0);
    }
  });

  describe('05 InfluxDB', () => {
    let influx: http.Server | undefined;
    afterEach(async () => { await new Promise<void>((done) => (influx ? influx.close(() => done()) : done())); influx = undefined; });

    it('builds [fields, tags] for influxdb out and writes line protocol over HTTP (local server instead of InfluxDB)', async () => {
      const writes: Array<{ url: string; auth: string; body: string }> = [];
      influx = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => { body += chunk; });
        req.on('end', () => { writes.push({ url: req.url ?? '', auth: String(req.headers.authorization), body }); res.statusCode = 204; res.end(); });
      });
      await new Promise<void>((done) => influx!.listen(0, '127.0.0.1', done));
      const influxPort = (influx.address() as { port: number }).port;
      const c = await deploy(testableFlow(loadExample('05 InfluxDB.json'), (node) => {
        if (node.type === 'p1-connection') return simulator('nl-dsmr5')(node);
        if (node.type === 'http request') return { ...node, url: String(node.url).replace('http://localhost:8086', `http://127.0.0.1:${influxPort}`) };
        return node;
      }));
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

  it('06 Belgian capacity tariff: projection every telegram, one warning per quarter hour (threshold set below 0 kW)', async () => {
    const example = loadExample('06 Belgian capacity tariff warning.json');
    // A threshold no projection can stay under (demand is never negative): the first telegram must warn.
    const c = await deploy(testableFlow(example, (node) =>
      node.id === 'ex6.threshold' ? { ...node, payload: '-1' } : simulator('be-fluvius')(node)));
    type Projection = { payload: number; averageDemand: number; powerNow: number; threshold: number; elapsedSeconds: number };
    // The inject sets the threshold just after the deploy: a first telegram may still see the default.
    const withThreshold = (m: DebugMessage) => (m.value as Projection).threshold === -1;
    const first = (await c.waitForDebug('projection', withThreshold)).value as Projection;
    const expected = (first.averageDemand * first.elapsedSeconds + first.powerNow * (900 - first.elapsedSeconds)) / 900;
    assert.ok(Math.abs(first.payload - expected) < 0.001, `${first.payload} ≈ ${expected}`);
    const warning = await c.waitForDebug('warning');
    assert.match(String(warning.value), /^Quarter-hour average heading for \d+\.\d\d kW \(threshold -1 kW/);
    await c.waitForDebug('projection', (m) => c.from('projection').filter(withThreshold).indexOf(m) >= 2);
    // One warning per quarter hour: the seconds into the quarter only fall back when a new quarter starts.
    const elapsed = c.from('projection').filter(withThreshold).map((m) => (m.value as Projection).elapsedSeconds);
    const quarters = 1 + elapsed.filter((s, i) => i > 0 && s < elapsed[i - 1]).length;
    assert.equal(c.from('warning').length, quarters, `warnings for ${quarters} quarter hour(s), seconds ${elapsed.join(',')}`);
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

  describe('08 encrypted Luxembourg meter', () => {
    let bridge: TelegramServer | undefined;
    afterEach(async () => { await bridge?.close(); bridge = undefined; });

    it('decrypts with the key from the credentials (TCP bridge instead of the serial port)', async () => {
      const key = /encryption_key\(EK\)=([0-9A-F]{32})/.exec(fs.readFileSync(`${LU_FRAME}.key.txt`, 'utf8'))?.[1];
      assert.ok(key);
      const plaintext = fs.readFileSync(`${LU_FRAME}.plaintext.txt`, 'latin1');
      bridge = await startTelegramServer(fs.readFileSync(`${LU_FRAME}.bin`), 300);
      const example = loadExample('08 Encrypted Luxembourg meter.json');
      assert.equal(example.find((n) => n.type === 'p1-connection')?.credentials, undefined, 'no key in the example file');
      const c = await deploy(testableFlow(example, connection({ source: 'tcp-client', host: '127.0.0.1', port: bridge.port, credentials: { decryptionKey: key } })));
      const values = (await c.waitForDebug('values')).value as Record<string, number>;
      assert.equal(values.energyDeliveredTotal, registerValue(plaintext, '1-0:1.8.0'));
      assert.equal(values.energyReturnedTotal, registerValue(plaintext, '1-0:2.8.0'));
      await c.waitForStatus('ex8.health', (s) => s.text === 'receiving');
    });
  });
});
