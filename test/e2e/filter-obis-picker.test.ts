/// <reference lib="dom" />
/**
 * The p1-filter-obis value picker in a real browser (Debian's Chromium driven by playwright-core,
 * against a real Node-RED with the packed package): it offers the `gas`, `water`, `heat`
 * shortcuts, and with the editor in Dutch it shows Dutch labels and finds Dutch words.
 * Node-RED takes the editor language from the browser (navigator.language), so each language
 * gets its own browser context with that locale. Screenshots only when PICKER_SCREENSHOTS names a folder.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OBIS_REGISTRY } from '../../src/protocol/obis-registry';
import { REPO_ROOT } from '../support/paths';
import { NODE_RED_VERSION } from '../support/node-red';
import { startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { chromiumLaunchOptions } from '../support/chromium';

const SCREENSHOTS = process.env.PICKER_SCREENSHOTS;
const TAB = 'picker-tab';
const FILTER = 'picker-filter';
const FLOW = [
  { id: TAB, type: 'tab', label: 'Picker' },
  {
    id: FILTER,
    type: 'p1-filter-obis',
    z: TAB,
    x: 200,
    y: 100,
    name: '',
    values: ['powerDelivered'],
    mode: 'split',
    topicStyle: 'name',
    onlyOnChange: false,
    deadband: 0,
    minInterval: 0,
    scaleToW: false,
    outputs: 1,
    wires: [[]],
  },
];

/** The Dutch labels the editor should show, from the catalog it is given. */
const DUTCH: Record<string, string> = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'nl', 'p1-filter-obis.json'), 'utf8'))[
  'p1-filter-obis'
].entries;

const englishLabel = (name: string) => OBIS_REGISTRY.find((e) => e.name === name)?.label;

interface Offer {
  name: string;
  label: string;
}

describe(`p1-filter-obis value picker in Chromium (Node-RED ${NODE_RED_VERSION})`, function () {
  this.timeout(120000);
  let packed: PackedNodeRed | undefined;
  let browser: Browser | undefined;
  let url: string;

  before(async function () {
    this.timeout(240000);
    packed = await startPackedNodeRed(FLOW);
    url = packed.nodeRed.url;
    browser = await chromium.launch(chromiumLaunchOptions());
  });

  after(async function () {
    this.timeout(60000);
    await browser?.close();
    await packed?.dispose();
  });

  /** A fresh editor in `locale` with the filter node's dialog open and the picker's list loaded. */
  async function openDialog(locale: string, powerDeliveredLabel: string): Promise<Page> {
    assert.ok(browser);
    const context = await browser.newContext({ locale, viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    await page.goto(url);
    await page.locator(`[id="${FILTER}"]`).dblclick();
    // The hint of the existing value shows its label once the list has come from the runtime.
    await page.locator('.node-input-value-hint').first().filter({ hasText: powerDeliveredLabel }).waitFor();
    return page;
  }

  /** Types `text` into a new value row and returns what the picker offers, in order. */
  async function offersFor(page: Page, text: string): Promise<Offer[]> {
    await page.locator('.red-ui-tray .red-ui-editableList-addButton').click();
    const input = page.locator('.red-ui-tray .node-input-value').last();
    await input.pressSequentially(text);
    const options = page.locator('.red-ui-autoComplete-container .p1-filter-obis-option');
    await options.first().waitFor();
    return options.evaluateAll((els) =>
      els.map((el) => ({
        name: el.querySelector('.p1-filter-obis-option-name')?.textContent ?? '',
        label: el.querySelector('.p1-filter-obis-option-label')?.textContent ?? '',
      })),
    );
  }

  /** Leaves the value typed by hand as it is and returns the hint shown next to it. */
  async function hintAfterTyping(page: Page): Promise<string> {
    await page.locator('.red-ui-tray .node-input-value').last().press('Tab');
    const hint = page.locator('.node-input-value-hint').last();
    await page.waitForFunction((el) => (el?.textContent ?? '') !== '', await hint.elementHandle());
    return (await hint.textContent()) ?? '';
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, name) });
  }

  it('offers gas first for "gas", and knows gas typed by hand', async () => {
    const english = englishLabel('powerDelivered');
    assert.ok(english);
    const page = await openDialog('en-US', english);
    try {
      const offers = await offersFor(page, 'gas');
      await screenshot(page, 'picker-gas.png');
      assert.deepEqual(offers[0], { name: 'gas', label: 'Gas meter reading (any M-Bus channel)' });
      const hint = await hintAfterTyping(page);
      assert.match(hint, /^Gas meter reading \(any M-Bus channel\) · m3$/);
      assert.equal((await page.locator('label[for="node-input-name"]').innerText()).trim(), 'Name');
    } finally {
      await page.context().close();
    }
  });

  it('in Dutch: shows Dutch labels, finds Dutch words, and the Name row says "Naam"', async () => {
    const page = await openDialog('nl-NL', DUTCH.powerDelivered);
    try {
      assert.equal((await page.locator('label[for="node-input-name"]').innerText()).trim(), 'Naam');

      // "stroom" is in no name, code or English label: everything offered is found by its Dutch label.
      const offers = await offersFor(page, 'stroom');
      await screenshot(page, 'picker-stroom-nl.png');
      const expected = Object.keys(DUTCH).filter((name) => DUTCH[name].toLowerCase().includes('stroom'));
      assert.deepEqual(offers.map((o) => o.name).sort(), expected.sort());
      for (const offer of offers) assert.equal(offer.label, DUTCH[offer.name]);
      assert.ok(
        offers.some((o) => o.name === 'currentL1'),
        'current per phase is offered',
      );
      assert.match(offers[0].label, /^Stroom/);
      await page.keyboard.press('Tab');

      const gas = await offersFor(page, 'gasmeter');
      assert.deepEqual(gas[0], { name: 'gas', label: DUTCH.gas });
    } finally {
      await page.context().close();
    }
  });
});
