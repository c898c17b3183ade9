/**
 * What the p1-filter-obis value picker offers: the `gas`, `water` and `heat` shortcuts, which
 * must pick a reading from real telegrams with the unit the picker shows, and a Dutch label for
 * every name it offers (a new registry row without one fails here).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSelector, pickValues } from '../../src/nodes/p1-filter-obis/obis-selection';
import { DEVICE_SHORTCUTS, pickerEntries } from '../../src/nodes/p1-filter-obis/picker-entries';
import { OBIS_REGISTRY } from '../../src/protocol/obis-registry';
import { parseTelegram } from '../../src/protocol/parser';
import { FIXTURES, REPO_ROOT } from '../support/paths';

/** A real telegram of a meter with a device of that kind. */
const TELEGRAM_WITH: Record<string, string> = {
  gas: 'ndokter__dsmr_parser/v5_spec_example.txt',
  water: 'ndokter__dsmr_parser/be_fluvius_v171.txt',
  heat: 'ndokter__dsmr_parser/v5_nwa_warmtelink_unpadded_crc.txt',
};

function catalog(language: string): { entries?: Record<string, string> } {
  const file = path.join(REPO_ROOT, 'nodes', 'locales', language, 'p1-filter-obis.json');
  return JSON.parse(fs.readFileSync(file, 'utf8'))['p1-filter-obis'];
}

describe('p1-filter-obis value picker entries', function () {
  it('offers gas, water and heat first, then every registry code', function () {
    const entries = pickerEntries();
    assert.deepEqual(
      entries.slice(0, 3).map((e) => e.name),
      ['gas', 'water', 'heat'],
    );
    assert.deepEqual(
      entries.slice(3).map((e) => e.code),
      OBIS_REGISTRY.map((e) => e.code),
    );
    const registryNames = new Set(OBIS_REGISTRY.map((e) => e.name));
    for (const shortcut of DEVICE_SHORTCUTS) assert.ok(!registryNames.has(shortcut.name), `${shortcut.name} is not also a registry name`);
  });

  for (const shortcut of DEVICE_SHORTCUTS) {
    it(`"${shortcut.name}" picks the reading of a real ${shortcut.name} meter, in the unit the picker shows`, function () {
      const telegram = parseTelegram(fs.readFileSync(path.join(FIXTURES, TELEGRAM_WITH[shortcut.name]), 'latin1'));
      const selector = parseSelector(shortcut.name);
      assert.ok(selector);
      const [picked] = pickValues(telegram, selector);
      assert.ok(picked, `${shortcut.name} found in ${TELEGRAM_WITH[shortcut.name]}`);
      assert.equal(typeof picked.value, 'number');
      assert.equal(picked.unit, shortcut.unit);
    });
  }

  it('has a Dutch label for every name it offers, and none for names it does not offer', function () {
    const dutch = catalog('nl').entries ?? {};
    const offered = pickerEntries().map((e) => e.name);
    assert.deepEqual(
      offered.filter((name) => !dutch[name]?.trim()),
      [],
      'names without a Dutch label',
    );
    assert.deepEqual(
      Object.keys(dutch).filter((name) => !offered.includes(name)),
      [],
      'Dutch labels for names that do not exist',
    );
  });
});
