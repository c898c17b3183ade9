import { strict as assert } from 'node:assert';
import { checkTelegramCrc } from '../../src/protocol/crc16';
import { P1Reader } from '../../src/protocol/reader';
import { loadCorpus, loadEncryptedFixtures } from './corpus-files';
import { SeededRandom, chunked } from './seeded-random';

const MUTATIONS = 100_000;
const CAP = 4096;

type Mutation = (source: Buffer, random: SeededRandom) => Uint8Array;

/** Ways a serial line, a bridge or a wrong setting damages a telegram. */
const MUTATORS: Array<[string, Mutation]> = [
  ['unchanged', (source) => source],
  ['bit flips', (source, random) => {
    const out = Buffer.from(source);
    for (let n = random.int(1, 3); n > 0; n--) out[random.int(0, out.length - 1)] ^= 1 << random.int(0, 7);
    return out;
  }],
  ['truncated', (source, random) => source.subarray(0, random.int(0, source.length - 1))],
  ['inserted bytes', (source, random) => {
    const at = random.int(0, source.length);
    return Buffer.concat([source.subarray(0, at), random.bytes(random.int(1, 16)), source.subarray(at)]);
  }],
  ['deleted bytes', (source, random) => {
    const at = random.int(0, source.length - 1);
    return Buffer.concat([source.subarray(0, at), source.subarray(Math.min(source.length, at + random.int(1, 16)))]);
  }],
  ['repeated stretch', (source, random) => {
    const at = random.int(0, source.length - 1);
    const stretch = source.subarray(at, at + random.int(1, 1500));
    return Buffer.concat([source.subarray(0, at), stretch, stretch, stretch, source.subarray(at)]);
  }],
  ['garbage before', (source, random) => Buffer.concat([random.bytes(random.int(1, 2000)), source])],
  ['random noise (wrong baud)', (_source, random) => random.bytes(random.int(1, 3000))],
  ['7-bit noise', (_source, random) => random.bytes(random.int(1, 3000)).map((b) => b & 0x7f)],
  ['inverted signal', (source) => source.map((b) => b ^ 0xff)],
  ['CRs lost', (source) => Buffer.from(source.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')],
];

describe(`fuzzing P1Reader with ${MUTATIONS} mutated real telegrams`, () => {
  it('never throws, never emits a wrong-CRC telegram, stays bounded and recovers', () => {
    const sources = loadCorpus().filter((e) => !e.file.endsWith('.bin') && e.bytes[0] === 0x2f).map((e) => e.bytes);
    const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;
    sources.push(real.frame);
    const clean = loadCorpus().find((e) => e.file === 'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt')!.bytes;
    const cleanText = clean.toString('latin1');

    const random = new SeededRandom(0x5eed);
    let emitted = 0;
    let problems = 0;
    let lastRaw = '';
    const reader = new P1Reader({ crcPolicy: 'drop', maxTelegramSize: CAP, decryptionKey: real.key }, {
      onTelegram: (telegram, raw) => {
        emitted++;
        lastRaw = raw;
        if (telegram.crc.valid === false) assert.fail(`emitted a telegram flagged with a wrong CRC: ${raw.slice(0, 60)}`);
        if (checkTelegramCrc(raw).valid === false) assert.fail(`emitted a telegram whose CRC does not check: ${raw.slice(0, 60)}`);
      },
      onProblem: (problem) => {
        problems++;
        assert.ok(problem.message.length > 0);
      },
    });

    let recoveryChecks = 0;
    let recovered = 0;
    for (let n = 0; n < MUTATIONS; n++) {
      const [, mutate] = random.pick(MUTATORS);
      for (const chunk of chunked(mutate(random.pick(sources), random), random, 1, 2048)) {
        reader.push(chunk);
        if (reader.buffered > CAP) assert.fail(`buffered ${reader.buffered} > ${CAP}`);
      }
      if (n % 50 === 0) {
        // After whatever came before, a clean telegram on a fresh line must come through.
        recoveryChecks++;
        reader.push('\r\n');
        reader.push(clean);
        if (lastRaw === cleanText) recovered++;
        lastRaw = '';
      }
    }
    const stats = reader.stats;
    assert.ok(emitted > MUTATIONS / 20, `only ${emitted} telegrams came through`);
    assert.ok(problems > MUTATIONS / 2, `only ${problems} problems reported`);
    assert.ok(stats.crcFailures > 1000 && stats.bytesSkipped > 0 && stats.oversize > 0 && stats.droppedPartials > 0, JSON.stringify(stats));
    assert.ok(stats.decryptFailures > 0 && stats.encryptedFrames > stats.decryptFailures, JSON.stringify(stats));
    // A length-prefixed encrypted frame cut short swallows the bytes after it, so a few
    // recoveries may be lost; text damage never may.
    assert.ok(recovered >= recoveryChecks * 0.97, `recovered ${recovered} of ${recoveryChecks}`);
  });
});
