/**
 * Side-by-side: our parse+CRC against the `dsmr-parser` npm package (the most used JS DSMR parser),
 * same telegrams, same loop, same process. It cannot read DSMR 2.2 (no CRC), so that kind is skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTelegram } from '../src/protocol/parser';
import { FIXTURES } from '../test/support/paths';
import { microsecondsPerCall } from './measure';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dsmrParser: { parse(text: string): unknown } = require('dsmr-parser');

const KINDS: Array<[string, string]> = [
  ['DSMR 5 NL with gas', 'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt'],
  ['Belgian with peaks', 'ndokter__dsmr_parser/be_fluvius_v171.txt'],
  ['DSMR 4.2 with failure log', 'ndokter__dsmr_parser/v4_2_kaifa.txt'],
];

export async function runComparisonBench(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const [kind, file] of KINDS) {
    // dsmr-parser insists on a blank line after the telegram.
    const text = fs.readFileSync(path.join(FIXTURES, file), 'latin1') + '\r\n';
    const ours = microsecondsPerCall(() => parseTelegram(text));
    const theirs = microsecondsPerCall(() => dsmrParser.parse(text));
    const speedup = theirs / ours;
    console.log(`  ${kind.padEnd(28)} ours ${ours.toFixed(2).padStart(6)} µs   dsmr-parser ${theirs.toFixed(2).padStart(6)} µs   ${speedup.toFixed(1)}× faster`);
    results[kind] = { oursMicroseconds: ours, dsmrParserMicroseconds: theirs, speedup };
  }
  return results;
}
