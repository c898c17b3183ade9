/**
 * Side by side, in one run: our parse + CRC against the fastest JavaScript peers on telegrams that
 * change from one call to the next (a meter never sends the same text twice): the simulated
 * streams, and the corpus telegrams in turn. Peers: `dsmr-parser` (the most used JS DSMR parser)
 * and `p1-reader`'s internal `parsePacket`. The machine is shared, so the parsers take turns in
 * short slices and each figure is the median over the rounds: load that comes and goes hits all alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TelegramParser } from '../src/protocol/parser';
import { SimulatedMeter, type SimulatedProfile } from '../src/transport/simulated-meter';
import { loadCorpus } from '../test/protocol/corpus-files';
import { FIXTURES } from '../test/support/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dsmrParser: { parse(text: string): unknown } = require('dsmr-parser');
// p1-reader exports only its serial-port reader; its parser is this module (p1-reader 2.0.6).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePacket: (packet: string) => unknown = require('p1-reader/lib/parsePacket');

/** The ratio the project promises (README, Performance). */
export const REQUIRED_SPEEDUP = 1.5;
const ROUNDS = 25;
const SLICE_MS = 20;
const STREAM_TELEGRAMS = 1000;

interface Contender {
  name: string;
  /** The same telegrams, each in the form its parser takes them. */
  inputs: string[];
  parse(text: string): unknown;
}

export interface Comparison {
  kind: string;
  telegrams: number;
  microseconds: Record<string, number>;
  speedupOverFastestPeer: number;
}

export async function runComparisonBench(): Promise<Comparison[]> {
  // p1-reader reports each line it does not know on the console; that output is no part of parsing.
  const consoleError = console.error;
  console.error = () => undefined;
  try {
    return compareOnEachKind();
  } finally {
    console.error = consoleError;
  }
}

function compareOnEachKind(): Comparison[] {
  const results: Comparison[] = [];
  for (const [kind, texts] of kinds()) {
    // One parser per meter, as a P1Reader holds one: it keeps the meter's clock.
    const ours = new TelegramParser();
    const contenders: Contender[] = [
      { name: 'ours', inputs: texts, parse: (text) => ours.parse(text) },
      // dsmr-parser insists on a line break after the CRC line.
      { name: 'dsmr-parser', inputs: texts.map((text) => text + '\r\n'), parse: (text) => dsmrParser.parse(text) },
      // p1-reader cuts its stream at '!' and parses what comes before (it checks no CRC).
      { name: 'p1-reader', inputs: texts.map((text) => text.slice(0, text.lastIndexOf('!'))), parse: parsePacket },
    ];
    const microseconds = takeTurns(contenders);
    const fastestPeer = Math.min(microseconds['dsmr-parser'], microseconds['p1-reader']);
    const speedup = fastestPeer / microseconds.ours;
    const verdict = speedup >= REQUIRED_SPEEDUP ? 'ok' : `BELOW ${REQUIRED_SPEEDUP}×`;
    const figures = contenders.map((c) => `${c.name} ${microseconds[c.name].toFixed(1).padStart(6)} µs`).join('   ');
    console.log(`  ${kind.padEnd(34)} ${figures}   ${speedup.toFixed(2)}× the fastest peer (${verdict})`);
    results.push({ kind, telegrams: texts.length, microseconds, speedupOverFastestPeer: speedup });
  }
  return results;
}

/** The kinds compared: each a list of different telegrams, parsed in turn. */
function kinds(): Array<[string, string[]]> {
  const stream = (profile: SimulatedProfile): string[] => {
    const meter = new SimulatedMeter(profile, 7);
    const start = Date.UTC(2024, 2, 30, 22, 0, 0);
    return Array.from({ length: STREAM_TELEGRAMS }, (_, i) => meter.telegramAt(start + i * 1000));
  };
  const nl = stream('nl-dsmr5');
  const be = stream('be-fluvius');
  return [[`Simulated NL stream (${nl.length})`, nl], [`Simulated BE stream (${be.length})`, be], ...corpusKinds()];
}

/** Real telegrams with a valid CRC that every contender reads without throwing, by DSMR generation. */
function corpusKinds(): Array<[string, string[]]> {
  const texts = loadCorpus()
    .filter((entry) => entry.crc === 'valid' && !entry.encrypted && entry.kind.startsWith('real'))
    .map((entry) => fs.readFileSync(path.join(FIXTURES, entry.file), 'latin1'))
    .filter((text) => text.startsWith('/') && readByAll(text));
  return [[`Corpus telegrams in turn (${texts.length})`, texts]];
}

function readByAll(text: string): boolean {
  try {
    dsmrParser.parse(text + '\r\n');
    parsePacket(text.slice(0, text.lastIndexOf('!')));
    return true;
  } catch {
    return false;
  }
}

/** µs per call of each contender: they take turns in slices of `SLICE_MS`; the median slice of each counts. */
function takeTurns(contenders: Contender[]): Record<string, number> {
  const perCall = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const next = new Map<string, number>(contenders.map((c) => [c.name, 0]));
  for (let round = -2; round < ROUNDS; round++) {
    for (const contender of contenders) {
      let i = next.get(contender.name)!;
      let calls = 0;
      const start = process.hrtime.bigint();
      const deadline = start + BigInt(SLICE_MS) * 1_000_000n;
      let now = start;
      while (now < deadline) {
        for (let k = 0; k < 20; k++) contender.parse(contender.inputs[i++ % contender.inputs.length]);
        calls += 20;
        now = process.hrtime.bigint();
      }
      next.set(contender.name, i);
      if (round >= 0) perCall.get(contender.name)!.push(Number(now - start) / 1000 / calls); // rounds < 0 warm up
    }
  }
  return Object.fromEntries([...perCall].map(([name, samples]) => [name, median(samples)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
