/**
 * The default msg.topic: the equipment id comes off the wire, so it is escaped into one MQTT
 * topic level that can never be a wildcard or split into several levels.
 */
import { strict as assert } from 'node:assert';
import { defaultTopic, topicLevel } from '../../src/nodes/common/telegram-message';
import type { P1Telegram } from '../../src/protocol/types';

const withId = (equipmentId: string | null) => ({ equipmentId }) as P1Telegram;

describe('default topic', function () {
  it('is p1/<equipment id>, or p1/<source>[/<client>] without one', function () {
    assert.equal(defaultTopic(withId('E0043007052870318'), 'serial', ''), 'p1/E0043007052870318');
    assert.equal(defaultTopic(withId(null), 'simulator', ''), 'p1/simulator');
    assert.equal(defaultTopic(withId(null), 'tcp-server', '192.168.1.20:50312'), 'p1/tcp-server/192.168.1.20:50312');
  });

  it('escapes "/", "#", "+", NUL and "%" in the equipment id', function () {
    assert.equal(defaultTopic(withId('x/#/+'), 'serial', ''), 'p1/x%2F%23%2F%2B');
    assert.equal(topicLevel('a\u0000b%2F'), 'a%00b%252F');
    for (const id of ['#', '+', 'a/b', '/', '\u0000', '%23']) {
      const level = defaultTopic(withId(id), 'serial', '').slice('p1/'.length);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters a topic level must not hold.
      assert.doesNotMatch(level, /[/#+\u0000]/, id);
      assert.equal(decodeURIComponent(level), id, 'reversible');
    }
  });
});
