import assert from 'node:assert/strict';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { parseTelegram } from '../../src/protocol/parser';
import type { P1Telegram } from '../../src/protocol/types';

/** A telegram as a meter sends it: header, blank line, data lines, `!` and (unless `crc: false`) a valid CRC. */
function telegram(lines: string[], options: { header?: string; crc?: boolean } = {}): string {
  const body = `/${options.header ?? 'TST5\\TEST-METER'}\r\n\r\n${lines.map((line) => line + '\r\n').join('')}!`;
  return options.crc === false ? body + '\r\n' : body + formatCrc(crc16String(body)) + '\r\n';
}

function parse(lines: string[], options: { header?: string; crc?: boolean; timezone?: string } = {}): P1Telegram {
  return parseTelegram(telegram(lines, options), options.timezone ? { timezone: options.timezone } : undefined);
}

describe('parseTelegram: identity', () => {
  it('reads header, manufacturer, model, version, equipment id and time', () => {
    const t = parse(['1-3:0.2.8(50)', '0-0:1.0.0(200512135409S)', '0-0:96.1.1(4530303334303037343337383430323139)'], { header: 'ISk5\\2MT382-1000' });
    assert.equal(t.header, 'ISk5\\2MT382-1000');
    assert.equal(t.manufacturer, 'ISk');
    assert.equal(t.model, '\\2MT382-1000');
    assert.equal(t.version, '50');
    assert.equal(t.equipmentId, 'E0034007437840219');
    assert.equal(t.timestamp, '2020-05-12T13:54:09+02:00');
    assert.equal(t.profile, 'dsmr');
    assert.deepEqual(t.crc.valid, true);
    assert.deepEqual(t.warnings, []);
  });

  it('infers DSMR 2.2/3 when there is neither CRC nor version line', () => {
    const t = parse(['1-0:1.8.1(00185.000*kWh)'], { crc: false });
    assert.equal(t.version, '2.2/3.0');
    assert.equal(t.crc.present, false);
    assert.equal(t.crc.valid, null);
  });

  it('takes the Belgian version from 0-0:96.1.4 and the LU/HU id from 0-0:42.0.0', () => {
    assert.equal(parse(['0-0:96.1.4(50217)'], { header: 'FLU5\\253769484_A' }).version, '50217');
    assert.equal(parse(['0-0:42.0.0(53414733303832323030303032313630)']).equipmentId, 'SAG3082200002160');
  });

  it('infers the country profile from the header flag and the codes', () => {
    const profileOf = (header: string, lines: string[] = ['1-0:1.8.1(000001.000*kWh)']) => parse(lines, { header }).profile;
    assert.equal(profileOf('FLU5\\253769484_A'), 'emucs');
    assert.equal(profileOf('GRE5\\12341234_A', ['0-0:96.1.4(12345)']), 'emucs');
    assert.equal(profileOf('Lux5\\253663629_D'), 'smarty');
    assert.equal(profileOf('ESO5\\VMMmm'), 'lithuania');
    assert.equal(profileOf('KAM5'), 'sweden');
    assert.equal(profileOf('LGF5E360'), 'sweden');
    assert.equal(profileOf('EST5\\253710000_A'), 'austria');
    assert.equal(profileOf('Ene5\\T210', ['1-0:1.8.0(006545766*Wh)']), 'austria');
    assert.equal(profileOf('SAG5SAG-METER', ['0-0:42.0.0(5341)', '1-0:1.8.3(000000.000*kWh)']), 'hungary');
    assert.equal(profileOf('ESY5Q3DA1004 V3.04', ['1-0:1.8.0*255(00032549.5061662*kWh)']), 'iec62056');
    assert.equal(profileOf('XYZ5', ['1-0:1.8.0*255(00032549.5061662*kWh)']), 'iec62056');
    assert.equal(profileOf('KFM5KAIFA-METER'), 'dsmr');
  });
});

describe('parseTelegram: value syntax', () => {
  it('reads zero-padded decimals exactly, in the unit sent', () => {
    const t = parse([
      '1-0:1.8.1(000671.578*kWh)',
      '1-0:1.7.0(00.300*kW)',
      '1-0:16.24.0(-00.024*kW)',
      '1-0:32.7.0(0230.0*V)',
      '1-0:1.8.0(00032549.5061662*kWh)',
    ]);
    assert.equal(t.obis['1-0:1.8.1'].value, 671.578);
    assert.equal(t.obis['1-0:1.8.1'].unit, 'kWh');
    assert.equal(t.obis['1-0:1.7.0'].value, 0.3);
    assert.equal(t.obis['1-0:16.24.0'].value, -0.024);
    assert.equal(t.obis['1-0:32.7.0'].value, 230);
    assert.equal(t.obis['1-0:1.8.0'].value, 32549.5061662);
    assert.deepEqual(t.obis['1-0:1.8.1'].groups, [{ value: 671.578, unit: 'kWh', raw: '000671.578*kWh' }]);
    assert.equal(t.energyDeliveredTariff1, 671.578);
    assert.equal(t.units.energyDeliveredTariff1, 'kWh');
  });

  it('normalises the spelling of units (case-insensitive)', () => {
    const t = parse([
      '1-0:1.8.1(000001.000*kwh)',
      '1-0:3.8.0(000001.000*kVArh)',
      '1-0:3.7.0(00.100*kVAr)',
      '1-0:14.7.0(50.00*hz)',
      '0-1:24.2.1(200512134558S)(00012.000*M3)',
      '1-0:9.7.0(00.100*kva)',
    ]);
    assert.equal(t.obis['1-0:1.8.1'].unit, 'kWh');
    assert.equal(t.obis['1-0:3.8.0'].unit, 'kvarh');
    assert.equal(t.obis['1-0:3.7.0'].unit, 'kvar');
    assert.equal(t.obis['1-0:14.7.0'].unit, 'Hz');
    assert.equal(t.obis['0-1:24.2.1'].unit, 'm3');
    assert.equal(t.obis['1-0:9.7.0'].unit, 'kVA');
    assert.equal(t.units.energyDeliveredTariff1, 'kWh');
  });

  it('keeps Austrian Wh and W as sent', () => {
    const t = parse(['1-0:1.8.0(006545766*Wh)', '1-0:1.7.0(000415*W)'], { header: 'EST5\\253710000_A' });
    assert.equal(t.energyDeliveredTotal, 6545766);
    assert.equal(t.units.energyDeliveredTotal, 'Wh');
    assert.equal(t.powerDelivered, 415);
    assert.equal(t.units.powerDelivered, 'W');
  });

  it('reads integers with or without zero padding', () => {
    const t = parse(['0-0:96.7.21(00015)', '0-1:24.1.0(3)', '0-2:24.1.0(007)', '0-0:96.14.0(0002)']);
    assert.equal(t.powerFailures, 15);
    assert.equal(t.mbus['1'].deviceType, 3);
    assert.equal(t.mbus['2'].deviceType, 7);
    assert.equal(t.tariff, 2);
  });

  it('keeps octet strings as hex and decodes printable ones into text', () => {
    const t = parse(['0-0:96.1.1(4530303334303037343337383430323139)', '0-0:96.13.0(48656C6C6F2C20776F726C6421)']);
    assert.equal(t.obis['0-0:96.1.1'].value, '4530303334303037343337383430323139');
    assert.equal(t.obis['0-0:96.1.1'].text, 'E0034007437840219');
    assert.equal(t.textMessage, 'Hello, world!');
  });

  it('keeps ids that are not hex text as they are', () => {
    const t = parse(['0-0:96.1.1(serienummer)', '0-1:96.1.0(12345678901234567890123456789012)']);
    assert.equal(t.equipmentId, 'serienummer');
    assert.equal(t.obis['0-0:96.1.1'].text, undefined);
    assert.equal(t.mbus['1'].equipmentId, '12345678901234567890123456789012', 'hex of control bytes is not text');
  });

  it('never turns long digit strings into numbers', () => {
    const t = parse(['0-0:96.13.1(303132333435363738)', '0-0:96.1.1(3960221976967177082151037881335713)']);
    assert.equal(t.obis['0-0:96.13.1'].value, '303132333435363738');
    assert.equal(t.obis['0-0:96.1.1'].value, '3960221976967177082151037881335713');
  });

  it('reads an empty group as null, without a warning', () => {
    const t = parse(['0-0:96.13.0()', '0-1:96.1.0()']);
    assert.equal(t.obis['0-0:96.13.0'].value, null);
    assert.deepEqual(t.obis['0-0:96.13.0'].groups, [{ value: null, raw: '' }]);
    assert.equal('textMessage' in t, false);
    assert.equal(t.mbus['1'].equipmentId, null);
    assert.deepEqual(t.warnings, []);
  });

  it('decodes unknown codes generically: unit ⇒ number, 12 digits + S/W ⇒ time, else text', () => {
    const t = parse(['1-0:94.99.9(12.5*kW)', '0-0:96.99.1(210101000000W)', '0-0:96.99.2(ABC)', '0-0:96.99.3(42)', '0-0:96.99.4(12345678901234567890)']);
    assert.equal(t.obis['1-0:94.99.9'].value, 12.5);
    assert.equal(t.obis['1-0:94.99.9'].unit, 'kW');
    assert.equal(t.obis['0-0:96.99.1'].value, '2021-01-01T00:00:00+01:00');
    assert.equal(t.obis['0-0:96.99.2'].value, 'ABC');
    assert.equal(t.obis['0-0:96.99.3'].value, 42);
    assert.equal(t.obis['0-0:96.99.4'].value, '12345678901234567890');
    assert.equal(t.obis['1-0:94.99.9'].name, undefined);
  });

  it('keys B ≠ 0 codes by their full id and drops a *255 group F', () => {
    const t = parse(['1-1:1.8.1(001595.070*kWh)', '1-0:1.8.1(000001.000*kWh)', '1-0:1.8.0*255(00032549.5061662*kWh)']);
    assert.equal(t.obis['1-1:1.8.1'].value, 1595.07);
    assert.equal(t.obis['1-0:1.8.1'].value, 1);
    assert.equal(t.energyDeliveredTariff1, 1, 'B = 1 is another measuring channel, not tariff 1 of the main meter');
    assert.equal(t.obis['1-0:1.8.0'].value, 32549.5061662);
    assert.equal(t.obis['1-0:1.8.0*255'], undefined);
  });

  it('resolves codes whose meaning depends on the full id', () => {
    const t = parse(['1-3:0.2.8(50)', '1-0:0.2.8(1EA43311)', '1-1:0.2.8(047C71F1)'], { header: 'ESO5\\VMMmm' });
    assert.equal(t.obis['1-3:0.2.8'].name, 'p1Version');
    assert.equal(t.obis['1-0:0.2.8'].name, 'firmwareSignature');
    assert.equal(t.firmwareSignature, '1EA43311');
    assert.equal(t.firmwareSignature1, '047C71F1');
  });
});

describe('parseTelegram: time stamps', () => {
  const timeOf = (stamp: string, timezone?: string) => {
    const t = parse([`0-0:1.0.0(${stamp})`], { timezone });
    return { time: t.timestamp, warnings: t.warnings };
  };

  it('gives W the standard offset and S one hour more, in either case', () => {
    assert.equal(timeOf('200512135409S').time, '2020-05-12T13:54:09+02:00');
    assert.equal(timeOf('200512135409s').time, '2020-05-12T13:54:09+02:00');
    assert.equal(timeOf('170108161107W').time, '2017-01-08T16:11:07+01:00');
    assert.equal(timeOf('170108161107w').time, '2017-01-08T16:11:07+01:00');
  });

  it('uses the offsets of the configured time zone', () => {
    assert.equal(timeOf('170108161107W', 'Europe/London').time, '2017-01-08T16:11:07+00:00');
    assert.equal(timeOf('200512135409S', 'Europe/London').time, '2020-05-12T13:54:09+01:00');
    assert.equal(timeOf('200512135409S', 'Europe/Helsinki').time, '2020-05-12T13:54:09+03:00');
  });

  it('falls back to Europe/Amsterdam for an unknown zone, with a warning', () => {
    const { time, warnings } = timeOf('200512135409S', 'Mars/Olympus_Mons');
    assert.equal(time, '2020-05-12T13:54:09+02:00');
    assert.match(warnings.join('\n'), /unknown time zone "Mars\/Olympus_Mons"/);
  });

  for (const [stamp, why] of [
    ['632525252525W', 'Fluvius/LU "no value"'],
    ['632525252525S', 'Fluvius/LU "no value"'],
    ['000101000001W', 'clock never set (year 2000)'],
    ['000101010000W', 'clock never set (year 2000)'],
    ['700101010000W', 'Unix epoch: empty M-Bus channel'],
    ['250000000000W', 'month 00'],
    ['123412341234W', 'month 34'],
    ['250300120000W', 'day 0'],
    ['250301240000W', 'hour 24'],
    ['250301126000W', 'minute 60'],
    ['250229120000W', '29 February in a common year'],
    ['250431120000S', '31 April'],
    ['2503011200W', 'too short'],
    ['250301120000X', 'unknown flag'],
  ] as const) {
    it(`returns null and a warning for ${stamp} (${why}), never a rolled-over date`, () => {
      const { time, warnings } = timeOf(stamp);
      assert.equal(time, null);
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0].includes(stamp), warnings[0]);
    });
  }

  it('accepts 29 February in a leap year', () => {
    assert.equal(timeOf('240229120000W').time, '2024-02-29T12:00:00+01:00');
  });

  it('reads flagless DSMR 2.2/3 stamps as local time, across both DST changes', () => {
    const gasTime = (stamp: string, timezone?: string) =>
      parse([`0-1:24.1.0(3)`, `0-1:24.3.0(${stamp})(00)(60)(1)(0-1:24.2.1)(m3)`, '(00001.001)'], { crc: false, timezone }).mbus['1'].readingTime;
    assert.equal(gasTime('240331010000'), '2024-03-31T01:00:00+01:00');
    assert.equal(gasTime('240331030000'), '2024-03-31T03:00:00+02:00');
    assert.equal(gasTime('241027013000'), '2024-10-27T01:30:00+02:00');
    assert.equal(gasTime('241027040000'), '2024-10-27T04:00:00+01:00');
    assert.equal(gasTime('240701120000', 'America/New_York'), '2024-07-01T12:00:00-04:00');
  });
});

describe('parseTelegram: multi-value lines', () => {
  it('reads DSMR 2.2/3 gas with the value on the next line', () => {
    const t = parse(
      [
        '0-1:24.1.0(03)',
        '0-1:96.1.0(3232323241424344313233343536373839)',
        '0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)',
        '(00001.001)',
        '0-1:24.4.0(1)',
      ],
      { crc: false },
    );
    const object = t.obis['0-1:24.3.0'];
    assert.equal(object.value, 1.001);
    assert.equal(object.unit, 'm3');
    assert.equal(object.time, '2009-02-12T16:00:00+01:00');
    assert.equal(object.groups.length, 7);
    assert.deepEqual(t.gas, {
      channel: 1,
      deviceType: 3,
      kind: 'gas',
      equipmentId: '2222ABCD123456789',
      reading: 1.001,
      unit: 'm3',
      readingTime: '2009-02-12T16:00:00+01:00',
      valvePosition: 1,
    });
    assert.deepEqual(t.warnings, []);
  });

  it('reads a text message wrapped over several lines (DSMR 3 example)', () => {
    const t = parse(['0-0:96.13.0(48656C6C6F2C', '20776F72', '6C6421)', '0-0:96.14.0(0002)'], { crc: false });
    assert.equal(t.textMessage, 'Hello, world!');
    assert.equal(t.tariff, 2);
  });

  it('reads the power-failure log from the pairs present, whatever the count says', () => {
    const t = parse(['1-0:99.97.0(5)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)']);
    assert.deepEqual(t.powerFailureLog, [
      { end: '2010-12-08T15:24:15+01:00', start: '2010-12-08T15:20:15+01:00', durationSeconds: 240 },
      { end: '2010-12-08T15:10:04+01:00', start: '2010-12-08T15:05:03+01:00', durationSeconds: 301 },
    ]);
  });

  it('keeps durations beyond 2^31 exactly and nulls placeholder ends', () => {
    const t = parse(['1-0:99.97.0(3)(0-0:96.7.19)(000104180320W)(0000237126*s)(000101000001W)(2147583646*s)(200102010203W)(2317482647*s)']);
    const log = t.powerFailureLog!;
    assert.deepEqual(
      log.map((event) => event.durationSeconds),
      [237126, 2147583646, 2317482647],
    );
    assert.equal(log[0].end, null);
    assert.equal(log[0].start, null);
    assert.equal(log[2].end, '2020-01-02T01:02:03+01:00');
    assert.equal(Date.parse(log[2].end!) - Date.parse(log[2].start!), 2317482647 * 1000);
    assert.equal(t.warnings.length, 2, t.warnings.join('\n'));
  });

  it('reads an empty power-failure log as []', () => {
    assert.deepEqual(parse(['1-0:99.97.0(0)(0-0:96.7.19)']).powerFailureLog, []);
    assert.deepEqual(parse(['1-0:99.97.0()']).powerFailureLog, []);
  });

  it('reads the Belgian monthly peak with value and time in either order', () => {
    for (const line of ['1-0:1.6.0(200509134558S)(02.589*kW)', '1-0:1.6.0(02.589*kW)(200509134558S)']) {
      const t = parse([line], { header: 'FLU5\\253769484_A' });
      assert.equal(t.peakDemandMonth, 2.589, line);
      assert.equal(t.units.peakDemandMonth, 'kW');
      assert.equal(t.peakDemandMonthTime, '2020-05-09T13:45:58+02:00', line);
    }
  });

  it('reads the Belgian peak history: count, capture ids, triples; empty months null; units as sent', () => {
    const t = parse(
      [
        '0-0:98.1.0(3)(1-0:1.6.0)(1-0:1.6.0)(230801000000S)(632525252525W)(00.000*kW)(230901000000S)(230831181500S)(01.862*kW)(231001000000S)(230910183000S)(04529*W)',
      ],
      { header: 'FLU5\\253769484_A' },
    );
    assert.deepEqual(t.peakDemandHistory, [
      { month: '2023-08-01T00:00:00+02:00', time: null, value: null, unit: 'kW' },
      { month: '2023-09-01T00:00:00+02:00', time: '2023-08-31T18:15:00+02:00', value: 1.862, unit: 'kW' },
      { month: '2023-10-01T00:00:00+02:00', time: '2023-09-10T18:30:00+02:00', value: 4529, unit: 'W' },
    ]);
    assert.equal(t.warnings.length, 1, 'one warning for the placeholder month');
  });

  it('reads a count-only peak history as empty', () => {
    assert.deepEqual(parse(['0-0:98.1.0(12)'], { header: 'FLU5\\253769484_A' }).peakDemandHistory, []);
  });

  it('reads the Hungarian 98.1.0 billing record (no count) as such, not as peaks', () => {
    const t = parse(['0-0:42.0.0(5341)', '1-0:1.8.3(000000.000*kWh)', '0-0:98.1.0(230701000000S)(000040.777*kWh)(000008.950*kWh)(000073.988*kvarh)'], {
      header: 'SAG5SAG-METER',
    });
    assert.equal(t.profile, 'hungary');
    const object = t.obis['0-0:98.1.0'];
    assert.equal(object.name, 'billingSnapshot');
    assert.equal(object.time, '2023-07-01T00:00:00+02:00');
    assert.equal(object.value, 40.777);
    assert.deepEqual(
      object.groups.map((group) => group.value),
      ['2023-07-01T00:00:00+02:00', 40.777, 8.95, 73.988],
    );
    assert.equal(t.peakDemandHistory, undefined);
  });

  it('reads the Luxembourg import/export current thresholds', () => {
    const t = parse(['1-1:31.4.0(100*A)(-063*A)'], { header: 'Lux5\\253694471_M' });
    assert.equal(t.currentThresholdImport, 100);
    assert.equal(t.currentThresholdExport, -63);
    assert.equal(t.units.currentThresholdExport, 'A');
  });
});

describe('parseTelegram: M-Bus devices', () => {
  it('groups devices by channel and finds gas, water and heat by kind', () => {
    const t = parse([
      '0-1:24.1.0(007)',
      '0-1:24.2.1(200512134558S)(00872.234*m3)',
      '0-2:24.1.0(003)',
      '0-2:96.1.1(37464C4F32313139303333373333)',
      '0-2:24.2.3(200512134558S)(00112.384*m3)',
      '0-2:24.4.0(1)',
      '0-3:24.1.0(004)',
      '0-3:24.2.1(200512134558S)(240.860*GJ)',
      '0-4:24.1.0(003)',
      '0-4:24.2.1(200512134558S)(00001.000*m3)',
    ]);
    assert.deepEqual(Object.keys(t.mbus), ['1', '2', '3', '4']);
    assert.equal(t.water?.channel, 1);
    assert.equal(t.gas?.channel, 2, 'the first gas meter by channel');
    assert.equal(t.gas?.equipmentId, '7FLO2119033733');
    assert.equal(t.gas?.reading, 112.384);
    assert.equal(t.gas?.valvePosition, 1);
    assert.equal(t.heat?.unit, 'GJ');
    assert.equal(t.heat?.kind, 'heat');
  });

  it('reports an empty channel (placeholder time, zero reading) as reading null', () => {
    const t = parse(['0-1:24.1.0(003)', '0-1:96.1.0()', '0-1:24.2.1(700101010000W)(00000000)', '0-2:24.2.1(632525252525S)(00000.000*m3)']);
    assert.equal(t.mbus['1'].reading, null);
    assert.equal(t.mbus['1'].readingTime, null);
    assert.equal(t.mbus['1'].equipmentId, null);
    assert.equal(t.obis['0-1:24.2.1'].value, null);
    assert.deepEqual(t.obis['0-1:24.2.1'].groups[1], { value: 0, raw: '00000000' }, 'the raw reading is kept');
    assert.equal(t.mbus['2'].reading, null);
    assert.equal(t.mbus['2'].kind, 'unknown');
  });

  it('points the gas shortcut past an empty gas channel to the one in use', () => {
    const t = parse([
      '0-1:24.1.0(003)',
      '0-1:96.1.0()',
      '0-1:24.2.1(700101010000W)(00000000)',
      '0-2:24.1.0(003)',
      '0-2:96.1.0(4730303339303031393336393930363139)',
      '0-2:24.2.1(200426223001S)(00246.138*m3)',
    ]);
    assert.equal(t.gas?.channel, 2);
    assert.equal(t.gas?.reading, 246.138);
    assert.equal(t.mbus['1'].kind, 'gas');
  });
});

describe('parseTelegram: derived values', () => {
  it('adds powerNet and tariff sums without float noise', () => {
    const t = parse([
      '1-0:1.8.1(000001.100*kWh)',
      '1-0:1.8.2(000002.200*kWh)',
      '1-0:2.8.1(000000.100*kWh)',
      '1-0:2.8.2(000000.200*kWh)',
      '1-0:1.7.0(01.175*kW)',
      '1-0:2.7.0(00.588*kW)',
    ]);
    assert.equal(t.powerNet, 0.587);
    assert.equal(t.units.powerNet, 'kW');
    assert.equal(t.energyDeliveredSum, 3.3);
    assert.equal(t.energyReturnedSum, 0.3);
    assert.equal(t.units.energyDeliveredSum, 'kWh');
  });

  it('leaves the sums out for meters without tariff registers', () => {
    const t = parse(['1-0:1.8.0(005675.956*kWh)', '1-0:1.7.0(03.074*kW)', '1-0:2.7.0(00.000*kW)']);
    assert.equal('energyDeliveredSum' in t, false);
    assert.equal(t.powerNet, 3.074);
  });
});

describe('parseTelegram: bad input', () => {
  it('warns once per bad line and keeps the rest', () => {
    const t = parse([
      '1-0:1.8.1(000001.000*kWh)',
      '1-0:99:97.0(2)(0:96.7.19)(101208152415W)(0000000240*s)',
      'This message overflows because it is too large',
      '1-0:72:32.0(00000)',
      '1-0:1.7.0(00.193*kW)/ISK5\\2M550E-1012',
      '1-0:2.7.0(00.000*kW',
      '1-0:1.8.2(000002.000*kWh)',
    ]);
    assert.equal(t.energyDeliveredTariff1, 1);
    assert.equal(t.energyDeliveredTariff2, 2);
    assert.equal(t.powerDelivered, 0.193);
    assert.equal(t.powerReturned, 0);
    assert.equal(t.warnings.length, 5, t.warnings.join('\n'));
    assert.equal(t.powerFailureLog, undefined);
  });

  it('warns about a repeated line and keeps the last', () => {
    const t = parse(['1-0:1.7.0(00.100*kW)', '1-0:1.7.0(00.200*kW)']);
    assert.equal(t.powerDelivered, 0.2);
    assert.equal(t.warnings.length, 1);
  });

  it('warns about a value that should be a number', () => {
    const t = parse(['1-0:1.7.0(abc*kW)']);
    assert.equal(t.obis['1-0:1.7.0'].value, 'abc');
    assert.equal('powerDelivered' in t, false);
    assert.equal(t.warnings.length, 1);
  });

  it('never throws, whatever it gets', () => {
    const inputs = [
      '',
      '!',
      '/',
      '/\r\n!',
      '((((',
      '1-0:1.8.1(',
      '0-0:1.0.0()()()',
      '/X\r\n\r\n(00001.000)\r\n!',
      '\u0000\u00ff'.repeat(100),
      '/ISK5\r\n1-0:1.8.1(1)\n'.repeat(50),
    ];
    for (const input of inputs) {
      const t = parseTelegram(input);
      assert.equal(typeof t.header, 'string');
      assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
    }
  });

  it('does not check the CRC of a fragment without its header', () => {
    assert.equal(parseTelegram('1-0:1.8.1(000001.000*kWh)\r\n!ABCD\r\n').crc.valid, null);
  });

  it('uses the CRC check it is given', () => {
    const crc = { present: true, stated: '1234', computed: '1234', valid: true };
    assert.equal(parseTelegram(telegram(['1-0:1.7.0(00.100*kW)'], { crc: false }), undefined, crc).crc, crc);
  });
});

describe('parseTelegram: repeated use', () => {
  const meterA = telegram([
    '1-3:0.2.8(50)',
    '0-0:1.0.0(200512135409S)',
    '1-0:1.8.1(000001.000*kWh)',
    '1-0:1.7.0(00.100*kW)',
    '0-1:24.1.0(003)',
    '0-1:24.2.1(200512134558S)(00012.000*m3)',
  ]);
  const meterB = telegram(['0-0:96.1.4(50217)', '1-0:1.7.0(00.200*kW)', '1-0:1.8.1(000002.000*kWh)', '1-0:1.6.0(200509134558S)(02.589*kW)'], {
    header: 'FLU5\\253769484_A',
  });
  const meterAReordered = telegram([
    '1-0:1.7.0(00.100*kW)',
    '1-3:0.2.8(50)',
    '1-0:1.8.1(000001.000*kWh)',
    '0-1:24.2.1(200512134558S)(00012.000*m3)',
    '0-1:24.1.0(003)',
    '0-0:1.0.0(200512135409S)',
  ]);

  it('gives the same result for the same telegram however often and between whatever others it comes', () => {
    const first = JSON.stringify(parseTelegram(meterA));
    const firstB = JSON.stringify(parseTelegram(meterB));
    for (let round = 0; round < 5; round++) {
      assert.equal(JSON.stringify(parseTelegram(meterA)), first, `round ${round}, meter A`);
      assert.equal(JSON.stringify(parseTelegram(meterB)), firstB, `round ${round}, meter B`);
    }
    const reordered = parseTelegram(meterAReordered);
    assert.equal(reordered.powerDelivered, 0.1);
    assert.equal(reordered.gas?.reading, 12);
    assert.deepEqual(reordered.warnings, []);
    assert.equal(JSON.stringify(parseTelegram(meterA)), first);
  });

  it('returns independent objects: changing one result does not touch the next', () => {
    const first = parseTelegram(meterA);
    first.obis['1-0:1.7.0'].value = 99;
    (first.units as Record<string, string>).powerDelivered = 'MW';
    first.gas!.reading = -1;
    const second = parseTelegram(meterA);
    assert.equal(second.obis['1-0:1.7.0'].value, 0.1);
    assert.equal(second.units.powerDelivered, 'kW');
    assert.equal(second.gas?.reading, 12);
  });
});
