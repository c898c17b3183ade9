/**
 * The pieces behind p1-parse without Node-RED: per-source reassembly with a bounded number of
 * sources, the LRU map under it, and the counters and error decision behind its status.
 */
import { strict as assert } from 'node:assert';
import { LruMap } from '../../src/connection/lru-map';
import { ParseCounters, seriousProblems } from '../../src/nodes/p1-parse/parse-counters';
import { MAX_SOURCES, SourceReaders } from '../../src/connection/source-readers';
import { numberedTelegram } from '../nodes/connection-harness';

describe('SourceReaders (p1-parse reassembly)', function () {
  it('keeps at most MAX_SOURCES sources however many topics arrive', function () {
    const readers = new SourceReaders({});
    const head = numberedTelegram(1).slice(0, 50);
    for (let i = 0; i < 1000; i++) readers.push(`random/${i}`, head);
    assert.equal(readers.size, MAX_SOURCES);
  });

  it('returns what each push produced, per source', function () {
    const readers = new SourceReaders({});
    const a = numberedTelegram(1);
    const b = numberedTelegram(2);
    assert.deepEqual(readers.push('a', a.slice(0, 300)).telegrams, []);
    assert.deepEqual(readers.push('b', b.slice(0, 10)).telegrams, []);
    const done = readers.push('a', a.slice(300));
    assert.equal(done.telegrams.length, 1);
    assert.equal(done.telegrams[0].raw, a);
    assert.deepEqual(done.problems, []);
    assert.equal(readers.push('b', b.slice(10)).telegrams[0].raw, b);
  });

  it('reports bytes outside a telegram with the message that brought them', function () {
    const readers = new SourceReaders({});
    const garbage = readers.push('x', 'hello, not a meter');
    assert.deepEqual(garbage.telegrams, []);
    assert.deepEqual(garbage.problems.map((p) => p.kind), ['skipped']);
    // An unfinished telegram is kept, not reported, and completes with the next message.
    const telegram = numberedTelegram(3);
    assert.deepEqual(readers.push('x', telegram.slice(0, 100)).problems, []);
    assert.equal(readers.push('x', telegram.slice(100)).telegrams.length, 1);
  });
});

describe('SourceReaders: telegrams without their final line end', function () {
  it('sends a message that ends right after the CRC at once, and the next one too', function () {
    const readers = new SourceReaders({});
    for (const n of [1, 2]) {
      const result = readers.push('template', numberedTelegram(n).trimEnd());
      assert.equal(result.telegrams.length, 1, `telegram ${n}`);
      assert.equal(result.telegrams[0].telegram.crc.valid, true);
      assert.deepEqual(result.problems, []);
    }
    // The line end arriving late is not garbage.
    assert.deepEqual(readers.push('template', '\r\n'), { telegrams: [], problems: [] });
  });

  it('still waits when the CRC may be cut (fewer than four digits in this message)', function () {
    const readers = new SourceReaders({});
    const telegram = numberedTelegram(3);
    assert.deepEqual(readers.push('x', telegram.slice(0, -4)).telegrams, [], 'ends in "!XX"');
    assert.equal(readers.push('x', telegram.slice(-4)).telegrams[0].raw, telegram);
  });
});

describe('LruMap', function () {
  it('keeps at most its capacity, forgetting the least recently used', function () {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    assert.equal(map.get('a'), 1); // a is now the most recent
    map.set('c', 3);
    assert.equal(map.size, 2);
    assert.equal(map.get('b'), undefined);
    assert.equal(map.get('a'), 1);
    assert.equal(map.get('c'), 3);
    assert.throws(() => new LruMap(0), RangeError);
  });

  it('tells who was forgotten for lack of room, not who was replaced', function () {
    const evicted: Array<[string, number]> = [];
    const map = new LruMap<string, number>(2, (key, value) => evicted.push([key, value]));
    map.set('a', 1);
    map.set('a', 10);
    map.set('b', 2);
    map.set('c', 3);
    assert.deepEqual(evicted, [['a', 10]]);
    assert.deepEqual([...map.values()], [2, 3]);
  });
});

describe('p1-parse counters and errors', function () {
  const crc = { kind: 'crc' as const, message: 'CRC mismatch' };
  const skipped = { kind: 'skipped' as const, message: 'skipped 4 bytes' };
  const decrypt = { kind: 'decrypt' as const, message: 'no key' };

  it('makes errors of dropped telegrams and of input that held only garbage', function () {
    assert.deepEqual(seriousProblems([crc, decrypt], 0, 'drop'), [crc, decrypt]);
    assert.deepEqual(seriousProblems([crc], 1, 'flag'), [], 'a flagged telegram was passed on');
    assert.deepEqual(seriousProblems([skipped], 0, 'drop'), [skipped]);
    assert.deepEqual(seriousProblems([skipped], 1, 'drop'), [], 'bytes around a telegram are routine');
  });

  it('shows the totals, yellow once something went wrong', function () {
    const english = (key: string, subs?: Record<string, unknown>) => `${subs?.count} ${key.split('.').pop()}`;
    const counters = new ParseCounters();
    counters.add(12, []);
    assert.deepEqual(counters.status(english), { fill: 'green', shape: 'dot', text: '12 telegrams' });
    counters.add(0, [crc, skipped]);
    assert.deepEqual(counters.status(english), { fill: 'yellow', shape: 'dot', text: '12 telegrams, 1 crcErrors, 1 discarded' });
  });
});
