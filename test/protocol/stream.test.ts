import { strict as assert } from 'node:assert';
import { TelegramFramer, type Frame, type FrameDiscard } from '../../src/protocol/framer';
import { P1Reader } from '../../src/protocol/reader';
import { corpusStreamParts, loadEncryptedFixtures } from './corpus-files';
import { SeededRandom, chunked } from './seeded-random';

type Seen = { kind: 'telegram'; text: string; crc: unknown } | { kind: 'encrypted'; hex: string };

function describeFrame(frame: Frame): Seen {
  return frame.kind === 'telegram' ? { kind: 'telegram', text: frame.text, crc: frame.crc } : { kind: 'encrypted', hex: frame.bytes.toString('hex') };
}

function frameAll(chunks: Iterable<Uint8Array>) {
  const frames: Seen[] = [];
  const discards: FrameDiscard[] = [];
  const framer = new TelegramFramer({ onFrame: (f) => frames.push(describeFrame(f)), onDiscard: (d) => discards.push(d) });
  for (const chunk of chunks) framer.push(chunk);
  framer.reset();
  return { frames, discards, stats: framer.stats };
}

describe('framing the whole corpus as one stream', () => {
  const files = corpusStreamParts();
  const stream = Buffer.concat(files);
  const fileByFile = files.flatMap((file) => frameAll([file]).frames);
  const whole = frameAll([stream]);

  it('reads the corpus (over 100 files, text and binary)', () => {
    assert.ok(files.length > 100, `${files.length} files`);
    assert.ok(fileByFile.filter((f) => f.kind === 'telegram').length >= 90);
    assert.equal(fileByFile.filter((f) => f.kind === 'encrypted').length, 4);
  });

  it('pushed at once: the same frames as file by file', () => {
    assert.deepEqual(whole.frames, fileByFile);
  });

  for (const seed of [1, 2, 3, 42, 2026]) {
    it(`cut at random positions (seed ${seed}, chunks of 1–4096 bytes): the same frames, discards and counters`, () => {
      const run = frameAll(chunked(stream, new SeededRandom(seed), 1, 4096));
      assert.deepEqual(run.frames, fileByFile);
      assert.deepEqual(run.discards, whole.discards);
      assert.deepEqual(run.stats, whole.stats);
    });
  }

  it('cut into small pieces (1–16 bytes): the same frames', () => {
    assert.deepEqual(frameAll(chunked(stream, new SeededRandom(5), 1, 16)).frames, fileByFile);
  });

  it('fed one byte at a time: the same frames, discards and counters', () => {
    const run = frameAll(chunked(stream, new SeededRandom(0), 1, 1));
    assert.deepEqual(run.frames, fileByFile);
    assert.deepEqual(run.discards, whole.discards);
    assert.deepEqual(run.stats, whole.stats);
  });

  it('through P1Reader (one key, CRC flagged): the same telegrams as file by file', () => {
    const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;
    const read = (chunks: Iterable<Uint8Array>) => {
      const raws: string[] = [];
      const reader = new P1Reader({ crcPolicy: 'flag', decryptionKey: real.key, allowUnauthenticated: true }, { onTelegram: (_t, raw) => raws.push(raw) });
      for (const chunk of chunks) reader.push(chunk);
      return raws;
    };
    const expected = files.flatMap((file) => read([file]));
    assert.ok(expected.includes(real.plaintext.toString('latin1')), 'the encrypted frame was decrypted');
    assert.deepEqual(read(chunked(stream, new SeededRandom(77), 1, 4096)), expected);
  });
});
