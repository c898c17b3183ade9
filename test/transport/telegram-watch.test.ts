import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TelegramWatch } from '../../src/transport/telegram-watch';
import { chunked, SeededRandom } from '../protocol/seeded-random';
import { FIXTURES } from '../support/paths';
import { FRAMING_7E1, FRAMING_8N1, receiveAs } from '../support/uart-line';

const corpus = (file: string) => fs.readFileSync(path.join(FIXTURES, file));
const DSMR5 = corpus('ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt');
const DSMR22 = corpus('ndokter__dsmr_parser/v2_2_iskra_mt382.txt');
const FLUVIUS = corpus('ndokter__dsmr_parser/be_fluvius_v171.txt');
const ENCRYPTED = corpus('NEXXTLAB__go-smarty-reader/lu_smarty_real_encrypted_frame.bin');

/** Telegrams the watch reports for `bytes` pushed in the given pieces. */
function telegramsSeen(pieces: Uint8Array[]): number {
  let seen = 0;
  const watch = new TelegramWatch(() => seen++);
  for (const piece of pieces) watch.push(Buffer.from(piece));
  return seen;
}

describe('transport/telegram-watch (is the serial framing right?)', () => {
  it('sees telegrams with a valid CRC, telegrams without one (DSMR 2.2) and encrypted frames, however the bytes are cut', () => {
    const stream = Buffer.concat([DSMR5, DSMR22, FLUVIUS, ENCRYPTED, DSMR5]);
    assert.equal(telegramsSeen([stream]), 5);
    for (const seed of [1, 2, 3]) assert.equal(telegramsSeen(chunked(stream, new SeededRandom(seed), 1, 64)), 5, `seed ${seed}`);
  });

  it('does not count a telegram whose CRC is wrong', () => {
    const broken = Buffer.from(DSMR5.toString('latin1').replace('1-0:1.8.1(', '1-0:1.8.1(9'), 'latin1');
    assert.equal(telegramsSeen([broken]), 0);
    assert.equal(telegramsSeen([broken, DSMR5]), 1);
  });

  it('sees nothing in what a UART reads at the wrong speed, parity or polarity', () => {
    for (const bytes of [
      receiveAs(DSMR5, FRAMING_8N1, 115200, FRAMING_8N1, 115200, true),
      receiveAs(DSMR5, FRAMING_8N1, 115200, FRAMING_8N1, 9600),
      receiveAs(DSMR22, FRAMING_7E1, 9600, FRAMING_8N1, 115200),
    ]) {
      assert.equal(telegramsSeen([bytes, bytes, bytes]), 0);
    }
  });

  it('diagnoses only the bytes since the last telegram', () => {
    const watch = new TelegramWatch(() => undefined);
    watch.push(DSMR5);
    assert.equal(watch.diagnose(8), undefined, 'nothing after the telegram');
    watch.push(receiveAs(DSMR5, FRAMING_8N1, 115200, FRAMING_8N1, 115200, true));
    assert.equal(watch.diagnose(8)?.kind, 'inverted');
  });
});
