/**
 * What 1 MB of hostile input costs p1-parse in a real Node-RED runtime
 * (node-red-node-test-helper): how many error lines reach the log, how long their
 * texts are together, and the process RSS before and after. Problems should be counted, not
 * copied: at most one short error per input message, memory flat.
 *
 * Run alone, so that RSS means something: `npm run build && node --expose-gc dist/bench/parse-flood.js`.
 */
import { NODE_RED_RUNTIME } from '../test/support/node-red';

const MEGABYTE = 1 << 20;
/** Node-RED's log level for errors. */
const ERROR_LEVEL = 20;

interface Helper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: unknown[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): { receive(msg: unknown): void };
  log(): { getCalls(): Array<{ args: Array<{ level: number; msg: unknown }> }> };
}

/** Hostile inputs of 1 MB: each repeats a short shape that makes the reader complain. */
const SHAPES: Array<[string, string]> = [
  ['header lines only ("/A" CR LF: one incomplete telegram per 4 bytes)', '/A\r\n'],
  ['alternating problems (bad CRC, incomplete telegram, junk)', '/ISK5\r\n!0000\r\n/A\r\nxx\r\n'],
];

function repeatTo(shape: string, bytes: number): string {
  return shape.repeat(Math.ceil(bytes / shape.length)).slice(0, bytes);
}

function rssMegabytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / MEGABYTE;
}

/** The error lines p1-parse wrote to the Node-RED log since `from` (no Catch node: every error is logged). */
function errorLines(helper: Helper, from: number): string[] {
  return helper
    .log()
    .getCalls()
    .slice(from)
    .filter((call) => call.args[0]?.level === ERROR_LEVEL)
    .map((call) => String(call.args[0].msg));
}

async function flood(helper: Helper, input: string, messageSize: number): Promise<Record<string, number>> {
  const flow = [
    { id: 'tab', type: 'tab' },
    {
      id: 'parse',
      z: 'tab',
      x: 100,
      y: 100,
      type: 'p1-parse',
      property: 'payload',
      sourceKey: 'topic',
      output: 'parsed',
      crcPolicy: 'drop',
      maxTelegramSize: 8192,
      wires: [[]],
    },
  ];
  await helper.load([require('../src/nodes/p1-parse')], flow);
  const from = helper.log().getCalls().length;
  const rssBefore = rssMegabytes();
  let peakRss = rssBefore;
  const parse = helper.getNode('parse');
  const messages = Math.ceil(input.length / messageSize);
  for (let m = 0; m < messages; m++) {
    parse.receive({ topic: 'flood', payload: input.slice(m * messageSize, (m + 1) * messageSize) });
    peakRss = Math.max(peakRss, process.memoryUsage().rss / MEGABYTE);
  }
  // Messages are handled asynchronously: wait until the error lines stop coming.
  for (let last = -1; last !== helper.log().getCalls().length; ) {
    last = helper.log().getCalls().length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    peakRss = Math.max(peakRss, process.memoryUsage().rss / MEGABYTE);
  }
  const lines = errorLines(helper, from);
  const logChars = lines.reduce((sum, line) => sum + line.length, 0);
  const result = {
    messages,
    errorLogLines: lines.length,
    logChars,
    longestLine: Math.max(0, ...lines.map((l) => l.length)),
    rssBefore,
    peakRss,
    rssAfter: rssMegabytes(),
  };
  await helper.unload();
  return result;
}

export async function runParseFloodBench(): Promise<Record<string, unknown>> {
  const helper: Helper = require('node-red-node-test-helper');
  helper.init(NODE_RED_RUNTIME);
  const results: Record<string, unknown> = {};
  for (const [name, shape] of SHAPES) {
    const input = repeatTo(shape, MEGABYTE);
    for (const messageSize of [MEGABYTE, 1024]) {
      const r = await flood(helper, input, messageSize);
      console.log(
        `  ${name}, ${r.messages} message(s): ${r.errorLogLines} error log lines, ${r.logChars} chars in all (longest ${r.longestLine}), ` +
          `RSS ${r.rssBefore.toFixed(0)} → peak ${r.peakRss.toFixed(0)} → ${r.rssAfter.toFixed(0)} MB`,
      );
      results[`${name} / ${r.messages}`] = r;
    }
  }
  return results;
}

if (require.main === module) {
  runParseFloodBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
