import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTelegram } from '../../src/protocol/parser';
import { FIXTURES } from '../support/paths';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt',
  'ndokter__dsmr_parser/be_fluvius_v171_alt.txt',
  'ndokter__dsmr_parser/v4_2_kaifa.txt',
  'ndokter__dsmr_parser/v3_iskra_mt382_spec_example.txt',
  'ndokter__dsmr_parser/hu_eon_sagemcom.txt',
];
const ALPHABET = '()*:-.!/\r\n0123456789SWsw';

describe('parseTelegram: mangled corpus telegrams', () => {
  for (const sample of SAMPLES) {
    it(`${sample}: 300 mangled copies parse without throwing, JSON-safe`, () => {
      const original = fs.readFileSync(path.join(FIXTURES, sample), 'latin1');
      const next = random(sample.length);
      for (let copy = 0; copy < 300; copy++) {
        const chars = original.split('');
        const edits = 1 + Math.floor(next() * 8);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * chars.length);
          const action = next();
          if (action < 0.4) chars[at] = ALPHABET[Math.floor(next() * ALPHABET.length)];
          else if (action < 0.7) chars.splice(at, 1 + Math.floor(next() * 20));
          else chars.splice(at, 0, ALPHABET[Math.floor(next() * ALPHABET.length)]);
        }
        const text = chars.join('');
        const parsed = parseTelegram(text);
        assert.deepEqual(JSON.parse(JSON.stringify(parsed)), parsed, `copy ${copy}`);
        assert.ok(!parsed.warnings.some((warning) => warning.startsWith('parser error')), `copy ${copy}: ${parsed.warnings.join('; ')}\n${text}`);
      }
    });
  }
});
