/**
 * Parse speed (CRC check included, one TelegramParser per stream as a reader holds one) on telegrams that change from one call to the next,
 * the time per KiB of hostile inputs at two sizes (linear work: the same time per KiB), and heap
 * growth over a million parses (run node with --expose-gc for an exact before/after; without it
 * the figure includes garbage not yet collected).
 */
import * as os from 'node:os';
import { TelegramParser } from '../src/protocol/parser';
import { SimulatedMeter, type SimulatedProfile } from '../src/transport/simulated-meter';
import { microsecondsPerCall } from './measure';

const HEAP_RUN_PARSES = 1_000_000;
const STREAM_TELEGRAMS = 1000;

const STREAMS: Array<[string, SimulatedProfile]> = [
  ['Simulated NL stream', 'nl-dsmr5'],
  ['Simulated BE stream', 'be-fluvius'],
];

/** Inputs that cost a naive parser quadratic time, by size n. */
const HOSTILE: Array<[string, (n: number) => string]> = [
  ['unclosed group, then n `(`', (n) => `/X\r\n1-0:1.8.1(${'('.repeat(n)}\r\n!`],
  ['lines whose group never closes', (n) => `/X\r\n${'1-0:1.8.1(12\r\n'.repeat(n / 14)}!`],
  ['text group wrapped over lines', (n) => `/X\r\n0-0:96.13.0(${'41\r\n'.repeat(n / 4)})\r\n!`],
];
const HOSTILE_SIZES = [8 * 1024, 64 * 1024];

/** Consecutive telegrams of a simulated meter, one a second. */
function simulatedStream(profile: SimulatedProfile): string[] {
  const meter = new SimulatedMeter(profile, 7);
  const start = Date.UTC(2024, 2, 30, 22, 0, 0);
  return Array.from({ length: STREAM_TELEGRAMS }, (_, i) => meter.telegramAt(start + i * 1000));
}

export async function runParseBench(): Promise<Record<string, unknown>> {
  const streams = STREAMS.map(([, profile]) => simulatedStream(profile));
  const calibration = nanosecondsPerCharacter(streams[0][0]);
  const results: Record<string, unknown> = { loadAverage1m: os.loadavg()[0], plainLoopNanosecondsPerCharacter: calibration };
  // The same figures mean different things on a Raspberry Pi Zero, a laptop and a loaded CI box.
  console.log(
    `  machine: load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; a plain charCodeAt loop takes ${calibration.toFixed(2)} ns/character`,
  );

  STREAMS.forEach(([kind], s) => {
    const stream = streams[s];
    let next = 0;
    const parser = new TelegramParser();
    const microseconds = microsecondsPerCall(() => parser.parse(stream[next++ % STREAM_TELEGRAMS]));
    const perSecond = Math.round(1e6 / microseconds);
    console.log(
      `  ${kind.padEnd(32)} ${microseconds.toFixed(2).padStart(7)} µs/telegram  ${perSecond.toLocaleString('en').padStart(10)} telegrams/s  (${STREAM_TELEGRAMS} different telegrams in turn)`,
    );
    results[kind] = { microsecondsPerTelegram: microseconds, telegramsPerSecond: perSecond, telegrams: STREAM_TELEGRAMS };
  });

  for (const [kind, make] of HOSTILE) {
    const perKib = HOSTILE_SIZES.map((size) => {
      const text = make(size);
      const parser = new TelegramParser();
      return microsecondsPerCall(() => parser.parse(text), 5) / (text.length / 1024);
    });
    const figures = HOSTILE_SIZES.map((size, i) => `${perKib[i].toFixed(1)} µs/KiB at ${size / 1024} KiB`).join(', ');
    console.log(`  hostile: ${kind.padEnd(31)} ${figures} (linear: the same per KiB)`);
    results[`hostile: ${kind}`] = Object.fromEntries(HOSTILE_SIZES.map((size, i) => [`${size / 1024} KiB`, perKib[i]]));
  }

  const gc = (globalThis as { gc?: () => void }).gc;
  const telegrams = streams.flat();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const parser = new TelegramParser();
  for (let i = 0; i < HEAP_RUN_PARSES; i++) parser.parse(telegrams[i % telegrams.length]);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  const growth = after - before;
  console.log(
    `  heap growth over ${HEAP_RUN_PARSES.toLocaleString('en')} parses of changing telegrams: ${(growth / 1024).toFixed(0)} KiB${gc ? '' : ' (no --expose-gc: includes uncollected garbage)'}`,
  );
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
