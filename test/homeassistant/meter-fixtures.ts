/**
 * The corpus telegrams the Home Assistant tests use, and how they read expected values straight
 * from the telegram text (not from the parser under test).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../support/paths';

export const NL_DSMR5 = 'athombv__node-dsmr-parser/dsmr_5.0_isk_1.txt';
export const BE_GAS_WATER = 'ndokter__dsmr_parser/be_fluvius_v171.txt';
export const BE_PEAKS = 'dsmrreader__dsmr-reader/fluvius_with_peak_data_L26_pyeval.txt';
export const LU_SMARTY = 'NEXXTLAB__go-smarty-reader/lu_smarty_real_decrypted.txt';

export function fixtureText(file: string): string {
  return fs.readFileSync(path.join(FIXTURES, file), 'latin1');
}

/** The groups of the first line of `code` in a telegram text: expected values come from the fixture, not from the code under test. */
export function lineGroups(text: string, code: string): string[] {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`${code}(`));
  assert.ok(line, `${code} not in the fixture`);
  return [...line.matchAll(/\(([^)]*)\)/g)].map((m) => m[1]);
}

/** The number of a `(value*unit)` group. */
export function groupNumber(group: string): number {
  return Number(group.split('*')[0]);
}
