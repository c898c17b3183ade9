import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lookupObis, OBIS_REGISTRY } from '../../src/protocol/obis-registry';
import { canonicalUnit } from '../../src/protocol/values';
import { REPO_ROOT } from '../support/paths';

/** Every OBIS code that docs/protocol.md §4 names, with short forms (`52.32.0`) completed from the code before them in the cell. */
function codesOfProtocolSection4(): string[] {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 4. OBIS code table'), doc.indexOf('## 5. '));
  assert.ok(section.length > 1000, 'found §4 of protocol.md');
  const codes = new Set<string>();
  for (const line of section.split('\n')) {
    let prefix: string | undefined;
    for (const [, token] of line.matchAll(/`([^`]+)`/g)) {
      const full = /^(\d+-[\dnx]+):(\d+\.\d+\.\d+)/.exec(token);
      if (full) {
        prefix = full[1];
        codes.add(`${full[1]}:${full[2]}`);
      } else if (prefix && /^\d+\.\d+\.\d+$/.test(token)) {
        codes.add(`${prefix}:${token}`);
      }
    }
  }
  return [...codes];
}

/**
 * Two codes §4 quotes only to say the LU specification's table misprints them; the LU example
 * telegram and real meters use `1-0:32.32.0` and `1-1:31.4.0`, which the registry has.
 */
const MISPRINTS_QUOTED_IN_SECTION_4 = ['0-0:32.32.0', '1-1:34.4.0'];

describe('OBIS registry', () => {
  it('knows every code of docs/protocol.md §4', () => {
    const codes = codesOfProtocolSection4();
    assert.ok(codes.length > 100, `only ${codes.length} codes found`);
    const missing = codes.filter((code) => !MISPRINTS_QUOTED_IN_SECTION_4.includes(code) && !lookupObis(code.replace(/^0-[nx]:/, '0-1:')));
    assert.deepEqual(missing, []);
  });

  it('has every one of its codes documented in docs/protocol.md §4', () => {
    const documented = new Set(codesOfProtocolSection4());
    const undocumented = OBIS_REGISTRY.map((definition) => definition.code).filter((code) => !documented.has(code));
    assert.deepEqual([...new Set(undocumented)], [], 'add these codes to the OBIS code table of docs/protocol.md');
  });

  it('has a complete, well-formed entry for every code', () => {
    for (const definition of OBIS_REGISTRY) {
      assert.match(definition.code, /^\d+-(\d+|n):\d+\.\d+\.\d+$/, definition.code);
      assert.match(definition.name, /^[a-z][A-Za-z0-9]*$/, `${definition.code}: camelCase name`);
      assert.ok(definition.label.length > 3, `${definition.code}: label`);
      assert.ok(definition.description.length > 10, `${definition.code}: description`);
      if (definition.unit !== undefined)
        assert.equal(canonicalUnit(definition.unit, 0, definition.unit.length), definition.unit, `${definition.code}: canonical unit`);
    }
  });

  it('gives each code one meaning per profile, and each name one code', () => {
    const seen = new Set<string>();
    const codeOfName = new Map<string, string>();
    for (const definition of OBIS_REGISTRY) {
      for (const profile of definition.profiles ?? ['*']) {
        const id = `${definition.code} ${profile}`;
        assert.ok(!seen.has(id), `${id} defined twice`);
        seen.add(id);
      }
      const other = codeOfName.get(definition.name);
      assert.ok(other === undefined || other === definition.code, `${definition.name} names both ${other} and ${definition.code}`);
      codeOfName.set(definition.name, definition.code);
    }
  });

  it('looks up exact codes, M-Bus channels and *255 forms', () => {
    assert.equal(lookupObis('1-0:1.8.1')?.name, 'energyDeliveredTariff1');
    assert.equal(lookupObis('1-0:1.8.1')?.unit, 'kWh');
    assert.equal(lookupObis('1-0:2.8.1')?.name, 'energyReturnedTariff1');
    assert.equal(lookupObis('1-0:1.7.0')?.name, 'powerDelivered');
    assert.equal(lookupObis('1-0:22.7.0')?.name, 'powerReturnedL1');
    assert.equal(lookupObis('1-0:72.36.0')?.name, 'voltageSwellsL3');
    assert.equal(lookupObis('0-3:24.2.1')?.code, '0-n:24.2.1');
    assert.equal(lookupObis('0-1:24.2.3')?.name, 'mbusReadingUncorrected');
    assert.equal(lookupObis('1-0:1.8.0*255')?.name, 'energyDeliveredTotal');
    assert.equal(lookupObis('1-0:1.8.9'), undefined);
    assert.equal(lookupObis('0-0:24.2.1'), undefined, 'channel 0 is not an M-Bus channel');
    assert.equal(lookupObis('garbage'), undefined);
  });

  it('tells same-looking codes apart by full id and by profile', () => {
    assert.equal(lookupObis('1-3:0.2.8')?.name, 'p1Version');
    assert.equal(lookupObis('1-0:0.2.8')?.name, 'firmwareSignature');
    assert.equal(lookupObis('0-0:98.1.0')?.name, 'peakDemandHistory');
    assert.equal(lookupObis('0-0:98.1.0', 'emucs')?.name, 'peakDemandHistory');
    assert.equal(lookupObis('0-0:98.1.0', 'hungary')?.name, 'billingSnapshot');
    assert.equal(lookupObis('1-0:31.4.0', 'emucs')?.name, 'fuseThreshold');
    assert.equal(lookupObis('1-0:31.4.0', 'hungary')?.name, 'currentLimitL1');
    assert.equal(lookupObis('1-0:1.8.1', 'hungary')?.name, 'energyDeliveredTariff1');
  });

  it('keeps ids and text messages out of numbers', () => {
    for (const code of ['0-0:96.1.1', '0-0:42.0.0', '0-0:96.13.0', '0-0:96.13.1', '0-1:96.1.0', '0-1:96.1.1']) {
      assert.equal(lookupObis(code)?.kind, 'octets', code);
    }
    assert.equal(lookupObis('1-3:0.2.8')?.kind, 'text');
    assert.equal(lookupObis('0-0:96.1.4')?.kind, 'text');
  });
});
