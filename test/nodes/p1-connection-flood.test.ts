/**
 * One bad input must not become a flood: hostile bytes from a bridge, in a real Node-RED over
 * real TCP, give a few log lines per kind of problem and a few health messages, however many
 * problems they hold; the telegram after them still arrives.
 */
import assert from 'node:assert/strict';
import { FakeBridge } from './fake-bridge';
import { helper, logLines, NODES, numberedTelegram, p1InWithOutputs, recorder, telegramNumber, waitFor } from './connection-harness';
import type { ConnectionHandle } from '../../src/connection/meter-connection';

/** 17 bytes that hold two problems of different kinds: a telegram with a wrong CRC, then junk. */
export const ALTERNATING_PROBLEMS = '/X5\r\n\r\n!0000\r\nzz\n';

describe('p1-connection under a flood of hostile input', function () {
  this.timeout(60_000);
  let bridge: FakeBridge;

  beforeEach(async () => {
    bridge = await new FakeBridge().listen(0);
  });

  afterEach(async () => {
    await helper.unload();
    await bridge.stop();
  });

  it('256 KB of alternating problems: at most 3 warnings per kind, a few health messages, and the next good telegram', async () => {
    await helper.load(NODES, [
      { id: 'link', type: 'p1-connection', source: 'tcp-client', host: '127.0.0.1', port: bridge.port, maxBackoff: 1 },
      ...p1InWithOutputs('in', 'link'),
    ]);
    const received = recorder('in-out');
    const health = recorder('in-health');
    await waitFor(() => bridge.clients === 1, 'the node to connect');
    const flood = Buffer.from(ALTERNATING_PROBLEMS.repeat(Math.ceil(262_144 / ALTERNATING_PROBLEMS.length)), 'latin1');
    await bridge.send(flood, 4096);
    await bridge.send(numberedTelegram(1));
    await waitFor(() => received.length === 1, 'the good telegram after the flood', 20_000);
    assert.equal(telegramNumber(received[0]), 1);

    const counters = (helper.getNode('link') as unknown as { connection: ConnectionHandle }).connection.health();
    assert.ok(counters.crcFailures > 10_000, `crcFailures ${counters.crcFailures}`);
    // Before: every problem was logged (the kinds alternate), and each changed the waiting state's health message.
    const warnings = logLines().filter((l) => l.level === 30 && l.id === 'link');
    assert.ok(
      warnings.length <= 6,
      `${warnings.length} warnings: ${warnings
        .slice(0, 10)
        .map((w) => w.msg)
        .join(' | ')}`,
    );
    assert.ok(health.length <= 3, `${health.length} health messages: ${health.map((m) => m.payload.state).join(' ')}`);
  });
});
