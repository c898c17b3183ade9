import { strict as assert } from 'node:assert';
import { checkTelegramCrc, crc16String, formatCrc } from '../../src/protocol/crc16';
import { DEFAULT_MAX_TELEGRAM_SIZE, MAX_TELEGRAM_SIZE, TelegramFramer, type Frame, type FrameDiscard } from '../../src/protocol/framer';
import { loadCorpus, type CorpusFile } from './corpus-files';
import { SeededRandom, chunked } from './seeded-random';

function collect(maxTelegramSize?: number) {
  const frames: Frame[] = [];
  const discards: FrameDiscard[] = [];
  const framer = new TelegramFramer({ maxTelegramSize, onFrame: (f) => frames.push(f), onDiscard: (d) => discards.push(d) });
  const telegrams = () => frames.flatMap((f) => (f.kind === 'telegram' ? [f] : []));
  return { framer, frames, discards, telegrams };
}

function verdict(valid: boolean | null): string {
  return valid === true ? 'valid' : valid === false ? 'invalid' : 'n/a';
}

/** A telegram with a correct CRC around the given data lines. */
function telegram(header: string, lines: string[], eol = '\r\n'): string {
  const body = `/${header}${eol}${eol}${lines.map((l) => l + eol).join('')}!`;
  return body + formatCrc(crc16String(body.replace(/\r?\n/g, '\r\n'))) + eol;
}

const SMALL = telegram('ISK5\\2M550T-1012', ['1-3:0.2.8(50)', '0-0:1.0.0(200101120000W)', '1-0:1.7.0(00.123*kW)']);

/** One whole telegram: starts with its header, has no second header and ends with a `!` line. */
function isCompleteTelegram(text: string): boolean {
  return text.startsWith('/') && !text.includes('\n/') && text.includes('\n!');
}

describe('TelegramFramer', () => {
  describe('every corpus file on its own', () => {
    const corpus = loadCorpus();
    const text = (entry: CorpusFile) => entry.bytes.toString('latin1');
    const complete = corpus.filter((e) => !e.file.endsWith('.bin') && isCompleteTelegram(text(e)));

    it('the corpus has the expected shape (complete telegrams, fragments, binaries)', () => {
      assert.ok(complete.length >= 90, `only ${complete.length} complete telegrams`);
      assert.equal(corpus.filter((e) => e.kind === 'negative/fragment').length, 5);
      assert.equal(corpus.filter((e) => e.kind === 'non-DSMR-binary').length, 10);
    });

    for (const entry of complete) {
      it(`${entry.file}: one telegram, CRC ${entry.crc}`, () => {
        const { framer, frames, telegrams } = collect();
        framer.push(entry.bytes);
        assert.equal(frames.length, 1);
        const [frame] = telegrams();
        assert.equal(verdict(frame.crc.valid), entry.crc);
        assert.deepEqual(frame.crc, checkTelegramCrc(frame.text), 'same verdict as checkTelegramCrc');
        // The frame is the file up to the line end after the CRC (trailing gateway bytes are not part of it).
        assert.ok(text(entry).startsWith(frame.text));
        assert.match(frame.text, /\n![0-9A-Fa-f]{0,4}\r?\n$/);
        assert.equal(framer.stats.telegrams, 1);
        assert.equal(framer.stats.crcFailures, entry.crc === 'invalid' ? 1 : 0);
        assert.equal(framer.buffered, 0);
      });
    }

    for (const entry of corpus.filter((e) => !e.file.endsWith('.bin') && !isCompleteTelegram(text(e)))) {
      it(`${entry.file}: emits nothing and says why`, () => {
        const { framer, frames, discards } = collect();
        framer.push(entry.bytes);
        framer.reset();
        assert.equal(frames.length, 0);
        const expected = new Set<string>();
        if (!text(entry).startsWith('/')) expected.add('skipped');
        if (/(^|\n)\//.test(text(entry))) expected.add('partial');
        assert.deepEqual(new Set(discards.map((d) => d.reason)), expected);
        for (const d of discards) assert.ok(d.bytes > 0 && d.detail.length > 0);
      });
    }

    for (const entry of corpus.filter((e) => e.kind === 'non-DSMR-binary')) {
      it(`${entry.file} (HDLC binary): skipped and counted`, () => {
        const { framer, frames, discards } = collect();
        framer.push(entry.bytes);
        framer.reset();
        assert.equal(frames.length, 0);
        assert.equal(framer.stats.bytesSkipped, entry.bytes.length);
        assert.deepEqual(
          discards.map((d) => d.reason),
          ['skipped'],
        );
      });
    }

    for (const entry of corpus.filter((e) => e.encrypted)) {
      it(`${entry.file}: one encrypted frame, byte for byte`, () => {
        const { framer, frames } = collect();
        framer.push(entry.bytes);
        assert.equal(frames.length, 1);
        assert.equal(frames[0].kind, 'encrypted');
        assert.ok(frames[0].kind === 'encrypted' && frames[0].bytes.equals(entry.bytes));
        assert.equal(framer.stats.encryptedFrames, 1);
      });
    }
  });

  describe('terminator and CRC', () => {
    it('emits the moment the CR after the CRC arrives, without waiting for the LF', () => {
      const { framer, frames } = collect();
      framer.push(Buffer.from(SMALL.slice(0, -2), 'latin1'));
      assert.equal(frames.length, 0, 'the CRC line is not finished yet');
      framer.push(Buffer.from('\r', 'latin1'));
      assert.equal(frames.length, 1);
      assert.ok(frames[0].kind === 'telegram' && frames[0].text === SMALL);
      framer.push(Buffer.from('\n', 'latin1'));
      assert.equal(framer.stats.bytesSkipped, 0, "the telegram's own LF is not garbage");
    });

    it('emits a DSMR 2.2 "!" CRLF telegram without a CRC', () => {
      const { framer, telegrams } = collect();
      framer.push(Buffer.from('/ISk5\\2MT382-1004\r\n\r\n0-0:96.1.1(4B384547303034303436333935353037)\r\n!\r'));
      assert.equal(telegrams().length, 1);
      assert.deepEqual(telegrams()[0].crc, { present: false, stated: null, computed: telegrams()[0].crc.computed, valid: null });
    });

    it('validates LF-only telegrams by restoring CR LF', () => {
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(SMALL.replace(/\r\n/g, '\n')));
      const [frame] = telegrams();
      assert.equal(frame.crc.valid, true);
      assert.equal(frame.crc.restoredCrLf, true);
      assert.ok(frame.text.endsWith('\n') && !frame.text.includes('\r'));
    });

    it('does not restore CR LF when the text already has CRs', () => {
      const { framer, telegrams } = collect();
      const mixed = SMALL.replace('\r\n1-0:1.7.0', '\n1-0:1.7.0');
      framer.push(Buffer.from(mixed));
      assert.equal(telegrams()[0].crc.valid, false);
    });

    it('accepts 3-digit and lower-case CRCs', () => {
      const crc = SMALL.slice(SMALL.lastIndexOf('!') + 1, -2);
      const lower = SMALL.replace(`!${crc}`, `!${crc.toLowerCase()}`);
      const body = '/NWA5\r\n\r\n0-0:96.1.1(1)\r\n!';
      let unpadded = body;
      // Find a line whose CRC has a leading zero, so that three digits state it.
      for (let n = 0; formatCrc(crc16String(unpadded))[0] !== '0'; n++) unpadded = body.replace('(1)', `(${n})`);
      const three = unpadded + formatCrc(crc16String(unpadded)).slice(1) + '\r\n';
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(lower + three));
      assert.deepEqual(
        telegrams().map((t) => [t.crc.valid, t.crc.stated]),
        [
          [true, crc],
          [true, formatCrc(crc16String(unpadded))],
        ],
      );
    });

    it('ignores junk after the CRC and finds the next telegram', () => {
      const { framer, frames, discards } = collect();
      framer.push(Buffer.from(SMALL.replace(/\r\n$/, '  25803103\r\n\xff\xff\xff\r\n') + SMALL, 'latin1'));
      assert.equal(frames.length, 2);
      for (const f of frames) assert.ok(f.kind === 'telegram' && f.crc.valid === true);
      assert.equal(frames[0].kind === 'telegram' && frames[0].text, SMALL.slice(0, -2), 'the frame ends where the CRC ends');
      assert.deepEqual(
        discards.map((d) => d.reason),
        ['skipped'],
      );
      assert.equal(framer.stats.bytesSkipped, '  25803103\r\n\xff\xff\xff\r\n'.length);
    });

    it('a "/" straight after the CRC starts the next telegram', () => {
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(SMALL.slice(0, -2) + SMALL));
      assert.deepEqual(
        telegrams().map((t) => t.crc.valid),
        [true, true],
      );
    });

    it('takes a "!" inside the header line as text, not as the end', () => {
      const text = telegram('AC!E5 METER', ['1-0:1.8.1(000001.000*kWh)']);
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(text));
      assert.equal(telegrams().length, 1);
      assert.equal(telegrams()[0].text, text);
      assert.equal(telegrams()[0].crc.valid, true);
    });

    it('flush() emits a telegram that lacks only its final line end', () => {
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(SMALL.slice(0, -2)));
      assert.equal(telegrams().length, 0);
      framer.flush();
      assert.equal(telegrams().length, 1);
      assert.equal(telegrams()[0].crc.valid, true);
    });
  });

  describe('resynchronisation', () => {
    it('skips garbage before "/" at the start of a line, reported once per run', () => {
      const random = new SeededRandom(7);
      const garbage = Buffer.from(random.bytes(3000).map((b) => (b === 0x0a || b === 0x0d ? 0x41 : b)));
      const stream = Buffer.concat([garbage, Buffer.from('x/NOT-A-HEADER\r\n'), Buffer.from(SMALL)]);
      const { framer, telegrams, discards } = collect();
      for (const chunk of chunked(stream, random, 1, 7)) framer.push(chunk);
      assert.equal(telegrams().length, 1);
      assert.equal(telegrams()[0].text, SMALL);
      assert.deepEqual(discards, [{ reason: 'skipped', bytes: garbage.length + 16, detail: `skipped ${garbage.length + 16} bytes before a frame` }]);
      assert.equal(framer.stats.bytesSkipped, garbage.length + 16);
    });

    it('does not count idle line ends between telegrams as garbage', () => {
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(`\r\n\r\n${SMALL}\r\n\n${SMALL}`));
      assert.equal(telegrams().length, 2);
      assert.deepEqual(discards, []);
      assert.equal(framer.stats.bytesSkipped, 0);
    });

    it('drops a truncated telegram when a new header arrives', () => {
      const truncated = SMALL.slice(0, SMALL.indexOf('(00.1'));
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(`${truncated}\r\n${SMALL}`));
      assert.deepEqual(
        telegrams().map((t) => t.text),
        [SMALL],
      );
      assert.equal(discards.length, 1);
      assert.equal(discards[0].reason, 'partial');
      assert.equal(discards[0].bytes, truncated.length + 2);
      assert.match(discards[0].detail, /new telegram header/);
      assert.equal(framer.stats.droppedPartials, 1);
    });

    it('reset() drops an unfinished telegram, reports it and starts over', () => {
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(SMALL.slice(0, 40)));
      assert.equal(framer.buffered, 40);
      framer.reset();
      assert.equal(framer.buffered, 0);
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', 40]],
      );
      framer.push(Buffer.from(SMALL));
      assert.equal(telegrams().length, 1);
    });

    it('accepts plain Uint8Arrays (not only Buffers)', () => {
      const { framer, telegrams } = collect();
      const bytes = new Uint8Array(Buffer.from(SMALL));
      framer.push(bytes.subarray(0, 10));
      framer.push(bytes.subarray(10));
      assert.equal(telegrams()[0].text, SMALL);
    });
  });

  describe('the CRC decides where a telegram starts', () => {
    const cutOff = SMALL.slice(0, SMALL.indexOf('(00.1')); // cut off mid-line, as a meter restart or reconnect does

    it('a telegram cut off mid-line and a whole one glued to it: the whole one is emitted, the rest is a dropped partial', () => {
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(cutOff + SMALL));
      assert.deepEqual(
        telegrams().map((t) => [t.text, t.crc.valid]),
        [[SMALL, true]],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', cutOff.length]],
      );
      assert.deepEqual([framer.stats.crcFailures, framer.stats.droppedPartials], [0, 1]);
    });

    it('the real capture Wassasin__dsmr5/overflow.txt: its cut-off telegrams do not swallow a good one glued to them', () => {
      const capture = loadCorpus()
        .find((e) => e.file === 'Wassasin__dsmr5/overflow.txt')!
        .bytes.toString('latin1');
      const lastHeader = capture.lastIndexOf('/ISK5');
      // The capture's last telegram, without the modem's "NO CARRIER" line and with its CRC made right.
      const body = capture.slice(lastHeader, capture.lastIndexOf('!') + 1).replace('***NO CARIER***\r\n', '\r\n');
      const good = `${body}${formatCrc(crc16String(body))}\r\n`;
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(capture.slice(0, lastHeader) + good, 'latin1'));
      assert.deepEqual(
        telegrams().map((t) => [t.text, t.crc.valid]),
        [[good, true]],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', lastHeader]],
      );
      assert.equal(framer.stats.crcFailures, 0);
    });

    it('a header glued to telnet negotiation bytes (FF FB 01 FF FB 03) starts a telegram', () => {
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.concat([Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03]), Buffer.from(SMALL)]));
      assert.deepEqual(
        telegrams().map((t) => t.text),
        [SMALL],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['skipped', 6]],
      );
    });

    it('a wrong CRC after junk glued to the header is reported as a CRC failure, not skipped silently', () => {
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(`noise${SMALL.replace(/![0-9A-F]{4}/, '!0000')}`));
      assert.deepEqual(
        telegrams().map((t) => t.crc.valid),
        [false],
      );
      assert.equal(framer.stats.crcFailures, 1);
    });

    it('a "/" in the middle of a line without a header mark is not a header', () => {
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(`http://x/1-0:1.7.0(1/2)\r\n${SMALL}`));
      assert.deepEqual(
        telegrams().map((t) => t.text),
        [SMALL],
      );
      assert.deepEqual(
        discards.map((d) => d.reason),
        ['skipped'],
      );
    });

    it('a good telegram holding a header-like "/" in a line is emitted whole', () => {
      const text = telegram('ISK5\\2M550T-1012', ['0-0:96.13.0(see /ABC5 now)', '1-0:1.7.0(00.123*kW)']);
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(text));
      assert.deepEqual(
        telegrams().map((t) => [t.text, t.crc.valid]),
        [[text, true]],
      );
      assert.deepEqual(discards, []);
    });

    it('without a CRC (DSMR 2.2): the header glued to a cut-off telegram starts the one emitted', () => {
      const dsmr22 = '/ISk5\\2MT382-1004\r\n\r\n0-0:96.1.1(4B384547303034303436333935353037)\r\n1-0:1.8.1(00001.001*kWh)\r\n!\r\n';
      const { framer, telegrams, discards } = collect();
      framer.push(Buffer.from(dsmr22.slice(0, 70) + dsmr22, 'latin1'));
      assert.deepEqual(
        telegrams().map((t) => t.text),
        [dsmr22],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', 70]],
      );
    });

    it('a cut-off telegram and a glued one together longer than the cap: the glued one still comes through', () => {
      const long = telegram(
        'ISK5\\2M550T-1012',
        Array.from({ length: 16 }, (_, n) => `1-0:1.8.${n}(000001.000*kWh)`),
      );
      const cut = long.slice(0, long.length - 20);
      const { framer, telegrams, discards } = collect(512);
      for (const chunk of chunked(Buffer.from(cut + SMALL), new SeededRandom(4), 1, 64)) framer.push(chunk);
      assert.ok(cut.length + SMALL.length > 512 && cut.length < 512);
      assert.deepEqual(
        telegrams().map((t) => [t.text, t.crc.valid]),
        [[SMALL, true]],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', cut.length]],
      );
    });

    it('the same frames, discards and counters however the hostile stream is cut', () => {
      const stream = Buffer.concat([
        Buffer.from([0xff, 0xfb, 0x01]),
        Buffer.from(cutOff + SMALL + 'x/' + cutOff + 'junk/ISK' + SMALL),
        Buffer.from(SMALL.replace(/![0-9A-F]{4}/, '!0000') + SMALL.slice(0, 200) + SMALL),
      ]);
      const run = (chunks: Iterable<Uint8Array>) => {
        const { framer, frames, discards } = collect(512);
        for (const chunk of chunks) framer.push(chunk);
        framer.reset();
        return { frames, discards, stats: framer.stats };
      };
      const whole = run([stream]);
      assert.equal(whole.frames.filter((f) => f.kind === 'telegram' && f.crc.valid).length, 4);
      for (const seed of [1, 2, 3]) assert.deepEqual(run(chunked(stream, new SeededRandom(seed), 1, 9)), whole);
      assert.deepEqual(run(chunked(stream, new SeededRandom(0), 1, 1)), whole);
    });
  });

  describe('size cap', () => {
    it(`defaults to ${DEFAULT_MAX_TELEGRAM_SIZE} bytes and fits a 2048-hex-digit text message`, () => {
      const text = telegram('ISK5\\2M550T-1012', [`0-0:96.13.0(${'41'.repeat(1024)})`, '1-0:1.7.0(00.123*kW)']);
      const { framer, telegrams } = collect();
      framer.push(Buffer.from(text));
      assert.equal(telegrams()[0].crc.valid, true);
    });

    it('drops a telegram that grows past the cap and resynchronises', () => {
      const long = telegram(
        'ISK5\\2M550T-1012',
        Array.from({ length: 40 }, (_, n) => `1-0:1.8.${n}(000001.000*kWh)`),
      );
      const { framer, telegrams, discards } = collect(512);
      for (const chunk of chunked(Buffer.from(long + SMALL), new SeededRandom(3), 1, 100)) {
        framer.push(chunk);
        assert.ok(framer.buffered <= 512);
      }
      assert.deepEqual(
        telegrams().map((t) => t.text),
        [SMALL],
      );
      assert.equal(discards[0].reason, 'oversize');
      assert.equal(discards[0].bytes, 512);
      assert.equal(framer.stats.oversize, 1);
    });

    it(`clamps a larger cap to ${MAX_TELEGRAM_SIZE} bytes`, () => {
      const { framer, discards } = collect(10_000_000);
      framer.push(Buffer.from(`/ISK5\r\n${'1-0:1.8.1(000001.000*kWh)\r\n'.repeat(4000)}`));
      assert.ok(framer.buffered <= MAX_TELEGRAM_SIZE);
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['oversize', MAX_TELEGRAM_SIZE]],
      );
    });

    it('stays bounded on 1 MB of random bytes and still finds the telegram after it', () => {
      const random = new SeededRandom(1234);
      const noise = random.bytes(1 << 20);
      const { framer, telegrams, discards } = collect();
      let chunks = 0;
      for (const chunk of chunked(Buffer.concat([noise, Buffer.from(`\r\n${SMALL}`)]), random, 1, 4096)) {
        framer.push(chunk);
        assert.ok(framer.buffered <= DEFAULT_MAX_TELEGRAM_SIZE, `buffered ${framer.buffered}`);
        chunks++;
      }
      assert.ok(chunks > 400);
      assert.equal(telegrams().at(-1)?.text, SMALL);
      assert.equal(telegrams().filter((t) => t.crc.valid === true).length, 1, 'noise never yields a valid telegram');
      // Long runs of garbage are reported as they go, not only when a frame finally starts.
      assert.ok(discards.filter((d) => d.reason === 'skipped').length >= 8);
      for (const d of discards) assert.ok(d.bytes <= DEFAULT_MAX_TELEGRAM_SIZE);
    });
  });

  describe('encrypted frames', () => {
    const frame = loadCorpus().find((e) => e.file.endsWith('lu_smarty_real_encrypted_frame.bin'))!.bytes;

    it('finds a frame after a telegram and a telegram right after a frame', () => {
      const { framer, frames } = collect();
      for (const chunk of chunked(Buffer.concat([Buffer.from(SMALL), frame, Buffer.from(SMALL), frame]), new SeededRandom(9), 1, 64)) framer.push(chunk);
      assert.deepEqual(
        frames.map((f) => f.kind),
        ['telegram', 'encrypted', 'telegram', 'encrypted'],
      );
      assert.ok(frames[1].kind === 'encrypted' && frames[1].bytes.equals(frame));
      assert.ok(frames[2].kind === 'telegram' && frames[2].crc.valid === true);
    });

    it('drops a frame that announces more than the cap, without swallowing what follows', () => {
      const { framer, frames, discards } = collect(600);
      framer.push(Buffer.concat([frame, Buffer.from(`\r\n${SMALL}`)]));
      assert.deepEqual(
        frames.map((f) => f.kind),
        ['telegram'],
      );
      assert.equal(discards[0].reason, 'oversize');
      assert.match(discards[0].detail, /announces 647 bytes/);
      assert.ok(framer.buffered <= 600);
    });

    it('treats 0xDB without the system-title length as garbage', () => {
      const { framer, frames, discards } = collect();
      framer.push(Buffer.concat([Buffer.from([0xdb, 0x07, 1, 2, 3, 0x0a]), Buffer.from(SMALL)]));
      assert.deepEqual(
        frames.map((f) => f.kind),
        ['telegram'],
      );
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['skipped', 6]],
      );
    });

    it('reports a frame cut short when the input restarts', () => {
      const { framer, frames, discards } = collect();
      framer.push(frame.subarray(0, 300));
      assert.equal(framer.buffered, 300);
      framer.reset();
      assert.equal(frames.length, 0);
      assert.deepEqual(
        discards.map((d) => [d.reason, d.bytes]),
        [['partial', 300]],
      );
    });
  });
});
