/**
 * The HTTP dongle source's settings: what the editor's strings become, the one home of its
 * defaults and bounds (HTTP_SOURCE) and the editor's copy of them, and its texts in both languages.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HTTP_SOURCE, readConnectionSettings } from '../../src/connection/connection-config';
import { REPO_ROOT } from '../support/paths';

const http = (extra: Record<string, unknown>) => readConnectionSettings({ source: 'http', httpHost: '192.168.1.60', ...extra });
const reason = (extra: Record<string, unknown>) => {
  const settings = http(extra);
  return settings.ok ? 'ok' : settings.reason;
};

describe('HTTP dongle source configuration', () => {
  it('defaults to the HomeWizard P1 meter: port 80, /api/v1/telegram, every second', () => {
    const settings = http({ httpPort: '', httpPath: '', httpInterval: '' });
    assert.deepEqual(settings.ok && settings.transport, { kind: 'http', host: '192.168.1.60', port: 80, path: '/api/v1/telegram', intervalMs: 1000 });
    const custom = http({ httpHost: ' p1meter.local ', httpPort: '8080', httpPath: '/telegram?raw=1', httpInterval: '0.5' });
    assert.deepEqual(custom.ok && custom.transport, { kind: 'http', host: 'p1meter.local', port: 8080, path: '/telegram?raw=1', intervalMs: 500 });
  });

  it('rejects a URL for a host, a path without its leading slash, and a poll interval out of bounds', () => {
    assert.equal(reason({ httpHost: 'http://192.168.1.60/api/v1/telegram' }), 'host "http://192.168.1.60/api/v1/telegram" is not a host name or IP address');
    assert.equal(reason({ httpHost: '' }), 'no host given');
    assert.equal(reason({ httpPath: 'api/v1/telegram' }), 'path "api/v1/telegram" must start with / and contain no spaces');
    assert.equal(reason({ httpPath: '/api/v1/tele gram' }), 'path "/api/v1/tele gram" must start with / and contain no spaces');
    assert.equal(reason({ httpPort: '99999' }), 'port "99999" is not a number from 1 to 65535');
    assert.equal(reason({ httpInterval: '0.4' }), 'poll interval "0.4" must be from 0.5 to 60 seconds');
    assert.equal(reason({ httpInterval: '61' }), 'poll interval "61" must be from 0.5 to 60 seconds');
    assert.equal(reason({ httpInterval: 'often' }), 'poll interval "often" must be from 0.5 to 60 seconds');
    assert.equal(reason({ httpInterval: '60' }), 'ok');
  });

  it("the editor's copy of HTTP_SOURCE equals the runtime's", () => {
    const html = fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'p1-connection.html'), 'utf8');
    const match = /var HTTP_SOURCE = (\{.*\});\n/.exec(html);
    assert.ok(match, 'var HTTP_SOURCE in nodes/p1-connection.html');
    assert.deepEqual(JSON.parse(match[1]), HTTP_SOURCE);
  });

  it('has its dialog texts and help in English and Dutch', () => {
    for (const lang of ['en-US', 'nl']) {
      const dir = path.join(REPO_ROOT, 'nodes', 'locales', lang);
      const catalog = JSON.parse(fs.readFileSync(path.join(dir, 'p1-connection.json'), 'utf8'))['p1-connection'];
      assert.ok(catalog.source.http, `${lang}: source.http`);
      for (const key of ['path', 'interval', 'intervalHint', 'tip']) assert.ok(catalog.http[key], `${lang}: http.${key}`);
      assert.match(catalog.http.intervalHint, /__min__.*__max__/);
      assert.match(fs.readFileSync(path.join(dir, 'p1-connection.html'), 'utf8'), /HomeWizard.*\n?.*\/api\/v1\/telegram/);
    }
  });
});
