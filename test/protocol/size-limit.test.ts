/**
 * The size cap is exact: a telegram of exactly `maxTelegramSize` bytes is a telegram, one byte
 * more is dropped and counted. The size is what the framer holds of a text telegram: from `/`
 * through the four CRC digits (the final line end is not counted); an encrypted frame counts
 * all its bytes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  crc16String,
  DEFAULT_MAX_TELEGRAM_SIZE,
  formatCrc,
  P1Reader,
  TelegramFramer,
  type Frame,
  type FrameDiscard,
  type P1Telegram,
  type ReaderProblem,
} from '../../src';
import { FIXTURES } from '../support/paths';

/** A valid telegram whose text from `/` through its CRC is exactly `size` bytes (a text message line pads it). */
function telegramOfSize(size: number): string {
  const head = '/TST5\\SIZE-TEST\r\n\r\n1-0:1.7.0(00.100*kW)\r\n0-0:96.13.0(';
  const tail = ')\r\n!';
  const padding = size - head.length - tail.length - 4;
  assert.ok(padding >= 0, `size ${size} too small`);
  const body = head + '4'.repeat(padding) + tail;
  const text = body + formatCrc(crc16String(body));
  assert.equal(text.length, size);
  return text + '\r\n';
}

function frame(maxTelegramSize: number, input: Buffer | string) {
  const frames: Frame[] = [];
  const discards: FrameDiscard[] = [];
  const framer = new TelegramFramer({ maxTelegramSize, onFrame: (f) => frames.push(f), onDiscard: (d) => discards.push(d) });
  framer.push(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  return { frames, discards, stats: framer.stats };
}

const FOLLOWER = telegramOfSize(100);

describe('maximum telegram size, at the boundary', () => {
  for (const max of [300, 1024, DEFAULT_MAX_TELEGRAM_SIZE]) {
    it(`${max}: a telegram of exactly ${max} bytes is emitted with a valid CRC`, () => {
      const { frames, discards, stats } = frame(max, telegramOfSize(max) + FOLLOWER);
      assert.deepEqual(
        frames.map((f) => f.kind === 'telegram' && f.crc.valid),
        [true, true],
      );
      assert.equal(frames[0].kind === 'telegram' && frames[0].text, telegramOfSize(max));
      assert.deepEqual(discards, []);
      assert.equal(stats.oversize, 0);
    });

    it(`${max}: a telegram of ${max + 1} bytes is dropped and counted; the next one still arrives`, () => {
      const { frames, discards, stats } = frame(max, telegramOfSize(max + 1) + FOLLOWER);
      assert.deepEqual(
        frames.map((f) => f.kind === 'telegram' && f.text),
        [FOLLOWER],
      );
      assert.equal(stats.oversize, 1);
      assert.equal(discards[0].reason, 'oversize');
      assert.ok(
        discards.every((d) => d.bytes <= max),
        'never more than the cap held',
      );
    });
  }

  it('fed one byte at a time, the boundary is the same', () => {
    for (const [size, emitted] of [
      [500, 2],
      [501, 1],
    ] as const) {
      const frames: Frame[] = [];
      const framer = new TelegramFramer({ maxTelegramSize: 500, onFrame: (f) => frames.push(f) });
      for (const byte of Buffer.from(telegramOfSize(size) + FOLLOWER, 'latin1')) framer.push(Buffer.from([byte]));
      assert.equal(frames.length, emitted, `a ${size}-byte telegram`);
      assert.equal(framer.stats.oversize, 2 - emitted);
    }
  });

  it('P1Reader: the same boundary, reported as an oversize problem', () => {
    const run = (size: number) => {
      const telegrams: P1Telegram[] = [];
      const problems: ReaderProblem[] = [];
      const reader = new P1Reader({ maxTelegramSize: 400 }, { onTelegram: (t) => telegrams.push(t), onProblem: (p) => problems.push(p) });
      reader.push(telegramOfSize(size));
      return { telegrams, problems, stats: reader.stats };
    };
    const exact = run(400);
    assert.equal(exact.telegrams.length, 1);
    assert.deepEqual(exact.problems, []);
    const over = run(401);
    assert.equal(over.telegrams.length, 0);
    assert.deepEqual(
      over.problems.map((p) => p.kind),
      ['oversize'],
    );
    assert.equal(over.stats.oversize, 1);
  });

  it('an encrypted frame of exactly the cap is emitted, one byte over is dropped', () => {
    const encrypted = fs.readFileSync(path.join(FIXTURES, 'NEXXTLAB__go-smarty-reader', 'lu_smarty_real_encrypted_frame.bin'));
    const exact = frame(encrypted.length, encrypted);
    assert.deepEqual(
      exact.frames.map((f) => f.kind),
      ['encrypted'],
    );
    const under = frame(encrypted.length - 1, Buffer.concat([encrypted, Buffer.from(`\r\n${FOLLOWER}`)]));
    assert.deepEqual(
      under.frames.map((f) => f.kind),
      ['telegram'],
    );
    assert.equal(under.stats.oversize, 1);
  });
});
