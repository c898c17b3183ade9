/**
 * Debian's Chromium for the browser tests, driven by playwright-core, started the one way that
 * works on a machine with no network beyond its package mirrors: headless, no sandbox (root),
 * and none of Chromium's own background connections.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { LaunchOptions } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Launch options for `chromium.launch` and `chromium.launchPersistentContext`; fails clearly when Chromium is missing. */
export function chromiumLaunchOptions(): LaunchOptions {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  return {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  };
}
