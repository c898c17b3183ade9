/**
 * p1-parse in the real Node-RED runtime: telegrams from the corpus arrive whole, in
 * 1-byte and random-size fragments, several per message, interleaved from two sources, as
 * Buffer or string, encrypted; errors reach a Catch node.
 */
import { strict as assert } from 'node:assert';
import { MAX_SOURCES } from '../../src/connection/source-readers';
import { loadCorpus, loadEncryptedFixtures } from '../protocol/corpus-files';
import { chunked, SeededRandom } from '../protocol/seeded-random';
import { fixture, helper, NODES, numberedTelegram, recorder, statusesOf, telegramNumber, waitFor, type FlowNode, type Msg } from './connection-harness';

// Loaded from the build folder this test was compiled into.
const p1Parse = require('../../src/nodes/p1-parse');

const TAB = 'tab';
/** Sent last on its own source: once it comes out, everything sent before it has been handled. */
const SENTINEL_TOPIC = 'sentinel';

interface Received extends Msg {
  [key: string]: any;
}

interface ParseFlow {
  parse: { receive(msg: Record<string, unknown>): void };
  out: Received[];
  caught: Received[];
}

async function loadParseFlow(options: Record<string, unknown> = {}, credentials?: Record<string, string>): Promise<ParseFlow> {
  const flow: FlowNode[] = [
    { id: TAB, type: 'tab' },
    // Nodes on a tab need a position, or the runtime takes them for config nodes.
    {
      id: 'parse',
      z: TAB,
      x: 100,
      y: 100,
      type: 'p1-parse',
      name: '',
      property: 'payload',
      sourceKey: 'topic',
      output: 'parsed',
      crcPolicy: 'drop',
      timezone: 'Europe/Amsterdam',
      maxTelegramSize: 8192,
      ...options,
      wires: [['out']],
    },
    { id: 'out', z: TAB, x: 300, y: 100, type: 'helper' },
    { id: 'catcher', z: TAB, x: 100, y: 200, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: TAB, x: 300, y: 200, type: 'helper' },
  ];
  await helper.load([...NODES, p1Parse], flow, credentials ? { parse: credentials } : undefined);
  return {
    parse: helper.getNode('parse') as ParseFlow['parse'],
    out: recorder('out'),
    caught: recorder('caught'),
  };
}

/**
 * Sends the sentinel telegram and waits until it comes out; returns the messages before it.
 * With a key set, plaintext is rejected: the sentinel is then an encrypted frame.
 */
async function settle(flow: ParseFlow, sentinel: string | Buffer = numberedTelegram(999_999)): Promise<Received[]> {
  flow.parse.receive({ topic: SENTINEL_TOPIC, payload: sentinel });
  await waitFor(() => flow.out.some((m) => m.topic === SENTINEL_TOPIC), 'the sentinel telegram');
  return flow.out.filter((m) => m.topic !== SENTINEL_TOPIC);
}

/** Every corpus telegram with a valid CRC, or none to check (DSMR 2.2/3), as the meter sent it. */
const CLEAN_TELEGRAMS = loadCorpus()
  .filter(
    (entry) =>
      !entry.encrypted &&
      entry.crc !== 'invalid' &&
      entry.file.endsWith('.txt') &&
      !/fragment|truncated|trailer|no_crc/.test(entry.file) &&
      entry.kind !== 'negative/fragment',
  )
  .map((entry) => entry.bytes);

describe('p1-parse node', function () {
  afterEach(async function () {
    await helper.unload();
  });

  it('has a corpus of clean telegrams to work with', function () {
    assert.ok(CLEAN_TELEGRAMS.length >= 20, `only ${CLEAN_TELEGRAMS.length} clean telegrams`);
  });

  it('reassembles telegrams sent one byte per message', async function () {
    const flow = await loadParseFlow();
    const telegrams = [numberedTelegram(1), numberedTelegram(2), numberedTelegram(3)];
    const stream = Buffer.from(telegrams.join(''), 'latin1');
    for (const byte of stream) flow.parse.receive({ topic: 'meter', payload: Buffer.from([byte]) });
    const out = await settle(flow);
    assert.deepEqual(out.map(telegramNumber), [1, 2, 3]);
    assert.equal(flow.caught.length, 0);
  });

  it('reassembles every clean corpus telegram from random-size messages (seeded)', async function () {
    const flow = await loadParseFlow();
    const random = new SeededRandom(0x51ce);
    const stream = Buffer.concat(CLEAN_TELEGRAMS);
    for (const chunk of chunked(stream, random, 1, 700)) flow.parse.receive({ topic: 'meter', payload: Buffer.from(chunk) });
    const out = await settle(flow);
    assert.equal(out.length, CLEAN_TELEGRAMS.length);
    out.forEach((msg, i) => {
      assert.equal(msg.payload.header, firstLine(CLEAN_TELEGRAMS[i]).slice(1), `telegram ${i}`);
      assert.notEqual(msg.payload.crc.valid, false, `telegram ${i} CRC`);
    });
    assert.equal(flow.caught.length, 0);
  });

  it('sends one message per telegram when a message holds several, keeping the other properties', async function () {
    const flow = await loadParseFlow();
    flow.parse.receive({ topic: 'meter', payload: [4, 5, 6].map((n) => numberedTelegram(n)).join(''), site: { name: 'home' }, _msgid: 'abc' });
    const out = await settle(flow);
    assert.deepEqual(out.map(telegramNumber), [4, 5, 6]);
    for (const msg of out) {
      assert.equal(msg.topic, 'meter');
      assert.deepEqual(msg.site, { name: 'home' });
    }
    // Each telegram has its own message: changing one must not change another.
    out[0].site.name = 'changed';
    assert.equal(out[1].site.name, 'home');
  });

  it('keeps fragments of two interleaved sources apart', async function () {
    const flow = await loadParseFlow();
    const random = new SeededRandom(7);
    const a = chunked(Buffer.from(numberedTelegram(11) + numberedTelegram(12), 'latin1'), random, 1, 90);
    const b = chunked(Buffer.from(numberedTelegram(21) + numberedTelegram(22), 'latin1'), random, 1, 90);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) flow.parse.receive({ topic: 'tele/a/p1', payload: Buffer.from(a[i]) });
      if (i < b.length) flow.parse.receive({ topic: 'tele/b/p1', payload: Buffer.from(b[i]).toString('latin1') });
    }
    const out = await settle(flow);
    assert.deepEqual(out.filter((m) => m.topic === 'tele/a/p1').map(telegramNumber), [11, 12]);
    assert.deepEqual(out.filter((m) => m.topic === 'tele/b/p1').map(telegramNumber), [21, 22]);
    assert.equal(flow.caught.length, 0);
  });

  it('parses a Buffer and the same text as a string alike', async function () {
    const flow = await loadParseFlow();
    const text = fixture('ndokter__dsmr_parser/be_fluvius_v171.txt');
    flow.parse.receive({ topic: 'buffer', payload: text });
    flow.parse.receive({ topic: 'string', payload: text.toString('latin1') });
    const out = await settle(flow);
    assert.equal(out.length, 2);
    assert.deepEqual(out[0].payload, out[1].payload);
    assert.equal(out[0].payload.crc.valid, true);
  });

  it('reads the configured property and source key, and emits raw text or both', async function () {
    const flow = await loadParseFlow({ property: 'data.text', sourceKey: 'meter.id', output: 'both' });
    const telegram = numberedTelegram(31);
    flow.parse.receive({ topic: 'ignored', meter: { id: 'x' }, data: { text: telegram.slice(0, 100) } });
    flow.parse.receive({ topic: 'ignored', meter: { id: 'y' }, data: { text: telegram } });
    flow.parse.receive({ topic: 'ignored', meter: { id: 'x' }, data: { text: telegram.slice(100) } });
    await waitFor(() => flow.out.length === 2, 'two telegrams');
    for (const msg of flow.out) {
      assert.equal(telegramNumber(msg), 31);
      assert.equal(msg.telegram, telegram);
    }
    assert.deepEqual(
      flow.out.map((m) => m.meter.id),
      ['y', 'x'],
    );
  });

  it('sends the telegram text as payload with output "raw"', async function () {
    const flow = await loadParseFlow({ output: 'raw' });
    const telegram = numberedTelegram(41);
    flow.parse.receive({ topic: 'meter', payload: telegram });
    await waitFor(() => flow.out.length === 1, 'one telegram');
    assert.equal(flow.out[0].payload, telegram);
  });

  for (const encrypted of loadEncryptedFixtures()) {
    it(`decrypts ${encrypted.file} with its key, also when fragmented`, async function () {
      const authenticationKey = encrypted.tagUsesAad ? encrypted.authenticationKey : '';
      const flow = await loadParseFlow({ output: 'raw', crcPolicy: 'flag' }, { decryptionKey: encrypted.key, authenticationKey });
      flow.parse.receive({ topic: 'whole', payload: encrypted.frame });
      for (const chunk of chunked(encrypted.frame, new SeededRandom(3), 1, 64)) flow.parse.receive({ topic: 'pieces', payload: Buffer.from(chunk) });
      const out = await settle(flow, encrypted.frame);
      assert.deepEqual(
        out.map((m) => m.topic),
        ['whole', 'pieces'],
      );
      for (const msg of out) assert.equal(msg.payload, encrypted.plaintext.toString('latin1'));
      assert.equal(flow.caught.length, 0);
    });
  }

  it('reports an encrypted frame it cannot decrypt (wrong key) to a Catch node', async function () {
    const [encrypted] = loadEncryptedFixtures();
    const flow = await loadParseFlow({ allowUnauthenticated: true }, { decryptionKey: 'FF'.repeat(16) });
    flow.parse.receive({ topic: 'meter', payload: encrypted.frame, marker: 1 });
    await waitFor(() => flow.caught.length === 1, 'the decryption error');
    assert.match(flow.caught[0].error.message, /decrypt/i);
    assert.equal(flow.caught[0].marker, 1);
    assert.doesNotMatch(flow.caught[0].error.message, /FFFFFFFF/i, 'the key must not appear in the error');
    assert.deepEqual(await settle(flow), []);
  });

  it('drops a telegram with a wrong CRC and reports it (policy drop)', async function () {
    const flow = await loadParseFlow({ crcPolicy: 'drop' });
    flow.parse.receive({ topic: 'meter', payload: withWrongCrc(numberedTelegram(51)) });
    await waitFor(() => flow.caught.length === 1, 'the CRC error');
    assert.match(flow.caught[0].error.message, /CRC/);
    assert.deepEqual(await settle(flow), []);
    assert.match(statusesOf('parse').at(-1)?.text ?? '', /1 CRC error/);
  });

  it('sends the good telegram of a message that also holds a bad one, and shows Catch the message as it came in', async function () {
    const flow = await loadParseFlow({ crcPolicy: 'drop' });
    const input = withWrongCrc(numberedTelegram(53)) + numberedTelegram(54);
    flow.parse.receive({ topic: 'meter', payload: input });
    await waitFor(() => flow.caught.length === 1, 'the CRC error');
    assert.equal(flow.caught[0].payload, input);
    assert.deepEqual((await settle(flow)).map(telegramNumber), [54]);
  });

  it('passes a telegram with a wrong CRC on, flagged (policy flag)', async function () {
    const flow = await loadParseFlow({ crcPolicy: 'flag' });
    flow.parse.receive({ topic: 'meter', payload: withWrongCrc(numberedTelegram(52)) });
    const out = await settle(flow);
    assert.equal(out.length, 1);
    assert.equal(out[0].payload.crc.valid, false);
    assert.equal(telegramNumber(out[0]), 52);
    assert.equal(flow.caught.length, 0);
  });

  it('reports input that is only garbage, and input that is neither string nor Buffer', async function () {
    const flow = await loadParseFlow();
    flow.parse.receive({ topic: 'noise', payload: new SeededRandom(99).bytes(300).map((b) => (b === 0x2f || b === 0xdb ? 0x20 : b)) });
    flow.parse.receive({ topic: 'object', payload: { not: 'a telegram' } });
    await waitFor(() => flow.caught.length === 2, 'two errors');
    assert.match(flow.caught[0].error.message, /skipped 300 bytes/);
    assert.match(flow.caught[1].error.message, /string or a Buffer/);
    assert.deepEqual(await settle(flow), []);
  });

  it('refuses input with the reason when its settings are invalid (hand-edited flow)', async function () {
    const flow = await loadParseFlow({ timezone: 'Mars/Olympus' });
    flow.parse.receive({ topic: 'meter', payload: numberedTelegram(71) });
    await waitFor(() => flow.caught.length === 1, 'the error');
    assert.match(flow.caught[0].error.message, /time zone "Mars\/Olympus"/);
    assert.equal(statusesOf('parse').at(-1)?.fill, 'red');
  });

  describe('hardening (issue 10)', function () {
    /** A stream with every shape that used to cost a telegram: telnet bytes glued to a header, a telegram cut off mid-line with the next glued to it, junk before a header. */
    function hostileStream(): Buffer {
      const t = (n: number) => numberedTelegram(n);
      return Buffer.concat([
        Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03]),
        Buffer.from(`${t(1)}${t(2).slice(0, 150)}${t(3)}noise${t(4)}${t(5).slice(0, 300)}${t(6)}`, 'latin1'),
      ]);
    }

    it('a telegram cut off mid-line does not cost the good one glued to it; reported as incomplete, not as a CRC error', async function () {
      const flow = await loadParseFlow();
      flow.parse.receive({ topic: 'meter', payload: numberedTelegram(81).slice(0, 200) + numberedTelegram(82) });
      const out = await settle(flow);
      assert.deepEqual(out.map(telegramNumber), [82]);
      await waitFor(() => flow.caught.length === 1, 'the error about the cut-off telegram');
      assert.match(flow.caught[0].error.message, /incomplete telegram/);
      assert.doesNotMatch(flow.caught[0].error.message, /CRC/);
    });

    it('the same bytes give the same telegrams however they are split into messages', async function () {
      const stream = hostileStream();
      const runs: unknown[][] = [];
      for (const chunks of [[stream], chunked(stream, new SeededRandom(10), 1, 40), chunked(stream, new SeededRandom(0), 1, 1)]) {
        const flow = await loadParseFlow();
        for (const chunk of chunks) flow.parse.receive({ topic: 'meter', payload: Buffer.from(chunk) });
        const out = await settle(flow);
        runs.push(out.map((m) => m.payload));
        await helper.unload();
      }
      assert.deepEqual(
        runs[0].map((p: any) => telegramNumber({ payload: p } as Received)),
        [1, 3, 4, 6],
      );
      assert.deepEqual(runs[1], runs[0]);
      assert.deepEqual(runs[2], runs[0]);
    });

    it('1 MB of hostile input in one message: one error of bounded length, with counts per kind', async function () {
      const flow = await loadParseFlow();
      flow.parse.receive({ topic: 'flood', payload: '/A\r\n'.repeat(1 << 18) });
      await waitFor(() => flow.caught.length === 1, 'the error');
      const message: string = flow.caught[0].error.message;
      assert.ok(message.length < 500, `${message.length} characters`);
      assert.match(message, /262143 problems in this message: 262143 × incomplete telegram/);
      assert.deepEqual(await settle(flow), []);
      assert.equal(flow.caught.length, 1);
    });

    it('alternating problems in many messages: at most one short error per message', async function () {
      const flow = await loadParseFlow();
      const flood = '/ISK5\r\n!0000\r\n/A\r\nxx\r\n'.repeat(2000);
      const messages = chunked(Buffer.from(flood), new SeededRandom(5), 500, 2000);
      for (const chunk of messages) flow.parse.receive({ topic: 'flood', payload: Buffer.from(chunk) });
      assert.deepEqual(await settle(flow), []);
      assert.ok(flow.caught.length <= messages.length, `${flow.caught.length} errors for ${messages.length} messages`);
      for (const caught of flow.caught) assert.ok(caught.error.message.length < 500, `${caught.error.message.length} characters`);
    });

    it('with a key set, a plaintext telegram is rejected and counted unless unauthenticated telegrams are allowed', async function () {
      const [encrypted] = loadEncryptedFixtures();
      const strict = await loadParseFlow({}, { decryptionKey: encrypted.key });
      strict.parse.receive({ topic: 'meter', payload: numberedTelegram(91) });
      await waitFor(() => strict.caught.length === 1, 'the rejection');
      assert.match(strict.caught[0].error.message, /plaintext telegram rejected/);
      assert.deepEqual(strict.out, [], 'the error comes after the message was handled');
      assert.match(statusesOf('parse').at(-1)?.text ?? '', /1 rejected/);
      await helper.unload();

      const lenient = await loadParseFlow({ allowUnauthenticated: true }, { decryptionKey: encrypted.key });
      lenient.parse.receive({ topic: 'meter', payload: numberedTelegram(92) });
      assert.deepEqual((await settle(lenient)).map(telegramNumber), [92]);
      assert.equal(lenient.caught.length, 0);
    });

    it('refuses a maximum telegram size above 64 KiB', async function () {
      const flow = await loadParseFlow({ maxTelegramSize: 1_000_000 });
      flow.parse.receive({ topic: 'meter', payload: numberedTelegram(93) });
      await waitFor(() => flow.caught.length === 1, 'the error');
      assert.match(flow.caught[0].error.message, /from 256 to 65536 bytes/);
    });
  });

  it(`forgets the least recently heard source beyond ${MAX_SOURCES} sources`, async function () {
    const flow = await loadParseFlow();
    const telegram = numberedTelegram(61);
    const head = telegram.slice(0, 200);
    const tail = telegram.slice(200);
    // `kept` is heard from just before the limit is reached, `evicted` just before it is passed.
    flow.parse.receive({ topic: 'evicted', payload: head });
    flow.parse.receive({ topic: 'kept', payload: head });
    for (let i = 0; i < MAX_SOURCES - 1; i++) flow.parse.receive({ topic: `other-${i}`, payload: head });
    flow.parse.receive({ topic: 'kept', payload: tail });
    flow.parse.receive({ topic: 'evicted', payload: tail });
    const out = await settle(flow);
    assert.deepEqual(
      out.map((m) => m.topic),
      ['kept'],
    );
    // The evicted source's tail arrived without its start: reported, not emitted.
    await waitFor(() => flow.caught.length === 1, 'the error about the orphaned tail');
  });
});

function firstLine(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return text.slice(0, text.search(/\r?\n/));
}

/** The same telegram with its CRC changed (still four hex digits). */
function withWrongCrc(telegram: string): string {
  return telegram.replace(/!([0-9A-F]{4})\r\n$/, (_m, crc: string) => `!${((parseInt(crc, 16) + 1) & 0xffff).toString(16).toUpperCase().padStart(4, '0')}\r\n`);
}
