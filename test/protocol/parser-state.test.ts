import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { OBIS_REGISTRY } from '../../src/protocol/obis-registry';
import { parseTelegram, TelegramParser } from '../../src/protocol/parser';
import { PROFILES } from '../../src/protocol/profiles';
import { P1Reader, type ReaderOptions } from '../../src/protocol/reader';
import type { P1Telegram } from '../../src/protocol/types';
import { SimulatedMeter } from '../../src/transport/simulated-meter';
import { FIXTURES } from '../support/paths';
import { chunked, SeededRandom } from './seeded-random';

/**
 * The parser keeps nothing between calls: meters read in turn get exactly what each gets alone,
 * odd ids are read, and the work grows with the input, whatever its shape.
 */

const fixture = (file: string): string => fs.readFileSync(path.join(FIXTURES, file), 'latin1');

function withCrc(lines: string[], header = 'TST5\\TEST-METER'): string {
  const body = `/${header}\r\n\r\n${lines.map((line) => line + '\r\n').join('')}!`;
  return body + formatCrc(crc16String(body)) + '\r\n';
}

/** A meter: its telegrams, and the options its reader is set up with. */
interface Meter {
  name: string;
  telegrams: string[];
  options: ReaderOptions;
}

function meters(): Meter[] {
  const simulated = (profile: 'nl-dsmr5' | 'be-fluvius', seed: number): string[] => {
    const meter = new SimulatedMeter(profile, seed);
    return Array.from({ length: 12 }, (_, i) => meter.telegramAt(Date.UTC(2024, 9, 27, 0, 30) + i * 600_000));
  };
  return [
    { name: 'simulated NL', telegrams: simulated('nl-dsmr5', 1), options: {} },
    { name: 'simulated BE', telegrams: simulated('be-fluvius', 2), options: { timezone: 'Europe/Brussels' } },
    { name: 'Kaifa DSMR 4.2 with failure log', telegrams: [fixture('ndokter__dsmr_parser/v4_2_kaifa.txt')], options: { timezone: 'Europe/Stockholm' } },
    { name: 'DSMR 2.2 (continuation lines)', telegrams: [fixture('ndokter__dsmr_parser/v2_2_iskra_mt382.txt')], options: { timezone: 'America/New_York' } },
    { name: 'EasyMeter (IEC, *255)', telegrams: [fixture('ndokter__dsmr_parser/de_easymeter_q3d_a1004.txt')], options: {} },
  ];
}

/** Everything a reader emits for `bytes`, as JSON. */
function readAlone(meter: Meter): string[] {
  const out: string[] = [];
  const reader = new P1Reader(meter.options, { onTelegram: (telegram) => out.push(JSON.stringify(telegram)) });
  reader.push(Buffer.from(meter.telegrams.join(''), 'latin1'));
  return out;
}

describe('parser: no state shared between calls or meters', () => {
  it('meters read in turn through separate readers get exactly what each gets alone', () => {
    const all = meters();
    const alone = all.map(readAlone);
    const together: string[][] = all.map(() => []);
    const readers = all.map((meter, m) => new P1Reader(meter.options, { onTelegram: (telegram) => together[m].push(JSON.stringify(telegram)) }));
    const random = new SeededRandom(9);
    // Each meter's bytes in random pieces; the meters take turns piece by piece.
    const pieces = all.map((meter) => chunked(Buffer.from(meter.telegrams.join(''), 'latin1'), random, 1, 300));
    for (let turn = 0; pieces.some((list) => list.length > 0); turn++) {
      const m = turn % all.length;
      const piece = pieces[m].shift();
      if (piece) readers[m].push(Buffer.from(piece));
    }
    all.forEach((meter, m) => {
      assert.ok(alone[m].length >= 1, `${meter.name}: read alone`);
      assert.deepEqual(together[m], alone[m], meter.name);
    });
  });

  it('one parser, telegrams of several meters interleaved: each result is what the telegram gives a fresh parser', () => {
    const all = meters();
    const alone = all.map((meter) => meter.telegrams.map((text) => JSON.stringify(parseTelegram(text))));
    const shared = new TelegramParser();
    const longest = Math.max(...all.map((meter) => meter.telegrams.length));
    for (let i = 0; i < longest; i++) {
      for (let m = all.length - 1; m >= 0; m--) {
        const text = all[m].telegrams[i % all[m].telegrams.length];
        assert.equal(JSON.stringify(shared.parse(text)), alone[m][i % all[m].telegrams.length], `${all[m].name}, telegram ${i}`);
      }
    }
  });

  it('every corpus telegram parses the same again after all the others', () => {
    const dir = path.join(FIXTURES, 'ndokter__dsmr_parser');
    const texts = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.txt'))
      .map((name) => fs.readFileSync(path.join(dir, name), 'latin1'));
    assert.ok(texts.length > 5);
    const first = texts.map((text) => JSON.stringify(parseTelegram(text)));
    texts.reverse().forEach((text, i) => {
      assert.equal(JSON.stringify(parseTelegram(text)), first[texts.length - 1 - i]);
    });
  });

  it('keeps a character above 0xFF (JavaScript callers may pass any string)', () => {
    const wide = parseTelegram(withCrc(['0-0:96.13.0(\u0141)', '1-0:1.8.1(001581.123*kWh)']));
    assert.equal(wide.obis['0-0:96.13.0'].value, '\u0141');
    assert.equal(wide.obis['1-0:1.8.1'].value, 1581.123);
  });

  it('a result belongs to its caller: changing it changes no later result', () => {
    const text = fixture('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');
    const first = parseTelegram(text);
    const expected = JSON.stringify(first);
    first.obis['1-0:1.8.1'].value = -1;
    first.obis['1-0:1.8.1'].groups.push({ value: null, raw: '' });
    (first.units as Record<string, string>).energyDeliveredTariff1 = 'changed';
    first.mbus['1'].reading = -1;
    first.warnings.push('changed');
    assert.equal(JSON.stringify(parseTelegram(text)), expected);
  });
});

describe('parser: ids with a group F', () => {
  it('reads `.255` suffixes (DSMR 4.2 specification example) as the id without it', () => {
    const t = parseTelegram(withCrc(['1-3:0.2.8(42)', '1-0:31.7.0.255(001*A)', '1-0:21.7.0.255(01.111*kW)']));
    assert.deepEqual(t.warnings, []);
    assert.deepEqual(t.obis['1-0:31.7.0'], { name: 'currentL1', value: 1, unit: 'A', groups: [{ value: 1, unit: 'A', raw: '001*A' }] });
    assert.equal(t.currentL1, 1);
    assert.equal(t.powerDeliveredL1, 1.111);
    assert.equal(t.obis['1-0:31.7.0.255'], undefined);
    assert.equal(t.profile, 'dsmr', 'a `.255` suffix does not make a DSMR meter an IEC one');
  });

  it('reads the DSMR 4.2.2 specification example whole', () => {
    const t = parseTelegram(fixture('athombv__node-dsmr-parser/dsmr_4.2.2_spec_example.txt'));
    assert.deepEqual([t.currentL1, t.currentL2, t.currentL3], [1, 2, 3]);
    // Its one other oddity, `1-0:72:32.0`, is a misprint the parser rightly skips.
    assert.deepEqual(t.warnings, ['unreadable line "1-0:72:32.0(00000)"; skipped']);
  });

  it('still refuses other sixth fields', () => {
    const t = parseTelegram(withCrc(['1-0:31.7.0.254(001*A)', '1-0:31.7.0.255.255(001*A)']));
    assert.equal(t.obis['1-0:31.7.0'], undefined);
    assert.equal(t.warnings.filter((warning) => warning.startsWith('unreadable line')).length, 2);
  });
});

describe('parser: work grows linearly with the input, whatever its shape', () => {
  // Each shape at size n and 8n must give results that scale by 8 as well: nothing read twice, nothing dropped.
  // (Timing of the same inputs is in `npm run bench`.)
  const SHAPES: Array<{ name: string; make: (n: number) => string; check: (t: P1Telegram, n: number) => void }> = [
    {
      name: 'one line with an unclosed group followed by n `(`',
      make: (n) => `/X\r\n1-0:1.8.1(${'('.repeat(n)}\r\n!`,
      check: (t, n) => {
        assert.equal(t.obis['1-0:1.8.1'].groups.length, 1);
        assert.equal(t.obis['1-0:1.8.1'].groups[0].raw.length, n);
        assert.equal(t.warnings.length, 2);
      },
    },
    {
      name: 'n lines, each with a group that never closes',
      make: (n) => `/X\r\n${'1-0:1.8.1(12\r\n'.repeat(n)}!`,
      check: (t, n) => {
        assert.equal(t.obis['1-0:1.8.1'].value, 12);
        assert.equal(t.warnings.filter((w) => w.includes("without ')'")).length, n);
        assert.equal(t.warnings.filter((w) => w.includes('appears twice')).length, n - 1);
      },
    },
    {
      name: 'an unclosed text group wrapped over n lines, closed at the end',
      make: (n) => `/X\r\n0-0:96.13.0(${'41\r\n'.repeat(n)})\r\n!`,
      check: (t, n) => {
        assert.equal(t.obis['0-0:96.13.0'].groups[0].raw.length, 2 * n);
        assert.equal(t.textMessage, 'A'.repeat(n));
      },
    },
    {
      name: 'an unclosed group, then n lines that continue it and never close',
      make: (n) => `/X\r\n0-0:96.13.0(41\r\n${'42\r\n'.repeat(n)}!`,
      check: (t, n) => {
        assert.equal(t.obis['0-0:96.13.0'].groups[0].raw, '41');
        assert.equal(t.warnings.filter((w) => w.startsWith('unreadable line')).length, n);
      },
    },
    {
      name: 'n groups on one line',
      make: (n) => `/X\r\n1-0:99.97.0(${n})(0-0:96.7.19)${'(200101120000W)(0000000240*s)'.repeat(n)}\r\n!`,
      check: (t, n) => assert.equal((t.powerFailureLog as unknown[]).length, n),
    },
  ];

  for (const shape of SHAPES) {
    it(`${shape.name}: the result for 8n is the result for n, scaled`, () => {
      const n = 1024;
      for (const size of [n, 8 * n]) {
        const text = shape.make(size);
        assert.ok(text.length >= size, 'the input grows with n');
        shape.check(parseTelegram(text), size);
      }
    });
  }
});

describe('meter profiles table', () => {
  it('names each profile once and ends with the default', () => {
    const names = PROFILES.map((profile) => profile.name);
    assert.equal(new Set(names).size, names.length);
    assert.equal(names[names.length - 1], 'dsmr');
  });

  it('every registry override belongs to a profile of the table', () => {
    const names = new Set(PROFILES.map((profile) => profile.name));
    for (const definition of OBIS_REGISTRY) for (const profile of definition.profiles ?? []) assert.ok(names.has(profile), `${definition.code}: ${profile}`);
  });

  it('recognises every profile by its manufacturer flag, in any case', () => {
    for (const profile of PROFILES) {
      for (const flag of profile.manufacturers) {
        assert.equal(parseTelegram(withCrc(['1-0:1.8.1(000001.000*kWh)'], `${flag.toLowerCase()}5\\METER`)).profile, profile.name, flag);
      }
    }
  });
});
