import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TelegramParser } from '../../src/protocol/parser';
import { SimulatedMeter, type SimulatedProfile } from '../../src/transport/simulated-meter';
import { FIXTURES } from '../support/paths';
import { orderProblems } from '../support/payload-order';
import { loadCorpus } from './corpus-files';

/** What a user sees first in the debug sidebar: the keys of every telegram in reading order. */
describe('parsed telegram: keys in reading order', () => {
  it('every plain-text corpus telegram: time and power first … units, obis, crc, warnings last', () => {
    const parser = new TelegramParser();
    const texts = loadCorpus()
      .filter((entry) => !entry.encrypted && !entry.file.endsWith('.bin'))
      .map((entry) => [entry.file, fs.readFileSync(path.join(FIXTURES, entry.file), 'latin1')] as const);
    assert.ok(texts.length > 90, `${texts.length} telegrams`);
    for (const [file, text] of texts) {
      const keys = Object.keys(parser.parse(text));
      assert.deepEqual(orderProblems(keys), [], `${file}: ${keys.join(', ')}`);
    }
  });

  for (const profile of ['nl-dsmr5', 'be-fluvius'] as SimulatedProfile[]) {
    it(`simulated ${profile}: the same, and powerDelivered right after the timestamp`, () => {
      const meter = new SimulatedMeter(profile, 3);
      const keys = Object.keys(new TelegramParser().parse(meter.telegramAt(Date.UTC(2026, 0, 15, 18))));
      assert.deepEqual(orderProblems(keys), [], keys.join(', '));
      assert.deepEqual(keys.slice(0, 2), ['timestamp', 'powerDelivered']);
    });
  }
});
