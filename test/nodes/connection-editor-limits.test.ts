/**
 * One home for each fact: the runtime's option defaults and bounds (connection-config.ts) and the
 * editors' copies used for validation (nodes/p1-connection.html, nodes/p1-parse.html) must agree.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_TIME_ZONE, OPTION_LIMITS, readConnectionSettings, readReaderSettings } from '../../src/connection/connection-config';
import { REPO_ROOT } from '../support/paths';

const editor = (file: string) => fs.readFileSync(path.join(REPO_ROOT, 'nodes', file), 'utf8');

/** The object literal assigned to `var <name> = {...};` in an editor file, read as JSON. */
function editorObject(html: string, name: string): unknown {
  const match = new RegExp(`var ${name} = (\\{[\\s\\S]*?\\});\\n`).exec(html);
  assert.ok(match, `var ${name} not found`);
  return JSON.parse(match[1]);
}

function editorString(html: string, name: string): string {
  const match = new RegExp(`var ${name} = ["']([^"']*)["'];`).exec(html);
  assert.ok(match, `var ${name} not found`);
  return match[1];
}

describe('option limits: runtime and editor agree', () => {
  it("p1-connection's editor has the runtime's defaults and bounds", () => {
    const html = editor('p1-connection.html');
    assert.deepEqual(editorObject(html, 'LIMITS'), OPTION_LIMITS);
    assert.equal(editorString(html, 'DEFAULT_TIME_ZONE'), DEFAULT_TIME_ZONE);
  });

  it("p1-parse's editor has the runtime's telegram size bounds and default time zone", () => {
    const html = editor('p1-parse.html');
    assert.deepEqual(editorObject(html, 'TELEGRAM_SIZE'), OPTION_LIMITS.maxTelegramSize);
    assert.equal(editorString(html, 'DEFAULT_TIME_ZONE'), DEFAULT_TIME_ZONE);
  });

  it('the runtime enforces the bounds it states: max telegram size up to 64 KiB, client limit up to 64', () => {
    const size = OPTION_LIMITS.maxTelegramSize;
    assert.equal(size.max, 65_536);
    assert.equal(readReaderSettings({ maxTelegramSize: size.max }).ok, true);
    assert.deepEqual(readReaderSettings({ maxTelegramSize: size.max + 1 }), { ok: false, reason: 'maximum telegram size must be from 256 to 65536 bytes' });
    assert.deepEqual(readReaderSettings({ maxTelegramSize: 10_000_000 }), { ok: false, reason: 'maximum telegram size must be from 256 to 65536 bytes' });
    const server = (extra: Record<string, unknown>) => readConnectionSettings({ source: 'tcp-server', listenPort: 8088, ...extra });
    assert.deepEqual(server({ maxClients: 65 }), { ok: false, source: 'tcp-server', reason: 'client limit must be from 1 to 64' });
    assert.deepEqual(server({ maxClients: 0 }), { ok: false, source: 'tcp-server', reason: 'client limit must be from 1 to 64' });
  });

  it('the splitter is off unless ticked; then it listens on 127.0.0.1 for up to 8 readers by default, its port and limit checked', () => {
    const splitterOf = (extra: Record<string, unknown>) => readConnectionSettings({ source: 'simulator', ...extra });
    const off = splitterOf({ splitterPort: 8089 });
    assert.equal(off.ok && off.splitter, undefined);
    const on = splitterOf({ splitter: true, splitterPort: '8089' });
    assert.deepEqual(on.ok && on.splitter, { bindAddress: '127.0.0.1', port: 8089, maxReaders: 8, allowedClients: [] });
    const listed = splitterOf({
      splitter: 'true',
      splitterPort: 8089,
      splitterBindAddress: '::',
      splitterAllowedClients: '192.168.1.0/24 ::1',
      splitterMaxReaders: '64',
    });
    assert.deepEqual(listed.ok && listed.splitter, { bindAddress: '::', port: 8089, maxReaders: 64, allowedClients: ['192.168.1.0/24', '::1'] });
    assert.deepEqual(splitterOf({ splitter: true }), { ok: false, source: 'simulator', reason: 'splitter port "" is not a number from 1 to 65535' });
    assert.deepEqual(splitterOf({ splitter: true, splitterPort: 8089, splitterMaxReaders: 65 }), {
      ok: false,
      source: 'simulator',
      reason: 'splitter reader limit must be from 1 to 64',
    });
  });

  it('a TCP server gets a small client limit, an idle timeout and no allow list by default', () => {
    const settings = readConnectionSettings({ source: 'tcp-server', listenPort: '8088' });
    assert.deepEqual(settings.ok && settings.transport, {
      kind: 'tcp-server',
      bindAddress: '0.0.0.0',
      port: 8088,
      maxClients: 8,
      clientIdleTimeoutMs: 60_000,
      allowedClients: [],
    });
    const listed = readConnectionSettings({
      source: 'tcp-server',
      listenPort: 8088,
      allowedClients: '192.168.1.0/24, ::1',
      maxClients: '2',
      clientIdleTimeout: '0',
    });
    assert.deepEqual(listed.ok && listed.transport, {
      kind: 'tcp-server',
      bindAddress: '0.0.0.0',
      port: 8088,
      maxClients: 2,
      clientIdleTimeoutMs: 0,
      allowedClients: ['192.168.1.0/24', '::1'],
    });
    const bad = readConnectionSettings({ source: 'tcp-server', listenPort: 8088, allowedClients: '192.168.1.300' });
    assert.deepEqual(bad, {
      ok: false,
      source: 'tcp-server',
      reason: 'allowed clients: "192.168.1.300" is not an IP address or CIDR range (e.g. 192.168.1.0/24)',
    });
  });
});
