/**
 * The pure parts behind p1-connection and p1-in: the state machine, the status it maps to (with
 * the real English catalog), the emit gate, configuration validation and the problem log.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MIN_STALL_MS,
  isSignificantChange,
  nextConnectionState,
  stallDelayMs,
  type ConnectionEvent,
  type ConnectionState,
} from '../../src/connection/connection-state';
import { readConnectionSettings, readReaderSettings } from '../../src/connection/connection-config';
import { EventEmitter } from 'node:events';
import { EmitGate } from '../../src/nodes/p1-in/emit-gate';
import { FlowsStartedQueue } from '../../src/nodes/p1-in/flows-started';
import { HealthPacer } from '../../src/nodes/p1-in/health-pacer';
import { describeState, formatSummary, statusFor } from '../../src/nodes/common/node-status';
import { ProblemLog } from '../../src/connection/problem-log';
import { REPO_ROOT } from '../support/paths';

const summary = { delivered: 1.234, returned: 0.4, unit: 'kW', time: '12:03:04' };

function run(events: ConnectionEvent[], from: ConnectionState = { phase: 'idle' }): ConnectionState[] {
  const states: ConnectionState[] = [];
  let state = from;
  for (const event of events) states.push((state = nextConnectionState(state, event)));
  return states;
}

describe('connection state machine', () => {
  it('follows a link through connect, data, stall, loss and recovery', () => {
    const phases = run([
      { type: 'transport', state: { state: 'connecting', detail: 'tcp 10.0.0.2:8088' } },
      { type: 'transport', state: { state: 'connected', detail: '10.0.0.2:8088' } },
      { type: 'telegram', summary },
      { type: 'stall-check', silentForMs: 3100 },
      { type: 'telegram', summary },
      { type: 'transport', state: { state: 'reconnecting', inMs: 2000, reason: 'connection reset' } },
      { type: 'transport', state: { state: 'connecting' } },
      { type: 'transport', state: { state: 'connected' } },
      { type: 'telegram', summary },
      { type: 'transport', state: { state: 'closed' } },
    ]).map((s) => s.phase);
    assert.deepEqual(phases, ['connecting', 'waiting', 'receiving', 'stalled', 'receiving', 'reconnecting', 'connecting', 'waiting', 'receiving', 'closed']);
  });

  it('a reader problem shows while waiting, and is ignored while telegrams flow', () => {
    const waiting: ConnectionState = { phase: 'waiting', detail: 'x' };
    assert.deepEqual(nextConnectionState(waiting, { type: 'problem', message: 'wrong key' }), { phase: 'waiting', detail: 'x', problem: 'wrong key' });
    const receiving: ConnectionState = { phase: 'receiving', summary };
    assert.equal(nextConnectionState(receiving, { type: 'problem', message: 'CRC mismatch' }), receiving);
  });

  it('a stall check only matters while receiving; telegrams after close or failure change nothing', () => {
    const waiting: ConnectionState = { phase: 'waiting' };
    assert.equal(nextConnectionState(waiting, { type: 'stall-check', silentForMs: 5000 }), waiting);
    const failed: ConnectionState = { phase: 'failed', reason: 'no serial port given' };
    assert.equal(nextConnectionState(failed, { type: 'telegram', summary }), failed);
  });

  it('stalled after about three telegram intervals, never sooner than the minimum', () => {
    assert.equal(stallDelayMs(1000), 3000);
    assert.equal(stallDelayMs(10_000), 30_000);
    assert.equal(stallDelayMs(50), MIN_STALL_MS);
    assert.equal(stallDelayMs(null), 30_000);
  });

  it('only a new phase is a significant change, and a retry (reconnecting, then connecting) is one', () => {
    const a: ConnectionState = { phase: 'receiving', summary };
    const b: ConnectionState = { phase: 'receiving', summary: { ...summary, delivered: 2 } };
    assert.equal(isSignificantChange(a, b), false);
    assert.equal(isSignificantChange(a, { phase: 'stalled', silentForMs: 3000 }), true);
    const r1: ConnectionState = { phase: 'reconnecting', inMs: 1000, reason: 'refused' };
    assert.equal(isSignificantChange(r1, { ...r1, inMs: 2000 }), false);
    assert.equal(isSignificantChange(r1, { ...r1, reason: 'timed out' }), false);
    assert.equal(isSignificantChange(r1, { phase: 'connecting' }), false);
    assert.equal(isSignificantChange({ phase: 'connecting' }, { phase: 'waiting' }), true);
    const waiting: ConnectionState = { phase: 'waiting', problem: 'CRC mismatch' };
    assert.equal(isSignificantChange(waiting, { ...waiting, problem: '12 bytes skipped' }), false);
  });
});

describe('node status for a connection state', () => {
  const catalog = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'en-US', 'p1-connection.json'), 'utf8'));
  const translate = (key: string, subs: Record<string, unknown> = {}) => {
    const text = key.split('.').reduce((node: any, part) => node?.[part], catalog);
    assert.equal(typeof text, 'string', `catalog has ${key}`);
    return (text as string).replace(/__(\w+)__/g, (_m, name: string) => String(subs[name]));
  };

  // The status is a few words (it is drawn under the node); the health message's detail has them all.
  it('every phase has a fill, a shape, a short status text and a full description from the catalog', () => {
    const missingPort = 'cannot open /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KDAX3-if00-port0: No such file or directory';
    const cases: Array<[ConnectionState, string, string, RegExp, RegExp]> = [
      [{ phase: 'idle' }, 'grey', 'ring', /^not in use$/, /^not in use$/],
      [{ phase: 'connecting', detail: '/dev/ttyUSB0 115200 8N1' }, 'yellow', 'ring', /^connecting$/, /^connecting \/dev\/ttyUSB0 115200 8N1$/],
      [{ phase: 'waiting' }, 'green', 'ring', /^waiting for data$/, /^connected, waiting for data$/],
      [{ phase: 'waiting', detail: '/dev/ttyUSB0 115200 8N1 — receiving garbage' }, 'green', 'ring', /^waiting for data$/, /^waiting for data: .*garbage$/],
      [{ phase: 'waiting', problem: 'wrong key' }, 'yellow', 'ring', /^no valid telegram$/, /^connected, no telegram: wrong key$/],
      [{ phase: 'receiving', summary }, 'green', 'dot', /^1\.23 kW ↓ 0\.40 kW ↑ · 12:03:04$/, /^1\.23 kW ↓ 0\.40 kW ↑ · 12:03:04$/],
      [{ phase: 'stalled', silentForMs: 31_400 }, 'yellow', 'dot', /^no telegram for 31 s$/, /^no telegram for 31 s$/],
      [
        { phase: 'reconnecting', inMs: 4500, reason: missingPort },
        'yellow',
        'ring',
        /^retry in 5 s$/,
        /^retry in 5 s: cannot open .*-port0: No such file or directory$/,
      ],
      [{ phase: 'closed' }, 'grey', 'ring', /^closed$/, /^closed$/],
      [{ phase: 'closed', detail: 'replay finished' }, 'grey', 'ring', /^closed: replay finished$/, /^closed: replay finished$/],
      [{ phase: 'failed', reason: 'no serial port given' }, 'red', 'dot', /^failed: no serial port given$/, /^failed: no serial port given$/],
      [
        { phase: 'failed', reason: 'host "http://127.0.0.1/" is not a host name or IP address' },
        'red',
        'dot',
        /^failed: host "http:\/\/127\.0\.0\.1\/"…$/,
        /IP address$/,
      ],
    ];
    for (const [state, fill, shape, text, description] of cases) {
      const status = statusFor(state, translate);
      assert.equal(status.fill, fill, state.phase);
      assert.equal(status.shape, shape, state.phase);
      assert.match(status.text!, text);
      assert.match(describeState(state, translate), description);
    }
  });

  it('the Dutch catalog has every status key the English one has', () => {
    const dutch = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'nl', 'p1-connection.json'), 'utf8'));
    assert.deepEqual(Object.keys(dutch['p1-connection'].status).sort(), Object.keys(catalog['p1-connection'].status).sort());
  });

  it('the summary shows W for meters that send W, and only the time when no power is sent', () => {
    assert.equal(formatSummary({ delivered: 1234, returned: null, unit: 'W', time: '08:00:00' }), '1234 W ↓ · 08:00:00');
    assert.equal(formatSummary({ delivered: null, returned: null, unit: 'kW', time: '08:00:00' }), '08:00:00');
  });
});

describe('emit gate', () => {
  it('rate limit: at most one telegram per period', () => {
    const gate = new EmitGate({ rateLimitMs: 1000, changeField: '' });
    const admitted = [0, 300, 999, 1000, 1500, 2100].filter((t) => gate.admit({}, t));
    assert.deepEqual(admitted, [0, 1000, 2100]);
  });

  it('change field: only when the value changed, objects compared by content', () => {
    const gate = new EmitGate({ rateLimitMs: 0, changeField: 'tariff' });
    const values = [1, 1, 2, 2, 1, undefined, undefined, { a: 1 }, { a: 1 }];
    const admitted = values.map((tariff, t) => gate.admit({ tariff }, t));
    assert.deepEqual(admitted, [true, false, true, false, true, true, false, true, false]);
  });

  it('a change held back by the rate limit is passed with the next telegram', () => {
    const gate = new EmitGate({ rateLimitMs: 1000, changeField: 'tariff' });
    assert.equal(gate.admit({ tariff: 1 }, 0), true);
    assert.equal(gate.admit({ tariff: 2 }, 500), false);
    assert.equal(gate.admit({ tariff: 2 }, 1200), true);
  });
});

describe('connection configuration', () => {
  it('turns editor values (strings) into a transport configuration', () => {
    for (const host of ['p1-bridge.local', 'fe80::1', 'esp_p1']) {
      const named = readConnectionSettings({ source: 'tcp-client', host, port: 23 });
      assert.equal(named.ok && named.transport.kind === 'tcp-client' && named.transport.host, host);
    }
    const settings = readConnectionSettings({
      source: 'tcp-client',
      host: ' 192.168.1.50 ',
      port: '8088',
      connectTimeout: '5',
      idleTimeout: '0',
      maxBackoff: '',
    });
    assert.deepEqual(settings.ok && settings.transport, {
      kind: 'tcp-client',
      host: '192.168.1.50',
      port: 8088,
      connectTimeoutMs: 5000,
      idleTimeoutMs: 0,
      maxBackoffMs: 60_000,
    });
    const serial = readConnectionSettings({
      source: 'serial',
      serialPort: '/dev/ttyUSB0',
      serialFraming: 'custom',
      baudRate: '9600',
      dataBits: '7',
      parity: 'even',
      stopBits: '1',
    });
    assert.deepEqual(serial.ok && serial.transport, {
      kind: 'serial',
      path: '/dev/ttyUSB0',
      framing: 'custom',
      baudRate: 9600,
      dataBits: 7,
      parity: 'even',
      stopBits: 1,
    });
  });

  it('defaults: serial DSMR 4/5, CRC drop, Europe/Amsterdam, 8192 bytes', () => {
    const settings = readConnectionSettings({ serialPort: '/dev/ttyUSB0' });
    assert.ok(settings.ok);
    assert.deepEqual(settings.transport, { kind: 'serial', path: '/dev/ttyUSB0', framing: 'dsmr45' });
    assert.deepEqual(settings.reader, { crcPolicy: 'drop', timezone: 'Europe/Amsterdam', maxTelegramSize: 8192 });
  });

  it('rejects what cannot work, with a reason that names the field', () => {
    const reasons = [
      readConnectionSettings({ source: 'tcp-client', host: 'http://192.168.1.50/', port: 8088 }),
      readConnectionSettings({ source: 'tcp-client', host: 'meter', port: 0 }),
      readConnectionSettings({ source: 'tcp-client', host: 'meter', port: 8088.5 }),
      readConnectionSettings({ source: 'tcp-client', host: 'meter', port: 8088, idleTimeout: -1 }),
      readConnectionSettings({ source: 'tcp-client', host: 'meter', port: 8088, maxBackoff: 0 }),
      readConnectionSettings({ source: 'simulator', simulatorInterval: 0 }),
      readConnectionSettings({ source: 'serial', serialPort: 'x', serialFraming: 'custom', dataBits: 6 }),
      readConnectionSettings({ source: 'modem' }),
      readConnectionSettings({ source: 'replay' }),
    ].map((s) => (s.ok ? 'accepted' : s.reason));
    assert.deepEqual(reasons, [
      'host "http://192.168.1.50/" is not a host name or IP address',
      'port "0" is not a number from 1 to 65535',
      'port "8088.5" is not a number from 1 to 65535',
      'idle timeout "-1" must be 0 or more seconds',
      'maximum backoff must be at least 1 s',
      'simulator interval must be more than 0 s',
      'data bits must be 7 or 8',
      'unknown source "modem"',
      'no replay file given',
    ]);
  });

  it('keys: 32 hex digits (spaces allowed), never echoed in the reason', () => {
    const good = readReaderSettings({}, { decryptionKey: '01234567 89ABCDEF 01234567 89abcdef' });
    assert.ok(good.ok);
    assert.equal(good.reader.decryptionKey, '0123456789ABCDEF0123456789abcdef');
    const bad = readReaderSettings({}, { authenticationKey: 'SECRET-0123' });
    assert.ok(!bad.ok);
    assert.match(bad.reason, /authentication key must be 32 hexadecimal digits/);
    assert.ok(!bad.reason.includes('SECRET'));
  });
});

describe('problem log', () => {
  it('writes each kind at most 3 times per window, then one line with how many were held back', () => {
    const written: string[] = [];
    const log = new ProblemLog((m) => written.push(m));
    // Alternating problems defeated the old "repeat of the previous only" filter: every line was written.
    for (let i = 0; i < 1000; i++) log.report(i % 2 ? `CRC mismatch ${i}` : `${i} bytes skipped`, i % 2 ? 'crc' : 'skipped');
    assert.deepEqual(written, ['0 bytes skipped', 'CRC mismatch 1', '2 bytes skipped', 'CRC mismatch 3', '4 bytes skipped', 'CRC mismatch 5']);
    log.report('CRC mismatch 1001', 'crc');
    log.close();
    const held = (n: number, kind: string) => `${n} more "${kind}" problems in the last 60 s (not logged one by one; see the health counters)`;
    assert.deepEqual(written.slice(6), [held(497, 'skipped'), held(498, 'crc')]);
  });

  it('swallows a line identical to the last of its kind (a retry failing the same way), again after clear()', () => {
    const written: string[] = [];
    const log = new ProblemLog((m) => written.push(m));
    for (const m of ['refused', 'refused', 'timed out', 'timed out', 'refused']) log.report(m, 'link');
    log.clear();
    log.report('refused', 'link');
    log.close();
    assert.deepEqual(written, ['refused', 'timed out', 'refused', '1 more "link" problem in the last 60 s (not logged one by one; see the health counters)']);
  });

  it('starts a new window when the old one ends', async () => {
    const written: string[] = [];
    const log = new ProblemLog((m) => written.push(m), { perWindow: 1, windowMs: 20 });
    log.report('a', 'crc');
    log.report('b', 'crc');
    const deadline = Date.now() + 5000;
    while (written.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    log.report('c', 'crc');
    log.close();
    assert.deepEqual(written, ['a', '1 more "crc" problem in the last 0 s (not logged one by one; see the health counters)', 'c']);
  });
});

describe('health pacer', () => {
  it('sends the first at once, then at most one per interval: the latest of a burst, never the ones it replaced', async () => {
    const sent: string[] = [];
    const pacer = new HealthPacer<string>((state) => sent.push(state), 200);
    pacer.offer('connecting');
    for (const state of ['waiting', 'receiving', 'stalled', 'receiving']) pacer.offer(state);
    assert.deepEqual(sent, ['connecting']);
    const deadline = Date.now() + 5000;
    while (sent.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(sent, ['connecting', 'receiving']);
    pacer.offer('reconnecting');
    pacer.cancel();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(sent, ['connecting', 'receiving'], 'cancel() drops what waits');
  });
});

describe('flows-started queue', () => {
  it('runs every waiting callback once on flows:started with a single listener, then removes it', () => {
    const events = new EventEmitter();
    const queue = new FlowsStartedQueue(events);
    const ran: string[] = [];
    const cancelled = () => ran.push('cancelled');
    for (const name of ['a', 'b', 'c']) queue.add(() => ran.push(name));
    queue.add(cancelled);
    assert.equal(events.listenerCount('flows:started'), 1);
    queue.cancel(cancelled);
    events.emit('flows:started');
    events.emit('flows:started');
    assert.deepEqual(ran, ['a', 'b', 'c']);
    assert.equal(events.listenerCount('flows:started'), 0);
  });

  it('cancelling the last waiting callback removes the listener', () => {
    const events = new EventEmitter();
    const queue = new FlowsStartedQueue(events);
    const callback = () => assert.fail('must not run');
    queue.add(callback);
    queue.cancel(callback);
    assert.equal(events.listenerCount('flows:started'), 0);
    events.emit('flows:started');
  });
});
