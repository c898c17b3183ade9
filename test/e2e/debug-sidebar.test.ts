/// <reference lib="dom" />
/**
 * The parsed telegram as a user meets it first: in the debug sidebar of a real editor (Debian's
 * Chromium driven by playwright-core, against a real Node-RED with the packed package). A simulated
 * Dutch and a simulated Belgian meter feed p1-in → debug; the test expands the newest message as a
 * user clicks it and reads the keys in the order the sidebar renders them: time and power first,
 * then energy, phases, M-Bus, identification, and `units`, `obis`, `crc`, `warnings` last.
 * With UPDATE_SCREENSHOTS=1 it refreshes docs/images/debug-sidebar.png.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { chromium, type Browser, type ElementHandle, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/paths';
import { NODE_RED_VERSION } from '../support/node-red';
import { startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { chromiumLaunchOptions } from '../support/chromium';
import { LAST, orderProblems, Section, sectionOf } from '../support/payload-order';

const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1' && !process.env.NODE_RED_PATH ? path.join(REPO_ROOT, 'docs', 'images', 'debug-sidebar.png') : undefined;

const TAB = 'ds-tab';
const PROFILES = ['nl-dsmr5', 'be-fluvius'] as const;
type Profile = (typeof PROFILES)[number];
const debugId = (profile: Profile) => `ds-debug-${profile}`;

/** Per profile: a simulated meter → p1-in → a debug node showing msg.payload in the sidebar. */
const FLOW = [
  { id: TAB, type: 'tab', label: 'Debug sidebar' },
  ...PROFILES.flatMap((profile, row) => [
    {
      id: `ds-conn-${profile}`,
      type: 'p1-connection',
      name: `${profile} meter`,
      source: 'simulator',
      simulatorProfile: profile,
      simulatorInterval: 1,
      crcPolicy: 'drop',
      timezone: profile === 'nl-dsmr5' ? 'Europe/Amsterdam' : 'Europe/Brussels',
      maxTelegramSize: 8192,
    },
    {
      id: `ds-in-${profile}`,
      type: 'p1-in',
      z: TAB,
      name: '',
      connection: `ds-conn-${profile}`,
      output: 'parsed',
      topic: '',
      rateLimit: 0,
      changeField: '',
      x: 160,
      y: 80 + row * 80,
      wires: [[debugId(profile)], []],
    },
    {
      id: debugId(profile),
      type: 'debug',
      z: TAB,
      name: profile,
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'payload',
      targetType: 'msg',
      x: 420,
      y: 80 + row * 80,
      wires: [],
    },
  ]),
];

describe(`debug sidebar key order in Chromium (Node-RED ${NODE_RED_VERSION})`, function () {
  this.timeout(120000);
  let packed: PackedNodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    this.timeout(240000);
    packed = await startPackedNodeRed(FLOW);
    browser = await chromium.launch(chromiumLaunchOptions());
    page = await browser.newPage({ viewport: { width: 1400, height: 1300 }, locale: 'en-US' });
    page.setDefaultTimeout(30000);
    await page.goto(packed.nodeRed.url);
    await page.locator(`[id="${debugId('nl-dsmr5')}"]`).waitFor();
    // The debug tab: a tab link in Node-RED 4; a tab button in Node-RED 5, which opens with it shown
    // (a click there would close it).
    const debugTab = page.locator('#red-ui-tab-debug-link-button:visible, #red-ui-tab-debug > a:visible, button[data-tab-id="debug"]:visible').first();
    await debugTab.waitFor();
    const list = page.locator('.red-ui-debug-content-list');
    if (!(await list.isVisible())) await debugTab.click();
    await list.waitFor();
  });

  after(async function () {
    this.timeout(60000);
    await browser?.close();
    await packed?.dispose();
  });

  /** The newest message of `profile`'s debug node, expanded by a click on it. */
  async function expandNewest(profile: Profile): Promise<ElementHandle<HTMLElement>> {
    const messages = page.locator(`.red-ui-debug-msg-node-${debugId(profile)} .red-ui-debug-msg-payload > .red-ui-debug-msg-element`);
    await messages.first().waitFor();
    // Pinned, so that messages arriving meanwhile do not change which one is read.
    const message = (await messages.last().elementHandle()) as ElementHandle<HTMLElement>;
    const header = await message.$(':scope > .red-ui-debug-msg-row');
    assert.ok(header, 'the message has a header row');
    await header.click();
    await message.waitForSelector(':scope > .red-ui-debug-msg-object-entry');
    return message;
  }

  /** The keys of the collapsed preview and of the expanded rows, as rendered (rows checked to stand one below the other). */
  function renderedKeys(message: ElementHandle<HTMLElement>): Promise<{ preview: string[]; rows: string[]; topsIncrease: boolean }> {
    return message.evaluate((el) => {
      const texts = (selector: string) => [...el.querySelectorAll(selector)].map((k) => k.textContent ?? '');
      const rowKeys = [
        ...el.querySelectorAll(':scope > .red-ui-debug-msg-object-entry > .red-ui-debug-msg-element > .red-ui-debug-msg-row > .red-ui-debug-msg-object-key'),
      ];
      const tops = rowKeys.map((k) => k.getBoundingClientRect().top);
      return {
        preview: texts(':scope > .red-ui-debug-msg-row .red-ui-debug-msg-object-header > .red-ui-debug-msg-object-key'),
        rows: rowKeys.map((k) => k.textContent ?? ''),
        topsIncrease: tops.every((top, i) => i === 0 || top > tops[i - 1]),
      };
    });
  }

  for (const profile of PROFILES) {
    it(`${profile}: time and power first, then energy, phases, M-Bus, identification; units, obis, crc, warnings last`, async () => {
      const message = await expandNewest(profile);
      const { preview, rows, topsIncrease } = await renderedKeys(message);
      const shown = `rendered keys: ${rows.join(', ')}`;
      assert.ok(topsIncrease, `the rows stand one below the other; ${shown}`);
      // Every section is there, so the order below says something.
      for (const section of [Section.Headline, Section.Energy, Section.Phases, Section.Other, Section.Mbus, Section.Identification]) {
        assert.ok(
          rows.some((k) => sectionOf(k) === section),
          `a ${Section[section]} key is shown; ${shown}`,
        );
      }
      assert.deepEqual(preview, rows.slice(0, preview.length), 'the collapsed preview shows the first keys');
      assert.ok(preview.length >= 3, `the preview shows keys: ${preview.join(', ')}`);

      assert.equal(rows[0], 'timestamp', shown);
      assert.ok(rows.slice(0, 3).includes('powerDelivered'), `powerDelivered within the first three keys; ${shown}`);
      assert.deepEqual(rows.slice(-LAST.length), LAST, shown);
      assert.deepEqual(orderProblems(rows), [], shown);

      if (SCREENSHOT && profile === 'nl-dsmr5') {
        // The whole message from its meta row, and no hover highlight: what a user looks at.
        await message.evaluate((el) => el.closest('.red-ui-debug-msg')?.scrollIntoView({ block: 'start' }));
        await page.mouse.move(600, 600);
        await page.screenshot({ path: SCREENSHOT });
      }
    });
  }
});
