/**
 * Shared by the p1-connection / p1-in tests: the real Node-RED runtime through
 * node-red-node-test-helper, our compiled node modules with the real English message catalog,
 * and small waiting/collecting utilities.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkTelegramCrc, crc16String, formatCrc } from '../../src/protocol/crc16';
import { FIXTURES, REPO_ROOT } from '../support/paths';
import { NODE_RED_RUNTIME } from '../support/node-red';

/** The parts of node-red-node-test-helper (untyped) these tests use. */
export interface TestHelper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  setFlows(flow: unknown[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, Record<string, string>>): Promise<void>;
  getNode(id: string): unknown;
  log(): { getCalls(): Array<{ args: Array<{ level: number; msg: unknown; id?: string }> }> };
  request(): any;
  _redNodes: { getFlows(): { flows: unknown[] } };
  /** Node-RED's runtime event bus ('flows:started' …). */
  _events: import('node:events').EventEmitter;
}

export const helper: TestHelper = require('node-red-node-test-helper');
helper.init(NODE_RED_RUNTIME);

type NodeModule = (RED: { _: (key: string, subs?: Record<string, unknown>) => string }) => void;

// Loaded from the build folder this test was compiled into (relative to the compiled test file).
const p1Connection: NodeModule = require('../../src/nodes/p1-connection');
const p1In: NodeModule = require('../../src/nodes/p1-in');

/**
 * Our nodes, each translating through its own catalog in nodes/locales/en-US, as Node-RED does
 * (a node's RED._ only sees the catalog named after its type), so that a text looked up in the
 * wrong catalog shows up as a raw key in the tests too. The helper's own RED._ returns keys; it is
 * replaced by all catalogs merged for node modules loaded after these (see `withCatalog`).
 */
export const NODES: NodeModule[] = [
  (RED) => {
    RED._ = englishCatalog();
    withCatalog('p1-connection', p1Connection)(RED);
  },
  withCatalog('p1-in', p1In),
];

/** A node module whose RED._ reads only nodes/locales/en-US/<type>.json. */
export function withCatalog(type: string, nodeModule: NodeModule): NodeModule {
  return (RED) => nodeModule(Object.assign(Object.create(RED), { _: englishCatalog(`${type}.json`) }));
}

function englishCatalog(only?: string): (key: string, subs?: Record<string, unknown>) => string {
  const dir = path.join(REPO_ROOT, 'nodes', 'locales', 'en-US');
  const catalog: Record<string, unknown> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json') && (!only || f === only))) {
    Object.assign(catalog, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  }
  return (key, subs = {}) => {
    const text = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalog);
    if (typeof text !== 'string') return key;
    return text.replace(/__(\w+)__/g, (_m, name: string) => String(subs[name] ?? ''));
  };
}

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** A p1-in wired to two helper nodes: `<id>-out` (telegrams) and `<id>-health`. */
export function p1InWithOutputs(id: string, connection: string, options: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id, type: 'p1-in', connection, output: 'parsed', topic: '', rateLimit: 0, changeField: '', ...options, wires: [[`${id}-out`], [`${id}-health`]] },
    { id: `${id}-out`, type: 'helper' },
    { id: `${id}-health`, type: 'helper' },
  ];
}

export interface Msg {
  [key: string]: any;
  topic?: string;
  payload?: any;
  telegram?: string;
}

/** Records every message a helper node receives, from now on. */
export function recorder(nodeId: string): Msg[] {
  const messages: Msg[] = [];
  const node = helper.getNode(nodeId) as unknown as { on(event: 'input', fn: (msg: Msg) => void): void };
  node.on('input', (msg) => messages.push(msg));
  return messages;
}

export interface StatusRecord {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Every status a node has set since the flow was loaded (the helper wraps Node.prototype.status in a sinon spy). */
export function statusesOf(nodeId: string): StatusRecord[] {
  const spy = (helper as unknown as { _NodePrototype: { status: { getCalls(): Array<{ thisValue: { id: string }; args: [StatusRecord] }> } } })._NodePrototype
    .status;
  return spy
    .getCalls()
    .filter((call) => call.thisValue.id === nodeId)
    .map((call) => call.args[0]);
}

/** Log lines (warn/error/info) the runtime wrote since the flow was loaded. */
export function logLines(): Array<{ level: number; msg: string; id?: string }> {
  return helper
    .log()
    .getCalls()
    .map((call) => ({ level: call.args[0].level, msg: String(call.args[0].msg), id: call.args[0].id }));
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the status history contains texts matching `patterns` in this order (other statuses may come between). */
export async function waitForStatusSequence(nodeId: string, patterns: RegExp[], timeoutMs = 8000): Promise<void> {
  await waitFor(
    () => matchesInOrder(statusesOf(nodeId), patterns),
    `status sequence ${patterns.join(' → ')}; saw ${JSON.stringify(statusesOf(nodeId).map((s) => s.text))}`,
    timeoutMs,
  );
}

function matchesInOrder(statuses: StatusRecord[], patterns: RegExp[]): boolean {
  let next = 0;
  for (const status of statuses) if (next < patterns.length && patterns[next].test(status.text ?? '')) next++;
  return next === patterns.length;
}

export function fixture(relativePath: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, relativePath));
}

/** A DSMR 5 telegram with a valid CRC whose "energy delivered, tariff 1" register is `n`, so every telegram is unique and traceable. */
export const BASE_TELEGRAM = 'ndokter__dsmr_parser/v5_spec_example.txt';

export function numberedTelegram(n: number, base = BASE_TELEGRAM): string {
  const text = fixture(base).toString('latin1');
  const body = text.slice(0, text.indexOf('!') + 1).replace(/1-0:1\.8\.1\([0-9.]+\*kWh\)/, `1-0:1.8.1(${(n / 1000).toFixed(3).padStart(10, '0')}*kWh)`);
  const numbered = `${body}${formatCrc(crc16String(body, 0, body.length))}\r\n`;
  if (checkTelegramCrc(numbered).valid !== true) throw new Error('numberedTelegram built an invalid CRC');
  return numbered;
}

/** The number `numberedTelegram` put into a parsed telegram. */
export function telegramNumber(msg: Msg): number {
  return Math.round(Number(msg.payload.obis['1-0:1.8.1'].value) * 1000);
}

/**
 * A port on 127.0.0.1 where a connection is refused. Port 1 (tcpmux) lies below the range the
 * system hands out for port 0, so no test (nor anything a test starts) can be listening there,
 * unlike a port that was free a moment ago.
 */
export const REFUSED_TCP_PORT = 1;

export { unusedTcpPort } from '../support/loopback';
