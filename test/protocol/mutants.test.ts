import { strict as assert } from 'node:assert';
import { crc16String, formatCrc } from '../../src/protocol/crc16';
import { TelegramFramer, type Frame, type FrameDiscard } from '../../src/protocol/framer';
import { MAX_EXAMPLE_LENGTH, ProblemTally } from '../../src/protocol/problem-tally';
import { parseTelegram } from '../../src/protocol/parser';
import { P1Reader, type ReaderOptions, type ReaderProblem } from '../../src/protocol/reader';
import type { P1Telegram } from '../../src/protocol/types';
import { loadEncryptedFixtures } from './corpus-files';

function collect(maxTelegramSize?: number) {
  const frames: Frame[] = [];
  const discards: FrameDiscard[] = [];
  const framer = new TelegramFramer({ maxTelegramSize, onFrame: (f) => frames.push(f), onDiscard: (d) => discards.push(d) });
  const texts = () => frames.map((f) => (f.kind === 'telegram' ? f.text : `<${f.bytes.length} encrypted bytes>`));
  return { framer, frames, discards, texts };
}

/** A telegram with a correct CRC around the given data lines. */
function withCrc(header: string, lines: string[]): string {
  const body = `/${header}\r\n\r\n${lines.map((l) => `${l}\r\n`).join('')}!`;
  return `${body}${formatCrc(crc16String(body))}\r\n`;
}

const GOOD = withCrc('ISK5\\2M550T-1012', ['1-3:0.2.8(50)', '0-0:1.0.0(200101120000W)', '1-0:1.7.0(00.123*kW)']);

/**
 * Tests written against the mutants StrykerJS left alive in the rewritten protocol files
 * (`npm run mutate`): each pins a behaviour a user depends on that no other protocol test
 * checked. The comment above each test names the mutation it fails on.
 */

describe('protocol details pinned by mutation testing', () => {
  describe('ProblemTally', () => {
    // Kills: `?? 0` → `&& 0` / `+ 1` → `- 1` in add(), `?? 0` in count(), `this.sum++` removed.
    it('counts per kind and in total; an unseen kind counts 0', () => {
      const tally = new ProblemTally();
      assert.equal(tally.count('crc'), 0);
      assert.equal(tally.total, 0);
      assert.deepEqual(tally.kinds, []);
      tally.add({ kind: 'crc', message: 'first crc' });
      tally.add({ kind: 'skipped', message: 'skipped 3 bytes' });
      tally.add({ kind: 'crc', message: 'second crc' });
      assert.equal(tally.count('crc'), 2);
      assert.equal(tally.count('skipped'), 1);
      assert.equal(tally.count('decrypt'), 0);
      assert.equal(tally.total, 3);
      assert.deepEqual(tally.kinds, ['crc', 'skipped']);
    });

    // Kills: the `!this.firsts.has(kind)` guard negated or removed (the last message would be kept), first() returning a message for an unseen kind.
    it('keeps the first message of each kind, and none for a kind not seen', () => {
      const tally = new ProblemTally();
      tally.add({ kind: 'partial', message: 'the first' });
      tally.add({ kind: 'partial', message: 'the second' });
      assert.deepEqual(tally.first('partial'), { kind: 'partial', message: 'the first' });
      assert.equal(tally.first('oversize'), undefined);
    });

    // Kills: `<=` → `<` in shorten(), `MAX_EXAMPLE_LENGTH - 1` → `+ 1`, slice(0, …) changed, the ellipsis dropped.
    it('keeps a message of exactly the maximum length whole and cuts one character more to the maximum, ending in an ellipsis', () => {
      const tally = new ProblemTally();
      const exact = 'a'.repeat(MAX_EXAMPLE_LENGTH);
      const longer = `${'b'.repeat(MAX_EXAMPLE_LENGTH - 1)}cd`;
      tally.add({ kind: 'crc', message: exact });
      tally.add({ kind: 'decrypt', message: longer });
      assert.equal(tally.first('crc')?.message, exact);
      const cut = tally.first('decrypt')?.message ?? '';
      assert.equal(cut.length, MAX_EXAMPLE_LENGTH);
      assert.equal(cut, `${'b'.repeat(MAX_EXAMPLE_LENGTH - 1)}…`);
    });
  });

  describe('TelegramFramer: what makes a header', () => {
    const isHeader = ['/AZA5', '/ABC~', '/abcD'];
    const notHeader = ['/ABC(', '/ABC)', '/ABC/', '/ABC ', '/ABC\x7f', '/AB1x', '/AB@x', '/AB[x'];

    // Kills: isLetter bounds (`>` for `>=` on 0x61, `<` for `<=` on 0x7a), isMarkEnd's clauses each forced true
    // or their `&&` made `||`, `>=` for `>` SPACE, `<=` for `<` 0x7f; readHeaderMark checking only the mark end.
    it('a `/` in mid-line starts a telegram only when three letters and one visible character follow', () => {
      for (const mark of [...isHeader, ...notHeader]) {
        const { framer, texts } = collect();
        framer.push(Buffer.from(`noise${mark}\r\n!\r\n`, 'latin1'));
        assert.deepEqual(texts(), isHeader.includes(mark) ? [`${mark}\r\n!\r\n`] : [], JSON.stringify(mark));
      }
    });

    // Kills the same isLetter/isMarkEnd mutants on the other path (isHeaderAt), and in isHeaderAt: the mark loop
    // skipped, run one byte further (`<=`) or checking every byte as mark end; `(` or `)` on the header's line ignored;
    // an LF taken at the first byte; the 128-byte limit on a header line widened (`Math.max`, `<=`).
    it('without a CRC, the latest header inside a telegram whose line holds no parentheses starts it (and nothing else does)', () => {
      const inner = [...isHeader, '/ABCD', `/ABCD ${'y'.repeat(120)}`];
      const notInner = [...notHeader, '/ABCD x(1)', '/ABCD x(', '/ABCD x)', `/ABCD ${'y'.repeat(121)}`];
      for (const candidate of [...inner, ...notInner]) {
        const first = '/ISK5\\2MT382-1000\r\n\r\n1-0:1.8.1(00001.001*kWh)\r\nnoise';
        const rest = `${candidate}\r\n1-0:1.8.2(00002.002*kWh)\r\n!\r\n`;
        const { framer, texts, discards } = collect();
        framer.push(Buffer.from(first + rest, 'latin1'));
        const restarts = inner.includes(candidate);
        assert.deepEqual(texts(), [restarts ? rest : first + rest], JSON.stringify(candidate));
        const cutOff = `a telegram cut off by the header of the next one (${first.length} bytes)`;
        assert.deepEqual(
          discards.map((d) => d.detail),
          restarts ? [cutOff] : [],
          JSON.stringify(candidate),
        );
      }
    });
  });

  describe('TelegramFramer: the CRC line', () => {
    // Kills hexValue's range checks forced true or `&&` made `||` (a `g` read as a CRC digit).
    it('a non-hex letter after `!` ends the CRC: the telegram has none, the letter is skipped', () => {
      const { framer, frames, texts, discards } = collect();
      framer.push(Buffer.from('/ABC5\r\n\r\n1-0:1.8.1(1)\r\n!g\r\n', 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(texts(), ['/ABC5\r\n\r\n1-0:1.8.1(1)\r\n!']);
      assert.equal(frames[0].kind === 'telegram' && frames[0].crc.present, false);
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['skipped', 3]],
        'the g and its line end',
      );
    });

    // Kills `if (bytes[i] === LF)` forced true in hunt(): after a telegram that ended on CR, only an LF belongs to it.
    it('after a telegram ending on CR, the next byte is skipped garbage unless it is the LF', () => {
      const { framer, texts, discards } = collect();
      framer.push(Buffer.from(`${GOOD.slice(0, -1)}xyz`, 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(texts(), [GOOD]);
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['skipped', 3]],
      );
    });
  });

  describe('TelegramFramer: skipped bytes, reportSkipped and reset', () => {
    // Kills reportSkipped()'s body removed, its mode check forced or inverted, and its detail emptied.
    it('reportSkipped() reports the garbage so far, and the next garbage separately', () => {
      const { framer, discards } = collect();
      framer.push(Buffer.from('garbage', 'latin1'));
      framer.reportSkipped();
      framer.push(Buffer.from('more', 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(discards, [
        { reason: 'skipped', bytes: 7, detail: 'skipped 7 bytes outside a telegram' },
        { reason: 'skipped', bytes: 4, detail: 'skipped 4 bytes outside a telegram' },
      ]);
    });

    // Kills `c !== SPACE` and `c !== TAB` forced true: idle blanks and line ends are not garbage.
    it('blanks, tabs and line ends between telegrams are not reported', () => {
      const { framer, discards } = collect();
      framer.push(Buffer.from(' \t \r\n\t', 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(discards, []);
    });

    // Kills the initial `swallowLf = false` and reset()'s `swallowLf = false` made true: a leading LF is part of the run.
    it('an LF at the very start, or right after a reset, counts with the garbage it precedes', () => {
      const { framer, discards } = collect();
      framer.push(Buffer.from('\nxy', 'latin1'));
      framer.reset();
      framer.push(Buffer.from('\nxyz', 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(
        discards.map((d) => d.bytes),
        [3, 4],
      );
    });

    // Kills reset()'s HeaderMark check removed (the held `/AB` would become a partial telegram) and endRun's detail emptied.
    it('reset() in the middle of a possible header reports it as skipped bytes, not as a telegram', () => {
      const { framer, discards } = collect();
      framer.push(Buffer.from('x/AB', 'latin1'));
      framer.reset();
      assert.deepEqual(discards, [{ reason: 'skipped', bytes: 4, detail: 'skipped 4 bytes outside a telegram' }]);
      assert.equal(framer.stats.droppedPartials, 0);
    });

    // Kills the `CipherHeader || CipherBody` test of reset() (forced false, `&&`, either side false) and its wording.
    it('reset() during an encrypted frame says so, in its header and in its body', () => {
      const [fixture] = loadEncryptedFixtures();
      for (const cut of [5, 30]) {
        const { framer, discards } = collect();
        framer.push(fixture.frame.subarray(0, cut));
        framer.reset();
        assert.equal(discards.length, 1, `cut at ${cut}`);
        assert.equal(discards[0].reason, 'partial');
        assert.match(discards[0].detail, /^unfinished encrypted frame dropped/, `cut at ${cut}`);
      }
    });

    // Kills reset()'s `startHunting(true)` made false: after a reset the input starts a line, where an encrypted frame may begin.
    it('after a reset, an encrypted frame is found at once even if the input before it stopped mid-line', () => {
      const [fixture] = loadEncryptedFixtures();
      const { framer, frames } = collect();
      framer.push(Buffer.from('xyz', 'latin1'));
      framer.reset();
      framer.push(fixture.frame);
      assert.deepEqual(
        frames.map((f) => f.kind),
        ['encrypted'],
      );
    });

    // Kills the detail of a garbage run cut at the size cap emptied.
    it('a long run of garbage is reported at the size cap with the likely causes', () => {
      const { framer, discards } = collect(64);
      framer.push(Buffer.alloc(64, 0x55));
      assert.deepEqual(discards, [
        { reason: 'skipped', bytes: 64, detail: 'skipped 64 bytes without a frame start (wrong baud rate, inverted signal or not DSMR?)' },
      ]);
    });
  });

  describe('TelegramFramer: telegrams that start mid-line or are cut off', () => {
    // Kills `this.atLineStart = false` made true once a header mark is read: a `!` right after the mark is not the end line.
    it('a `!` on the header line of a mid-line telegram does not end it', () => {
      const { framer, texts } = collect();
      framer.push(Buffer.from('x/ABCD!\r\n!\r\n', 'latin1'));
      assert.deepEqual(texts(), ['/ABCD!\r\n!\r\n']);
    });

    // Kills `runHasJunk = true` made false when a `/` proves no header, and when a 0xDB proves no frame header.
    it('a lone `/` or 0xDB among blanks is reported as skipped', () => {
      for (const bytes of [Buffer.from(' /\t', 'latin1'), Buffer.from([0xdb, 0x09])]) {
        const { framer, discards } = collect();
        framer.push(bytes);
        framer.reportSkipped();
        assert.deepEqual(
          discards.map((d) => [d.reason, d.bytes]),
          [['skipped', bytes.length]],
          bytes.toString('hex'),
        );
      }
    });

    // Kills `this.tentative = false` in prove() made true: a telegram that starts at a line start is a partial when cut off, never noise.
    it('a telegram at a line start after a mid-line one is a partial when cut off', () => {
      const { framer, texts, discards } = collect();
      framer.push(Buffer.from(`x/ABCD\r\n/EFG5\r\n1-0:1.8.1(1)\r\n${GOOD}`, 'latin1'));
      assert.deepEqual(texts(), [GOOD]);
      assert.deepEqual(
        discards.map((d) => d.reason),
        ['skipped', 'partial'],
      );
      assert.equal(framer.stats.droppedPartials, 1);
    });

    // Kills `if (this.tentative)` forced false in overflow() and its endRun detail emptied: a mid-line `/…` that never ends is noise, not an oversize telegram.
    it('a mid-line telegram that passes the size cap without an end is skipped noise, not an oversize telegram', () => {
      const { framer, discards } = collect(64);
      framer.push(Buffer.from(`x/ABCD${'y'.repeat(100)}`, 'latin1'));
      framer.reportSkipped();
      assert.equal(framer.stats.oversize, 0);
      assert.equal(framer.stats.bytesSkipped, 106, 'every byte counted as skipped');
      assert.deepEqual(discards[1], { reason: 'skipped', bytes: 64, detail: 'skipped 64 bytes without a telegram end' });
    });

    // Kills `this.onDiscard?.(` made `this.onDiscard(` for partials: a framer without a discard handler never throws.
    it('a framer without a discard handler drops a cut-off telegram quietly', () => {
      const frames: Frame[] = [];
      const framer = new TelegramFramer({ onFrame: (f) => frames.push(f) });
      framer.push(Buffer.from(`/EFG5\r\n1-0:1.8.1(1)\r\n${GOOD}`, 'latin1'));
      assert.equal(frames.length, 1);
    });

    // Kills `return i + 1` made `i - 1` after an LF-only end, and `present: true` made false on a restored CRC.
    it('an LF-only telegram ends at its LF (nothing skipped) and says its CRC was checked with the CRs restored', () => {
      const { framer, frames, discards } = collect();
      framer.push(Buffer.from(GOOD.replace(/\r\n/g, '\n'), 'latin1'));
      framer.reportSkipped();
      assert.deepEqual(discards, []);
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0].kind === 'telegram' && [frames[0].crc.present, frames[0].crc.valid, frames[0].crc.restoredCrLf], [true, true, true]);
    });

    // Kills the bound on restarts (`tries > 0` made `>= 0`, `||`, `tries++`): up to four headers inside a telegram with a bad CRC are tried, latest first.
    it('tries the latest four headers inside a telegram whose CRC fails, and no more', () => {
      const decoys = ['x/AAAA', 'x/BBBB', 'x/CCCC', 'x/DDDD'];
      for (const count of [3, 4]) {
        const good = withCrc('ABC5', decoys.slice(0, count));
        const cut = '/XYZ5\r\n\r\n1-0:1.8.1(12';
        const { framer, frames, texts } = collect();
        framer.push(Buffer.from(cut + good, 'latin1'));
        const found = count === 3;
        assert.deepEqual(texts(), [found ? good : cut + good], `${count} decoys`);
        assert.equal(frames[0].kind === 'telegram' && frames[0].crc.valid, found);
      }
    });

    // Kills `startHunting(true)` made false after an encrypted frame: frames sent back to back are all found.
    it('finds encrypted frames sent back to back', () => {
      const [fixture] = loadEncryptedFixtures();
      const { framer, frames } = collect();
      framer.push(Buffer.concat([fixture.frame, fixture.frame]));
      assert.equal(frames.length, 2);
    });
  });

  describe('TelegramFramer: encrypted frame headers', () => {
    const title = [0x53, 0x41, 0x47, 0x05, 0x00, 0x00, 0x00, 0x01];
    /** A ciphering frame (0xDB, title length, title, A-XDR length) with `content` bytes after its header. */
    const cipherFrame = (content: number, last = title[7]) =>
      Buffer.from([0xdb, 0x08, ...title.slice(0, 7), last, content, ...Array<number>(content).fill(0x30)]);

    // Kills `contentLength < MIN_CIPHER_CONTENT` made `<=` or false: five bytes (security byte and frame counter) can be a frame.
    it('takes a frame with five content bytes, the least a ciphered APDU has, and not one with four', () => {
      for (const [content, frames] of [
        [5, 1],
        [4, 0],
      ]) {
        const { framer, frames: found } = collect();
        framer.push(cipherFrame(content));
        assert.equal(found.length, frames, `${content} content bytes`);
      }
    });

    // Kills `contentLength < 0` made `<= 0`: a zero length is not a frame, and the telegram after it is found.
    it('a frame header announcing no content is no frame; the telegram after it comes through', () => {
      const { framer, texts } = collect();
      framer.push(Buffer.concat([cipherFrame(0), Buffer.from(`\r\n${GOOD}`, 'latin1')]));
      assert.deepEqual(texts(), [GOOD]);
    });

    // Kills `this.store[at - 1] === LF` forced false or inverted in readCipherHeader: when a header proves false, a byte
    // after its LF starts a line, where the next frame may begin.
    it('a false frame header ending in LF leaves the next byte at a line start', () => {
      const falseHeader = Buffer.from([0xdb, 0x08, ...title.slice(0, 7), 0x0a]); // then 0xDB: no A-XDR length
      const { framer, frames } = collect();
      framer.push(Buffer.concat([falseHeader, cipherFrame(5)]));
      assert.equal(frames.length, 1);
    });

    // Kills `startHunting(c === LF)` forced or inverted after an oversize announcement: a length byte of 0x0A is a line end.
    it('after a frame announced too long, whose length byte is an LF, the next frame is found', () => {
      const { framer, frames } = collect(16);
      framer.push(Buffer.concat([cipherFrame(10).subarray(0, 11), cipherFrame(5)]));
      assert.equal(framer.stats.oversize, 1);
      assert.equal(frames.length, 1);
    });
  });

  describe('TelegramFramer: the size cap is inclusive', () => {
    // Kills `>` made `>=` (or `i + 1` made `i - 1`, `+ i` made `- i`) at the `!` line and `>=` on the CRC digits:
    // a telegram of exactly maxTelegramSize bytes (through its CRC) is kept, one byte more is dropped.
    it('keeps a telegram of exactly the maximum size and drops one a byte longer, with or without CRC', () => {
      const withoutCrc = '/ABC5\r\n\r\n1-0:1.8.1(00001.001*kWh)\r\n!\r\n';
      for (const text of [GOOD, withoutCrc]) {
        const size = text.length - 2; // the final CR LF is not held
        for (const [max, kept] of [
          [size, true],
          [size - 1, false],
        ] as const) {
          const { framer, texts } = collect(max);
          framer.push(Buffer.from(text, 'latin1'));
          assert.deepEqual(texts(), kept ? [text] : [], `${JSON.stringify(text.slice(-8))} with maximum ${max}`);
          assert.equal(framer.stats.oversize, kept ? 0 : 1);
        }
      }
    });

    // Kills `max >= 16` made `max > 16` or forced true, and `&&` made `||` (Infinity taken as a size).
    it('takes 16 as the smallest size cap and falls back to the default for anything not a number', () => {
      const { framer, discards } = collect(16);
      framer.push(Buffer.alloc(16, 0x55));
      assert.deepEqual(
        discards.map((d) => d.bytes),
        [16],
      );
      for (const max of [Number.NaN, 15, Number.POSITIVE_INFINITY]) {
        const fallback = collect(max);
        fallback.framer.push(Buffer.alloc(8193, 0x55));
        assert.deepEqual(
          fallback.discards.map((d) => d.bytes),
          [8192],
          `${max} means the default cap of 8192`,
        );
      }
    });
  });

  describe('P1Reader', () => {
    function reader(options: ReaderOptions = {}) {
      const telegrams: Array<{ telegram: P1Telegram; raw: string }> = [];
      const problems: ReaderProblem[] = [];
      const p1 = new P1Reader(options, { onTelegram: (telegram, raw) => telegrams.push({ telegram, raw }), onProblem: (p) => problems.push(p) });
      return { p1, telegrams, problems };
    }

    // Kills flush()'s body removed.
    it('flush() emits a telegram that only lacks its final line end', () => {
      const { p1, telegrams } = reader();
      p1.push(GOOD.slice(0, -2));
      assert.equal(telegrams.length, 0);
      p1.flush();
      assert.deepEqual(
        telegrams.map((t) => t.raw),
        [GOOD.slice(0, -2)],
      );
      assert.equal(telegrams[0].telegram.crc.valid, true);
    });

    // Kills reportSkipped()'s body removed and the 'skipped' case of describeDiscard.
    it('reportSkipped() reports garbage at once, as not part of a telegram', () => {
      const { p1, problems } = reader();
      p1.push('noise');
      p1.reportSkipped();
      assert.deepEqual(problems, [{ kind: 'skipped', message: 'skipped 5 bytes outside a telegram (not part of a telegram)' }]);
    });

    // Kills `outer.crcFailures - inner.crcFailures`: a decrypted telegram's CRC error counts like any other.
    it('counts a CRC error inside a decrypted frame', () => {
      const fixture = loadEncryptedFixtures().find((f) => parseTelegram(f.plaintext.toString('latin1')).crc.valid === false);
      assert.ok(fixture, 'the corpus has an encrypted spec example whose plaintext CRC is wrong');
      const options = fixture.tagUsesAad ? { authenticationKey: fixture.authenticationKey } : {};
      const { p1, telegrams, problems } = reader({ ...options, decryptionKey: fixture.key, crcPolicy: 'flag' });
      p1.push(fixture.frame);
      assert.equal(telegrams.length, 1);
      assert.deepEqual(
        problems.map((p) => p.kind),
        ['crc'],
      );
      assert.equal(p1.stats.crcFailures, 1);
    });

    // Kills `authenticationKey.length > 0` made `>= 0` or true: an empty authentication key means none.
    it('an empty authentication key is no key: frames still decrypt', () => {
      const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;
      const { p1, telegrams, problems } = reader({ decryptionKey: real.key, authenticationKey: '' });
      p1.push(real.frame);
      assert.deepEqual(problems, []);
      assert.equal(telegrams.length, 1);
    });

    // Kills the name 'the authentication key' emptied: a malformed key is named in the problem.
    it('a malformed authentication key is reported by name with each frame', () => {
      const real = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;
      const { p1, telegrams, problems } = reader({ decryptionKey: real.key, authenticationKey: '1234' });
      p1.push(real.frame);
      assert.equal(telegrams.length, 0);
      assert.deepEqual(
        problems.map((p) => p.kind),
        ['decrypt'],
      );
      assert.match(problems[0].message, /the authentication key must be 32 hexadecimal digits/);
    });
  });

  describe('profiles', () => {
    // Kills `allCodes.every` made `some`: Hungary needs both its codes, one alone is a plain DSMR meter.
    it('a telegram with only one of the two Hungarian codes is not Hungarian', () => {
      const both = parseTelegram(withCrc('XYZ5METER', ['0-0:42.0.0(5341)', '1-0:1.8.3(000000.000*kWh)']));
      const one = parseTelegram(withCrc('XYZ5METER', ['0-0:42.0.0(5341)', '1-0:1.8.1(000000.000*kWh)']));
      assert.equal(both.profile, 'hungary');
      assert.equal(one.profile, 'dsmr');
    });
  });

  describe('parseTelegram: warnings name the line and what is wrong', () => {
    const parse = (lines: string[]) => parseTelegram(withCrc('XYZ5METER', lines));

    // Kills the power-failure warnings emptied or their index shifted (`i - 1`), the duration check forced false,
    // the not-a-time check forced or inverted, and the leftover check forced false.
    it('power-failure log: a bad duration, a bad time and a group without duration are each named', () => {
      const t = parse(['1-0:99.97.0(3)(0-0:96.7.19)(101208152415W)(x*s)(nonsense)(0000000240*s)(101208151004W)']);
      assert.deepEqual(t.warnings, [
        '1-0:99.97.0: "x*s" is not a duration; event skipped',
        '1-0:99.97.0: "nonsense" is not a time',
        '1-0:99.97.0: "101208151004W" has no duration; ignored',
      ]);
      assert.deepEqual(t.powerFailureLog, [{ end: null, start: null, durationSeconds: 240 }]);
    });

    // Kills the peak-history leftover warning emptied, its count made `length + i`, its check forced false.
    it('peak history: groups after the last complete month are counted in the warning', () => {
      const t = parse(['0-0:98.1.0(1)(1-0:1.6.0)(1-0:1.6.0)(230801000000S)(230731181500S)(01.862*kW)(230901000000S)(230831181500S)']);
      assert.deepEqual(t.warnings, ['0-0:98.1.0: 2 group(s) after the last complete month; ignored']);
      assert.equal(t.peakDemandHistory?.length, 1);
    });

    // Kills the continuation-line and unreadable-line warnings emptied, and excerpt()'s 40-character cut (`>=`, `start - 40`, the ellipsis).
    it('unreadable lines and stray continuation lines are quoted, cut after 40 characters', () => {
      const forty = 'x'.repeat(40);
      const t = parseTelegram(`/XYZ5METER\r\n\r\n(12)\r\n${forty}\r\n${forty}yz\r\n!\r\n`);
      assert.deepEqual(t.warnings, [
        'line "(12)" continues no data line; ignored',
        `unreadable line "${forty}"; skipped`,
        `unreadable line "${forty}…"; skipped`,
      ]);
    });

    // Kills the trailing-text warning emptied and the blank-skipping loop altered (spaces and tabs after the values are allowed).
    it('blanks after the values are fine; other text after them is quoted', () => {
      assert.deepEqual(parse(['1-0:1.8.1(000001.000*kWh) \t']).warnings, []);
      assert.deepEqual(parse(['1-0:1.8.1(000001.000*kWh) junk']).warnings, ['1-0:1.8.1: unexpected text after the values: "junk"']);
    });

    // Kills isBlank()'s clauses (space, tab, CR, NUL each forced or inverted, `i <= end`): blank lines cost no warning.
    it('lines of only spaces, tabs, CRs or NULs are blank; a line with anything else is not', () => {
      assert.deepEqual(parseTelegram('/XYZ5METER\r\n \t\r\r\n\0\r\n1-0:1.8.1(1)\r\n!\r\n').warnings, []);
      assert.deepEqual(parseTelegram('/XYZ5METER\r\n \tq\r\n!\r\n').warnings, ['unreadable line " \tq"; skipped']);
    });
  });

  describe('parseTelegram: M-Bus devices and ids', () => {
    // Kills mediumKind's cases for 2, 6 and 11 removed or their names emptied, and the default name emptied.
    it('names the medium of each device type', () => {
      const t = parseTelegram(withCrc('XYZ5METER', ['0-1:24.1.0(002)', '0-2:24.1.0(006)', '0-3:24.1.0(011)', '0-4:24.1.0(099)']));
      assert.deepEqual(
        [1, 2, 3, 4].map((n) => t.mbus[n].kind),
        ['electricity', 'warmWater', 'cooling', 'unknown'],
      );
    });

    // Kills idOf's `value !== ''` check forced true or `&&` made `||`: an empty equipment id is no id.
    it('an empty equipment id is null', () => {
      assert.equal(parseTelegram(withCrc('XYZ5METER', ['0-0:96.1.1()'])).equipmentId, null);
    });

    // Kills the reading-rank test (`rank <` made `<=`, forced false, `||` made `&&`, `?? 0` made `&& 0`): a channel's
    // temperature-corrected reading wins over the uncorrected one in either order.
    it('prefers the corrected reading (24.2.1) over the uncorrected one (24.2.3), whichever comes first', () => {
      const corrected = '0-1:24.2.1(230101120000W)(00001.000*m3)';
      const uncorrected = '0-1:24.2.3(230101120000W)(00002.000*m3)';
      for (const lines of [
        [corrected, uncorrected],
        [uncorrected, corrected],
      ]) {
        const t = parseTelegram(withCrc('XYZ5METER', ['0-1:24.1.0(003)', ...lines]));
        assert.equal(t.mbus[1].reading, 1, lines.join(' '));
      }
      // The same reading twice: the last line is kept, as in `obis`.
      const twice = parseTelegram(withCrc('XYZ5METER', ['0-1:24.1.0(003)', corrected, corrected.replace('00001.000', '00003.000')]));
      assert.equal(twice.mbus[1].reading, 3);
      assert.equal(twice.obis['0-1:24.2.1'].value, 3);
    });

    // Kills isBetterShortcut/isInUse mutants: the shortcut is the device in use (an id is enough) on the lowest channel.
    it('`gas` is the lowest channel in use: one with only an id beats an empty one before it', () => {
      const t = parseTelegram(
        withCrc('XYZ5METER', ['0-1:24.1.0(003)', '0-2:24.1.0(003)', '0-2:96.1.0(4730303339303031)', '0-3:24.1.0(003)', '0-3:96.1.0(4730303339303032)']),
      );
      assert.equal(t.gas?.channel, 2);
    });
  });

  describe('parseTelegram: derived values', () => {
    const parse = (lines: string[]) => parseTelegram(withCrc('XYZ5METER', lines));

    // Kills `Math.max` made `Math.min` for the decimals of powerNet.
    it('powerNet keeps the decimals of the more precise register', () => {
      assert.equal(parse(['1-0:1.7.0(01.193*kW)', '1-0:2.7.0(00.00*kW)']).powerNet, 1.193);
    });

    // Kills the powerNet condition's clauses forced true: no powerNet from registers in different units or without a number.
    it('no powerNet from registers in different units or without a number', () => {
      assert.equal(parse(['1-0:1.7.0(01.193*kW)', '1-0:2.7.0(00100*W)']).powerNet, undefined);
      assert.equal(parse(['1-0:1.7.0(01.193*kW)', '1-0:2.7.0(abc*kW)']).powerNet, undefined);
      assert.equal(parse(['1-0:1.7.0(abc*kW)', '1-0:2.7.0(00.100*kW)']).powerNet, undefined);
    });

    // Kills the tariff-sum guard (`||` made `&&`, either side forced false): no sum over mixed units or a register that is no number.
    it('no tariff sum over mixed units or a register that is not a number', () => {
      assert.equal(parse(['1-0:1.8.1(000001.000*kWh)', '1-0:1.8.2(000002.000*kWh)']).energyDeliveredSum, 3);
      assert.equal(parse(['1-0:1.8.1(000001.000*kWh)', '1-0:1.8.2(000002000*Wh)']).energyDeliveredSum, undefined);
      assert.equal(parse(['1-0:1.8.1(000001.000*kWh)', '1-0:1.8.2(abc*kWh)']).energyDeliveredSum, undefined);
    });
  });

  describe('parseTelegram: ids, groups and units', () => {
    const parse = (lines: string[]) => parseTelegram(withCrc('XYZ5METER', lines));

    // Kills obisIdEnd's field-length check (`> 3` made `>= 3`, `||` made `&&`, either side false) and the `(` check after the id forced true.
    it('an id field has one to three digits and the id is followed by its values', () => {
      assert.equal(parse(['1-0:1.8.100(5)']).obis['1-0:1.8.100']?.value, 5);
      for (const line of ['1-0:1.8.1000(5)', '1-0:.8.1(5)', '1-0:1.8.1 x']) {
        assert.deepEqual(parse([line]).warnings, [`unreadable line "${line}"; skipped`], line);
      }
    });

    // Kills the `.255` group F check forced true: only `.255` is skipped after an id, not any three characters.
    it('skips `.255` after an id, not another group F', () => {
      assert.equal(parse(['1-0:1.8.1.255(000001.000*kWh)']).energyDeliveredTariff1, 1);
      assert.deepEqual(parse(['1-0:1.8.1.123(000001.000*kWh)']).warnings, ['unreadable line "1-0:1.8.1.123(000001.000*kWh)"; skipped']);
    });

    // Kills startsNewObject's `pos >= end` (and the `(` clause): a group left open is not continued over a blank line or a continuation line.
    it('an unclosed group does not run on over a blank line or a line that starts with `(`', () => {
      for (const next of ['', '(12)']) {
        const t = parseTelegram(`/XYZ5METER\r\n\r\n0-0:96.13.0(414243\r\n${next}\r\ndef)\r\n!\r\n`);
        assert.equal(t.obis['0-0:96.13.0'].groups[0].raw, '414243', JSON.stringify(next));
        assert.ok(t.warnings.includes("0-0:96.13.0: value group without ')'; read to the end of the line"), JSON.stringify(next));
      }
    });

    // Kills `decoding === 'octets' && …` made `||` or forced true: only octet strings get a decoded `text`.
    it('only octet-string lines carry a decoded text', () => {
      const t = parse(['0-0:96.1.1(4B384547)', '1-0:1.8.1(4142)']);
      assert.equal(t.obis['0-0:96.1.1'].text, 'K8EG');
      assert.equal(t.obis['1-0:1.8.1'].value, 4142);
      assert.equal('text' in t.obis['1-0:1.8.1'], false, 'digits that happen to be hex are still a number');
    });

    // Kills `valueEnd < end - 1` made `<=`: a `*` with no unit after it gives no unit.
    it('a `*` with nothing after it is no unit', () => {
      const t = parse(['1-0:1.8.1(000001.000*)']);
      assert.equal(t.energyDeliveredTariff1, 1);
      assert.equal(t.obis['1-0:1.8.1'].unit, undefined);
    });

    // Kills unitSeparator's window (`Math.min(0, …)`, `- 1` made `+ 1`, `>=` made `>`): a unit is at most ten characters
    // long and a `*` further from the end is part of the value.
    it('finds a unit of up to ten characters, and nothing further from the end', () => {
      const unknown = (raw: string) => parse([`0-0:99.99.9(${raw})`]).obis['0-0:99.99.9'];
      assert.deepEqual([unknown('5*abcdefghij').value, unknown('5*abcdefghij').unit], [5, 'abcdefghij']);
      assert.deepEqual([unknown('5*abcdefghijk').value, unknown('5*abcdefghijk').unit], ['5*abcdefghijk', undefined]);
    });

    // Kills decodeUnknown's flag requirement (`true` made false), its `end <= 15` made `< 15` and `raw.slice` made `raw`.
    it('unknown codes: twelve digits without a flag and numbers of up to 15 characters are numbers; long text loses only its unit', () => {
      const unknown = (raw: string) => parse([`0-0:99.99.9(${raw})`]).obis['0-0:99.99.9'].value;
      assert.equal(unknown('230101120000'), 230101120000);
      assert.equal(unknown('123456789012.45'), 123456789012.45);
      assert.equal(unknown('1234567890123.45'), '1234567890123.45');
      assert.equal(unknown('abcdefghijklmnopq*kWh'), 'abcdefghijklmnopq');
    });

    // Kills appendGroups' copy of unit and time forced false: a reading whose value comes on the next line gets its unit and time.
    it('a reading continued on the next line takes the unit and time of the whole', () => {
      const t = parseTelegram('/XYZ5METER\r\n\r\n0-1:24.2.1(230101120000W)\r\n(00001.000*m3)\r\n!\r\n');
      assert.deepEqual([t.obis['0-1:24.2.1'].value, t.obis['0-1:24.2.1'].unit, t.obis['0-1:24.2.1'].time], [1, 'm3', '2023-01-01T12:00:00+01:00']);
    });

    // Kills `time === null && mainValue === 0` with its time clause forced true: a zero reading with a real time is zero, not empty.
    it('a zero M-Bus reading with a valid time is 0; with the placeholder time it is an empty channel', () => {
      assert.equal(parse(['0-1:24.1.0(003)', '0-1:24.2.1(230101120000W)(00000.000*m3)']).mbus[1].reading, 0);
      assert.equal(parse(['0-1:24.1.0(003)', '0-1:24.2.1(000000000000W)(00000.000*m3)']).mbus[1].reading, null);
    });

    // Kills isHourlyProfile's cold-reading name emptied or forced false, `groups.length > 6` made `>= 6`, and the
    // unit/time copy of a continuation line forced false.
    it('DSMR 3 hourly and cold readings take their value from the next line and the unit from their sixth group', () => {
      for (const [code, unit] of [
        ['24.3.0', 'm3'],
        ['24.3.1', 'GJ'],
      ]) {
        const t = parseTelegram(`/XYZ5METER\r\n\r\n0-1:${code}(090212160000)(00)(60)(1)(0-1:24.2.1)(${unit})\r\n(00012.345)\r\n!\r\n`);
        assert.equal(t.mbus[1].reading, 12.345, code);
        assert.equal(t.mbus[1].unit, unit, code);
        assert.equal(t.obis[`0-1:${code}`].unit, unit, code);
        assert.equal(typeof t.obis[`0-1:${code}`].time, 'string', code);
        const alone = parseTelegram(`/XYZ5METER\r\n\r\n0-1:${code}(090212160000)(00)(60)(1)(0-1:24.2.1)(${unit})\r\n!\r\n`);
        assert.equal(alone.mbus[1].reading, null, `${code} without its value line`);
        assert.equal(alone.obis[`0-1:${code}`].value, null, `${code} without its value line`);
      }
    });
  });

  describe('parseTelegram: version and Belgian peaks', () => {
    const parse = (lines: string[]) => parseTelegram(withCrc('XYZ5METER', lines));

    // Kills versionOf's `stated !== undefined && stated !== null` forced true: an empty version line states no version.
    it('an empty version line states no version', () => {
      assert.equal(parse(['1-3:0.2.8()']).version, null);
      assert.equal(parse(['1-3:0.2.8(50)']).version, '50');
    });

    // Kills `typeof object.value === 'number'` forced true for the month's peak: a peak that is no number is left out, its time kept.
    it('a monthly peak that is not a number is left out', () => {
      const t = parse(['1-0:1.6.0(230101120000W)(abc*kW)']);
      assert.equal(t.peakDemandMonth, undefined);
      assert.equal(t.peakDemandMonthTime, '2023-01-01T12:00:00+01:00');
    });

    // Kills the Hungarian-snapshot check (`!isTime(groups[0])` and the length test forced true): a 98.1.0 line that starts with a time is no peak history.
    it('a 98.1.0 line that starts with a time (a Hungarian billing snapshot) is no peak history', () => {
      assert.equal(parse(['0-0:98.1.0(230101000000W)(000001.000*kWh)(000002.000*kWh)']).peakDemandHistory, undefined);
    });
  });
});
