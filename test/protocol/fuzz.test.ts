import { strict as assert } from 'node:assert';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { checkTelegramCrc } from '../../src/protocol/crc16';
import { TelegramFramer } from '../../src/protocol/framer';
import { P1Reader } from '../../src/protocol/reader';
import { loadCorpus, loadEncryptedFixtures } from './corpus-files';
import { SeededRandom, chunked } from './seeded-random';

const MUTATIONS = 100_000;

/** The heap still in use after a full collection: what the readers retain, not garbage not yet collected. */
function retainedHeap(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}
const CAP = 4096;

type Mutation = (source: Buffer, random: SeededRandom) => Uint8Array;

/** Junk as a bridge or a noisy line puts before a header: no line break, no 0xDB frame start. */
function junk(random: SeededRandom, length: number): Buffer {
  return Buffer.from(random.bytes(length).map((b) => (b === 0x0a || b === 0xdb ? 0x20 : b)));
}

/** Ways a serial line, a bridge or a wrong setting damages a telegram. */
const MUTATORS: Array<[string, Mutation]> = [
  ['unchanged', (source) => source],
  [
    'bit flips',
    (source, random) => {
      const out = Buffer.from(source);
      for (let n = random.int(1, 3); n > 0; n--) out[random.int(0, out.length - 1)] ^= 1 << random.int(0, 7);
      return out;
    },
  ],
  ['truncated', (source, random) => source.subarray(0, random.int(0, source.length - 1))],
  [
    'inserted bytes',
    (source, random) => {
      const at = random.int(0, source.length);
      return Buffer.concat([source.subarray(0, at), random.bytes(random.int(1, 16)), source.subarray(at)]);
    },
  ],
  [
    'deleted bytes',
    (source, random) => {
      const at = random.int(0, source.length - 1);
      return Buffer.concat([source.subarray(0, at), source.subarray(Math.min(source.length, at + random.int(1, 16)))]);
    },
  ],
  [
    'repeated stretch',
    (source, random) => {
      const at = random.int(0, source.length - 1);
      const stretch = source.subarray(at, at + random.int(1, 1500));
      return Buffer.concat([source.subarray(0, at), stretch, stretch, stretch, source.subarray(at)]);
    },
  ],
  ['garbage before', (source, random) => Buffer.concat([random.bytes(random.int(1, 2000)), source])],
  ['random noise (wrong baud)', (_source, random) => random.bytes(random.int(1, 3000))],
  ['7-bit noise', (_source, random) => random.bytes(random.int(1, 3000)).map((b) => b & 0x7f)],
  ['inverted signal', (source) => source.map((b) => b ^ 0xff)],
  ['CRs lost', (source) => Buffer.from(source.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')],
  ['flood of header lines', (_source, random) => Buffer.from('/A\r\n'.repeat(random.int(1, 1000)))],
  ['flood of glued headers', (_source, random) => Buffer.from('/ISK5'.repeat(random.int(1, 1500)))],
  ['flood of slashes and parentheses', (_source, random) => Buffer.from(random.pick(['/', '(', '/(', '!\r\n/']).repeat(random.int(1, 5000)))],
];

/**
 * Shapes that hold a complete good telegram at their end, which must come through: a
 * telegram cut off mid-line with the good one glued to it, junk glued to its header, a flood
 * before it. Each starts from a fresh reader state (`reset`), since an encrypted frame cut
 * short by an earlier case may still be waiting for its announced length.
 */
const GLUED: Array<[string, (good: Buffer, other: Buffer, random: SeededRandom) => Buffer]> = [
  ['cut off mid-line, good one glued', (good, other, random) => Buffer.concat([cutMidLine(other, random), good])],
  ['junk glued to the header', (good, _other, random) => Buffer.concat([junk(random, random.int(1, 200)), good])],
  ['telnet negotiation glued to the header', (good) => Buffer.concat([Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03]), good])],
  ['two cut-off telegrams, then the good one', (good, other, random) => Buffer.concat([cutMidLine(other, random), cutMidLine(good, random), good])],
  ['flood of glued headers, then the good one', (good, _other, random) => Buffer.concat([Buffer.from('/ISK5'.repeat(random.int(1, 1000))), good])],
  ['flood of header lines, then the good one', (good, _other, random) => Buffer.concat([Buffer.from('/A\r\n'.repeat(random.int(1, 500))), good])],
];

/** The start of a telegram up to somewhere inside one of its lines (never right after a line end). */
function cutMidLine(telegram: Buffer, random: SeededRandom): Buffer {
  let at = random.int(1, telegram.length - 2);
  while (at > 1 && (telegram[at - 1] === 0x0a || telegram[at - 1] === 0x0d)) at--;
  return telegram.subarray(0, at);
}

/** Corpus telegrams that frame to exactly themselves, with a valid CRC or none (DSMR 2.2/3). */
function goodTelegrams(sources: Buffer[]): Buffer[] {
  return sources.filter((source) => {
    const texts: string[] = [];
    const framer = new TelegramFramer({ onFrame: (f) => f.kind === 'telegram' && f.crc.valid !== false && texts.push(f.text) });
    framer.push(source);
    return texts.length === 1 && texts[0] === source.toString('latin1');
  });
}

describe(`fuzzing P1Reader with ${MUTATIONS} mutated real telegrams`, function () {
  // 100,000 cases through two readers take about 10 s of CPU; a busy shared machine may need more.
  this.timeout(180_000);

  it('never throws, never emits a wrong-CRC or unauthenticated telegram, loses no complete good telegram, stays bounded', () => {
    const sources = loadCorpus()
      .filter((e) => !e.file.endsWith('.bin') && e.bytes[0] === 0x2f)
      .map((e) => e.bytes);
    const good = goodTelegrams(sources);
    const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;
    sources.push(real.frame);
    const clean = loadCorpus().find((e) => e.file === 'ndokter__dsmr_parser/v5_iskra_am550_two_mbus.txt')!.bytes;
    const cleanText = clean.toString('latin1');
    assert.ok(good.length >= 50, `${good.length} good telegrams`);

    const random = new SeededRandom(0x5eed);
    let emitted = 0;
    let problems = 0;
    let raws: string[] = [];
    // Mixed plaintext and encrypted input, so unauthenticated telegrams are allowed here…
    const reader = new P1Reader(
      { crcPolicy: 'drop', maxTelegramSize: CAP, decryptionKey: real.key, allowUnauthenticated: true },
      {
        onTelegram: (telegram, raw) => {
          emitted++;
          raws.push(raw);
          if (telegram.crc.valid === false) assert.fail(`emitted a telegram flagged with a wrong CRC: ${raw.slice(0, 60)}`);
          if (checkTelegramCrc(raw).valid === false) assert.fail(`emitted a telegram whose CRC does not check: ${raw.slice(0, 60)}`);
        },
        onProblem: (problem) => {
          problems++;
          assert.ok(problem.message.length > 0);
        },
      },
    );
    // …and a second reader with the default: only what came out of an authenticated frame.
    const strict = new P1Reader(
      { maxTelegramSize: CAP, decryptionKey: real.key },
      {
        onTelegram: (_telegram, raw) => assert.equal(raw, real.plaintext.toString('latin1'), 'the strict reader emitted unauthenticated content'),
      },
    );
    const heapBefore = retainedHeap();

    let recoveryChecks = 0;
    let recovered = 0;
    let gluedChecks = 0;
    for (let n = 0; n < MUTATIONS; n++) {
      const glued = n % 4 === 0;
      let input: Uint8Array;
      let expected = '';
      if (glued) {
        const telegram = random.pick(good);
        input = random.pick(GLUED)[1](telegram, random.pick(good), random);
        expected = telegram.toString('latin1');
        reader.reset();
        raws = [];
      } else {
        input = random.pick(MUTATORS)[1](random.pick(sources), random);
      }
      for (const chunk of chunked(input, random, 1, 2048)) {
        reader.push(chunk);
        strict.push(chunk);
        if (reader.buffered > CAP || strict.buffered > CAP) assert.fail(`buffered ${reader.buffered}/${strict.buffered} > ${CAP}`);
      }
      if (glued) {
        gluedChecks++;
        if (!raws.includes(expected)) assert.fail(`case ${n}: the good telegram ${expected.slice(0, 30)}… was lost`);
      }
      if (n % 50 === 1) {
        // After whatever came before, a clean telegram on a fresh line must come through.
        recoveryChecks++;
        raws = [];
        reader.push('\r\n');
        reader.push(clean);
        if (raws.at(-1) === cleanText) recovered++;
      }
    }
    const stats = reader.stats;
    assert.ok(gluedChecks >= MUTATIONS / 4);
    assert.ok(emitted > MUTATIONS / 5, `only ${emitted} telegrams came through`);
    assert.ok(problems > MUTATIONS / 2, `only ${problems} problems reported`);
    assert.ok(stats.crcFailures > 1000 && stats.bytesSkipped > 0 && stats.oversize > 0 && stats.droppedPartials > 0, JSON.stringify(stats));
    assert.ok(stats.decryptFailures > 0 && stats.encryptedFrames > stats.decryptFailures, JSON.stringify(stats));
    assert.ok(strict.stats.unauthenticated > 1000, JSON.stringify(strict.stats));
    // A length-prefixed encrypted frame cut short swallows the bytes after it, so a few
    // recoveries may be lost; text damage never may.
    assert.ok(recovered >= recoveryChecks * 0.97, `recovered ${recovered} of ${recoveryChecks}`);
    const heapGrowth = retainedHeap() - heapBefore;
    assert.ok(heapGrowth < 8 * 1024 * 1024, `the readers retain ${heapGrowth} bytes after 100,000 cases`);
  });
});
