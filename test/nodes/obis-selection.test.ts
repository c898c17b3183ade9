/**
 * The selection logic of p1-filter-obis without Node-RED, on real telegrams from the corpus
 * parsed by the real parser.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  invalidSelectors,
  ObisSelection,
  parseSelector,
  pickValues,
  scaleToBaseUnit,
  type SelectionOptions,
} from '../../src/nodes/p1-filter-obis/obis-selection';
import { parseTelegram } from '../../src/protocol/parser';
import type { P1Telegram } from '../../src/protocol/types';
import { FIXTURES } from '../support/paths';

function telegram(file: string): P1Telegram {
  return parseTelegram(fs.readFileSync(path.join(FIXTURES, file), 'latin1'));
}

/** DSMR 5 spec example: 3 phases, gas on channel 1 read at 16:10:05, telegram at 19:20:02. */
const NL = telegram('ndokter__dsmr_parser/v5_spec_example.txt');
/** Fluvius: Belgian gas (24.2.3) on channel 1, water on channel 2, monthly peak with its time. */
const BE = telegram('ndokter__dsmr_parser/be_fluvius_v171.txt');

function pick(t: P1Telegram, entry: string) {
  const selector = parseSelector(entry);
  assert.ok(selector, `${entry} is a selector`);
  return pickValues(t, selector);
}

function selection(options: Partial<SelectionOptions>): ObisSelection {
  return new ObisSelection({ values: [], mode: 'split', topicStyle: 'name', scaleToW: false, onlyOnChange: false, deadband: 0, minIntervalMs: 0, ...options });
}

describe('obis selection (p1-filter-obis logic)', function () {
  describe('selectors', function () {
    it('accepts names, codes, patterns and the *255 suffix; rejects the rest', function () {
      assert.deepEqual(parseSelector('powerDelivered'), { kind: 'name', text: 'powerDelivered' });
      assert.deepEqual(parseSelector(' 1-0:1.8.1 '), { kind: 'code', text: '1-0:1.8.1', fields: ['1', '0', '1', '8', '1'], isPattern: false });
      assert.equal((parseSelector('1-0:*.7.0') as { isPattern: boolean }).isPattern, true);
      assert.equal(parseSelector('1-0:1.8.0*255')?.kind, 'code');
      assert.deepEqual(invalidSelectors(['voltageL1', '1-0:1.8', 'power delivered', '', '1-0:1.8.1']), ['1-0:1.8', 'power delivered', '']);
    });
  });

  describe('picking values', function () {
    it('finds a friendly field with its unit, code, label and the telegram time', function () {
      assert.deepEqual(pick(NL, 'powerDelivered'), [
        { name: 'powerDelivered', code: '1-0:1.7.0', label: 'Power delivered', value: 0.244, unit: 'kW', timestamp: '2017-01-02T19:20:02+01:00' },
      ]);
    });

    it('finds an OBIS code and names it by the registry', function () {
      const [value] = pick(NL, '1-0:1.8.1');
      assert.equal(value.name, 'energyDeliveredTariff1');
      assert.equal(value.value, 4.426);
      assert.equal(value.unit, 'kWh');
    });

    it('expands a pattern to every matching line: 1-0:*.7.0 = all instantaneous values', function () {
      const names = pick(NL, '1-0:*.7.0').map((v) => v.name);
      assert.deepEqual(names, [
        'powerDelivered',
        'powerReturned',
        'voltageL1',
        'voltageL2',
        'voltageL3',
        'currentL1',
        'currentL2',
        'currentL3',
        'powerDeliveredL1',
        'powerDeliveredL2',
        'powerDeliveredL3',
        'powerReturnedL1',
        'powerReturnedL2',
        'powerReturnedL3',
      ]);
    });

    it('picks M-Bus readings by pattern with their capture time, named per channel', function () {
      assert.deepEqual(pick(BE, '0-*:24.2.*'), [
        {
          name: 'mbusReadingUncorrected1',
          code: '0-1:24.2.3',
          label: 'M-Bus gas reading (BE) (M-Bus 1)',
          value: 112.384,
          unit: 'm3',
          timestamp: '2020-05-12T13:45:58+02:00',
        },
        { name: 'mbusReading2', code: '0-2:24.2.1', label: 'M-Bus reading (M-Bus 2)', value: 872.234, unit: 'm3', timestamp: '2020-05-12T13:45:58+02:00' },
      ]);
    });

    it('picks the gas reading by the name "gas" with its capture time, not the telegram time', function () {
      const [gas] = pick(NL, 'gas');
      assert.equal(gas.value, 0.107);
      assert.equal(gas.unit, 'm3');
      assert.equal(gas.code, '0-1:24.2.1');
      assert.equal(gas.timestamp, '2017-01-02T16:10:05+01:00');
      assert.notEqual(gas.timestamp, NL.timestamp);
      assert.equal(pick(BE, 'water')[0].value, 872.234);
    });

    it('gives a value with a capture time of its own (Belgian monthly peak) that time', function () {
      const [peak] = pick(BE, 'peakDemandMonth');
      assert.equal(peak.value, 2.589);
      assert.equal(peak.timestamp, '2020-05-09T13:45:58+02:00');
    });

    it('gives octet strings as text', function () {
      assert.equal(pick(NL, '0-0:96.1.1')[0].value, 'K8EG004046395507');
    });

    it('skips values the meter does not send or left empty', function () {
      assert.deepEqual(pick(NL, 'peakDemandMonth'), []);
      assert.deepEqual(pick(NL, '1-0:99.99.9'), []);
      assert.deepEqual(pick(NL, 'water'), []);
      assert.deepEqual(pick(NL, '0-0:96.13.0'), [], 'empty text message');
      assert.deepEqual(pick(NL, '0-2:24.2.1'), [], 'channel 2 has no reading');
    });
  });

  describe('scaling to W', function () {
    it('turns kW, kWh, kvar, kvarh (any spelling) into W, Wh, var, varh without float noise', function () {
      const base = { name: 'x', code: null, label: 'x', timestamp: null };
      // Inputs whose plain product has binary noise: 1.005 * 1000 = 1004.9999999999999, 4.012 * 1000 = 4011.9999999999995.
      for (const value of [1.005, 1.013, 4.012, 2.01]) assert.notEqual(value * 1000, Math.round(value * 1000), `${value} makes noise`);
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 1.005, unit: 'kW' }), { ...base, value: 1005, unit: 'W' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 1.013, unit: 'kWh' }), { ...base, value: 1013, unit: 'Wh' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 4.012, unit: 'kVAr' }), { ...base, value: 4012, unit: 'var' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 2.01, unit: 'kvarh' }), { ...base, value: 2010, unit: 'varh' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 123456.789, unit: 'kWh' }), { ...base, value: 123456789, unit: 'Wh' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 230, unit: 'V' }), { ...base, value: 230, unit: 'V' });
      assert.deepEqual(scaleToBaseUnit({ ...base, value: 0.107, unit: 'm3' }), { ...base, value: 0.107, unit: 'm3' });
    });
  });

  describe('modes', function () {
    it('split: one message per value, topic by name or by code', function () {
      const byName = selection({ values: ['powerDelivered', 'voltageL1', 'gas'] }).apply(NL, 0);
      assert.equal(byName.mode, 'split');
      assert.deepEqual(byName.mode === 'split' && byName.messages, [
        {
          topic: 'powerDelivered',
          payload: 0.244,
          unit: 'kW',
          obis: '1-0:1.7.0',
          timestamp: '2017-01-02T19:20:02+01:00',
          name: 'powerDelivered',
          label: 'Power delivered',
        },
        { topic: 'voltageL1', payload: 230, unit: 'V', obis: '1-0:32.7.0', timestamp: '2017-01-02T19:20:02+01:00', name: 'voltageL1', label: 'Voltage, L1' },
        { topic: 'gas', payload: 0.107, unit: 'm3', obis: '0-1:24.2.1', timestamp: '2017-01-02T16:10:05+01:00', name: 'gas', label: 'M-Bus reading (M-Bus 1)' },
      ]);
      const byCode = selection({ values: ['powerDelivered', '1-0:32.7.0'], topicStyle: 'code' }).apply(NL, 0);
      assert.deepEqual(byCode.mode === 'split' && byCode.messages.map((m) => m.topic), ['1-0:1.7.0', '1-0:32.7.0']);
    });

    it('split: a value chosen twice (by name and by pattern) goes out once', function () {
      const result = selection({ values: ['powerDelivered', '1-0:1.7.0', '1-0:*.7.0'] }).apply(NL, 0);
      assert.equal(result.mode === 'split' && result.messages.filter((m) => m.topic === 'powerDelivered').length, 1);
    });

    it('object: one payload with the chosen values, units and codes, scaled', function () {
      const result = selection({ values: ['energyDeliveredTariff1', 'powerDelivered', 'gas', 'peakDemandMonth'], mode: 'object', scaleToW: true }).apply(NL, 0);
      assert.deepEqual(result, {
        mode: 'object',
        message: {
          payload: { energyDeliveredTariff1: 4426, powerDelivered: 244, gas: 0.107 },
          units: { energyDeliveredTariff1: 'Wh', powerDelivered: 'W', gas: 'm3' },
          obis: { energyDeliveredTariff1: '1-0:1.8.1', powerDelivered: '1-0:1.7.0', gas: '0-1:24.2.1' },
          timestamp: '2017-01-02T19:20:02+01:00',
        },
      });
    });

    it('ports: one entry per chosen value in list order, empty where the meter has nothing', function () {
      const result = selection({ values: ['voltageL1', 'water', '1-0:*.7.0'], mode: 'ports' }).apply(NL, 0);
      assert.equal(result.mode, 'ports');
      if (result.mode !== 'ports') return;
      assert.equal(result.ports.length, 3);
      assert.deepEqual(
        result.ports[0].map((m) => m.payload),
        [230],
      );
      assert.deepEqual(result.ports[1], []);
      assert.equal(result.ports[2].length, 14);
    });
  });

  describe('report by exception', function () {
    /** The same telegram with power delivered set to `kw`. */
    function withPower(kw: number): P1Telegram {
      return { ...NL, powerDelivered: kw, obis: { ...NL.obis, '1-0:1.7.0': { ...NL.obis['1-0:1.7.0'], value: kw } } };
    }
    function sent(s: ObisSelection, t: P1Telegram, now: number): Array<number | string> {
      const result = s.apply(t, now);
      return result.mode === 'split' ? result.messages.map((m) => m.payload) : [];
    }

    it('only on change: repeats are held back per value', function () {
      const s = selection({ values: ['powerDelivered', 'voltageL1'], onlyOnChange: true });
      assert.deepEqual(sent(s, withPower(0.5), 0), [0.5, 230]);
      assert.deepEqual(sent(s, withPower(0.5), 1000), []);
      assert.deepEqual(sent(s, withPower(0.6), 2000), [0.6]);
    });

    it('deadband: a number goes out only after it moved by more than the band from the last one sent, in the output unit', function () {
      const s = selection({ values: ['powerDelivered'], deadband: 50, scaleToW: true });
      assert.deepEqual(sent(s, withPower(0.5), 0), [500]);
      assert.deepEqual(sent(s, withPower(0.54), 1), [], '40 W');
      assert.deepEqual(sent(s, withPower(0.55), 2), [], 'exactly 50 W is not more than the band');
      assert.deepEqual(sent(s, withPower(0.551), 3), [551], 'compared with 500, the last one sent');
      assert.deepEqual(sent(s, withPower(0.5), 4), [500]);
    });

    it('min interval: at most one value per interval, per value', function () {
      const s = selection({ values: ['powerDelivered'], minIntervalMs: 10_000 });
      assert.deepEqual(sent(s, withPower(1), 0), [1]);
      assert.deepEqual(sent(s, withPower(2), 9_999), []);
      assert.deepEqual(sent(s, withPower(3), 10_000), [3]);
    });

    it('object mode goes out with all values once any one passes', function () {
      const s = selection({ values: ['powerDelivered', 'voltageL1'], mode: 'object', onlyOnChange: true });
      assert.ok(s.apply(withPower(1), 0).mode === 'object');
      const same = s.apply(withPower(1), 1);
      assert.equal(same.mode === 'object' && same.message, null);
      const changed = s.apply(withPower(2), 2);
      assert.deepEqual(changed.mode === 'object' && changed.message?.payload, { powerDelivered: 2, voltageL1: 230 });
    });
  });
});
