/**
 * parseTelegram speed (CRC check included) on four kinds of telegram, and heap growth over a
 * million parses (run node with --expose-gc for an exact before/after; without it the figure
 * includes garbage not yet collected).
 *
 * Parsing one text again and again flatters the parser: it replays lines it saw last time
 * (line-memo.ts). So a stream from the simulated meters, whose time, power, voltages and
 * currents change in every telegram like a real meter's, is measured too.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTelegram } from '../src/protocol/parser';
import { SimulatedMeter, type SimulatedProfile } from '../src/transport/simulated-meter';
import { FIXTURES } from '../test/support/paths';
import { microsecondsPerCall } from './measure';

const KINDS: Array<[string, string]> = [
  ['DSMR 5 NL with gas', 'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt'],
  ['Belgian with peaks', 'ndokter__dsmr_parser/be_fluvius_v171.txt'],
  ['DSMR 4.2 with failure log', 'ndokter__dsmr_parser/v4_2_kaifa.txt'],
  ['DSMR 2.2 without CRC', 'ndokter__dsmr_parser/v2_2_iskra_mt382.txt'],
];

const HEAP_RUN_PARSES = 1_000_000;

const STREAMS: Array<[string, SimulatedProfile]> = [
  ['Simulated NL stream', 'nl-dsmr5'],
  ['Simulated BE stream', 'be-fluvius'],
];
const STREAM_TELEGRAMS = 1000;

/** Consecutive telegrams of a simulated meter, one a second. */
function simulatedStream(profile: SimulatedProfile): string[] {
  const meter = new SimulatedMeter(profile, 7);
  const start = Date.UTC(2024, 2, 30, 22, 0, 0);
  return Array.from({ length: STREAM_TELEGRAMS }, (_, i) => meter.telegramAt(start + i * 1000));
}

export async function runParseBench(): Promise<Record<string, unknown>> {
  const texts = KINDS.map(([, file]) => fs.readFileSync(path.join(FIXTURES, file), 'latin1'));
  const calibration = nanosecondsPerCharacter(texts[0]);
  const results: Record<string, unknown> = { loadAverage1m: os.loadavg()[0], plainLoopNanosecondsPerCharacter: calibration };
  // The same figures mean different things on a Raspberry Pi Zero, a laptop and a loaded CI box.
  console.log(`  machine: load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; a plain charCodeAt loop takes ${calibration.toFixed(2)} ns/character`);

  KINDS.forEach(([kind], i) => {
    const text = texts[i];
    const warnings = parseTelegram(text).warnings.length;
    const microseconds = microsecondsPerCall(() => parseTelegram(text));
    const perSecond = Math.round(1e6 / microseconds);
    console.log(`  ${kind.padEnd(28)} ${microseconds.toFixed(2).padStart(7)} µs/telegram  ${perSecond.toLocaleString('en').padStart(10)} telegrams/s  (${text.length} bytes, ${warnings} warning(s))`);
    results[kind] = { microsecondsPerTelegram: microseconds, telegramsPerSecond: perSecond, bytes: text.length };
  });

  for (const [kind, profile] of STREAMS) {
    const stream = simulatedStream(profile);
    let next = 0;
    const microseconds = microsecondsPerCall(() => parseTelegram(stream[next++ % STREAM_TELEGRAMS]));
    const perSecond = Math.round(1e6 / microseconds);
    console.log(`  ${kind.padEnd(28)} ${microseconds.toFixed(2).padStart(7)} µs/telegram  ${perSecond.toLocaleString('en').padStart(10)} telegrams/s  (${STREAM_TELEGRAMS} different telegrams in turn)`);
    results[kind] = { microsecondsPerTelegram: microseconds, telegramsPerSecond: perSecond, telegrams: STREAM_TELEGRAMS };
  }

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < HEAP_RUN_PARSES; i++) parseTelegram(texts[i & 3]);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  const growth = after - before;
  console.log(`  heap growth over ${HEAP_RUN_PARSES.toLocaleString('en')} parses: ${(growth / 1024).toFixed(0)} KiB${gc ? '' : ' (no --expose-gc: includes uncollected garbage)'}`);
  results.heap = { parses: HEAP_RUN_PARSES, heapUsedBefore: before, heapUsedAfter: after, growthBytes: growth, exact: gc !== undefined };
  return results;
}

/** Speed of this machine for the simplest possible pass over a telegram, as a yardstick for the figures above. */
function nanosecondsPerCharacter(text: string): number {
  let sink = 0;
  const microseconds = microsecondsPerCall(() => {
    let sum = 0;
    for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
    sink ^= sum;
  }, 300);
  if (sink === -1) console.log(sink); // keeps the loop from being optimised away
  return (microseconds * 1000) / text.length;
}
