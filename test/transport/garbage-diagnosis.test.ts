import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diagnoseGarbage } from '../../src/transport/garbage-diagnosis';
import { FIXTURES } from '../support/paths';
import { FRAMING_7E1, FRAMING_8N1, receiveAs } from '../support/uart-line';

/** Real telegrams of each generation: DSMR 5 (NL), e-MUCS (BE), DSMR 4.2, DSMR 2.2. */
const TELEGRAMS = [
  'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt',
  'ndokter__dsmr_parser/be_fluvius_v171.txt',
  'ndokter__dsmr_parser/v4_2_kaifa.txt',
  'ndokter__dsmr_parser/v2_2_iskra_mt382.txt',
].map((file) => ({ file, bytes: fs.readFileSync(path.join(FIXTURES, file)) }));

/** What a serial transport keeps for a diagnosis: the last 512 bytes. */
const sample = (bytes: Buffer) => bytes.subarray(Math.max(0, bytes.length - 512));

describe('transport/garbage-diagnosis', () => {
  for (const { file, bytes } of TELEGRAMS) {
    describe(path.basename(file), () => {
      it('an inverted line read at the right speed (8N1) → inverted', () => {
        for (const baud of [115200, 9600]) {
          const garbage = receiveAs(bytes, FRAMING_8N1, baud, FRAMING_8N1, baud, true);
          assert.equal(diagnoseGarbage(sample(garbage), 8).kind, 'inverted', `${baud} baud`);
        }
      });

      it('an inverted DSMR 2.2/3 line read at 9600 7E1 → inverted', () => {
        const garbage = receiveAs(bytes, FRAMING_7E1, 9600, FRAMING_7E1, 9600, true);
        assert.equal(diagnoseGarbage(sample(garbage), 7).kind, 'inverted');
      });

      it('a wrong speed read with 7 data bits is not taken for an inverted line', () => {
        for (const inverted of [false, true]) {
          const garbage = receiveAs(bytes, FRAMING_8N1, 115200, FRAMING_7E1, 9600, inverted);
          assert.equal(diagnoseGarbage(sample(garbage), 7).kind, 'wrong-framing', inverted ? 'inverted' : 'not inverted');
        }
      });

      it('every byte inverted → inverted', () => {
        const inverted = Buffer.from(bytes.map((b) => ~b & 0xff));
        assert.equal(diagnoseGarbage(sample(inverted), 8).kind, 'inverted');
      });

      it('a wrong speed → wrong speed or framing', () => {
        const cases = [
          receiveAs(bytes, FRAMING_8N1, 115200, FRAMING_8N1, 9600),
          receiveAs(bytes, FRAMING_8N1, 115200, FRAMING_8N1, 57600),
          receiveAs(bytes, FRAMING_7E1, 9600, FRAMING_8N1, 115200),
          receiveAs(bytes, FRAMING_7E1, 9600, FRAMING_8N1, 19200),
        ];
        for (const garbage of cases) {
          const diagnosis = diagnoseGarbage(sample(garbage), 8);
          assert.equal(diagnosis.kind, 'wrong-framing');
          assert.equal(diagnosis.message, 'wrong speed or framing');
        }
      });

      it('7E1 data read as 8N1 → parity', () => {
        const garbage = receiveAs(bytes, FRAMING_7E1, 9600, FRAMING_8N1, 9600);
        assert.equal(diagnoseGarbage(sample(garbage), 8).kind, 'parity');
      });
    });
  }

  it('plain telegram text without a whole telegram → text', () => {
    const middle = TELEGRAMS[0].bytes.subarray(100, 500);
    assert.equal(diagnoseGarbage(middle, 8).kind, 'text');
  });

  it('says so in a short message', () => {
    const inverted = Buffer.from(TELEGRAMS[0].bytes.map((b) => ~b & 0xff));
    assert.equal(diagnoseGarbage(inverted).message, 'signal looks inverted: the P1 data line needs an inverter');
  });
});
