/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The editor and the demo dashboard in a real browser: Debian's Chromium driven by
 * playwright-core, against a real Node-RED with the packed package and the demo flow
 * (scripts/demo-flow.json). With UPDATE_SCREENSHOTS=1 it also refreshes the README screenshots in docs/images/.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/paths';
import { NODE_RED_VERSION } from '../support/node-red';
import { startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { chromiumLaunchOptions } from '../support/chromium';

/**
 * The README screenshots in docs/images/ are tracked files: they are rewritten only when asked
 * (UPDATE_SCREENSHOTS=1 npm test, on the default Node-RED), so that a change to them is a
 * deliberate, reviewed commit. Every other run writes its screenshots to a temporary folder.
 */
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' && !process.env.NODE_RED_PATH ? path.join(REPO_ROOT, 'docs', 'images') : path.join(os.tmpdir(), 'dsmr-p1-screenshots');
const DEMO_FLOW = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'demo-flow.json'), 'utf8')) as Array<{ id: string; type: string }>;

/** The first sentence of a node's English help, read from the file the editor shows. */
function helpSentence(type: string): string {
  const help = fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'en-US', `${type}.html`), 'utf8');
  const paragraph = /<p>([\s\S]*?)<\/p>/.exec(help);
  assert.ok(paragraph, `${type} help has a paragraph`);
  const text = paragraph[1]
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.split(/(?<=\.)\s/)[0].slice(0, 60);
}

const demoNode = (type: string) => {
  const node = DEMO_FLOW.find((n) => n.type === type);
  assert.ok(node, `${type} in the demo flow`);
  return node.id;
};

describe(`editor and dashboard in Chromium (Node-RED ${NODE_RED_VERSION})`, function () {
  this.timeout(120000);
  let packed: PackedNodeRed | undefined;
  let browser: BrowserContext | undefined;
  let profileDir: string | undefined;
  let page: Page;
  let url: string;

  before(async function () {
    this.timeout(240000);
    packed = await startPackedNodeRed(DEMO_FLOW);
    url = packed.nodeRed.url;
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsmr-p1-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      ...chromiumLaunchOptions(),
      viewport: { width: 1400, height: 860 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30000);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    this.timeout(60000);
    await browser?.close();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    await packed?.dispose();
  });

  /** The edit tray on top (config dialogs open above node dialogs). */
  const topTray = () => page.locator('.red-ui-tray').last();

  /** The editor page (each test may run alone: mocha -g). */
  async function showEditor(): Promise<void> {
    const current = page.url();
    if (!current.startsWith(url) || current.startsWith(new URL('dashboard', url).toString())) await page.goto(url);
    await page.locator(`[id="${demoNode('p1-in')}"]`).waitFor();
  }

  async function openEditor(nodeId: string): Promise<void> {
    await showEditor();
    await page.locator(`[id="${nodeId}"]`).dblclick();
    await topTray().locator('.red-ui-tray-body').waitFor();
  }

  /** Types `value` into a field, leaves it, and reports whether the editor marked it invalid. */
  async function markedInvalid(selector: string, value: string): Promise<boolean> {
    const field = page.locator(selector);
    await field.fill(value);
    await field.press('Tab');
    return field.evaluate((el) => el.classList.contains('input-error'));
  }

  async function expectValidation(selector: string, bad: string, good: string): Promise<void> {
    assert.equal(await markedInvalid(selector, bad), true, `${selector} = "${bad}" is marked invalid`);
    assert.equal(await markedInvalid(selector, good), false, `${selector} = "${good}" is accepted`);
  }

  async function expectHelp(type: string): Promise<void> {
    await topTray().locator('.red-ui-tray-footer-left button:has(i.fa-book)').click();
    await page.locator('#red-ui-sidebar').getByText(helpSentence(type), { exact: false }).first().waitFor({ state: 'visible' });
  }

  /** Waits until an element stops moving (the edit tray slides in). */
  async function settled(locator: Locator): Promise<void> {
    let before = JSON.stringify(await locator.boundingBox());
    for (let i = 0; i < 50; i++) {
      await page.waitForTimeout(100);
      const now = JSON.stringify(await locator.boundingBox());
      if (now === before) return;
      before = now;
    }
  }

  /** Cancels the dialog on top (a config dialog hides the node dialog below it until it closes). */
  async function cancel(): Promise<void> {
    const button = topTray().locator('#node-dialog-cancel, #node-config-dialog-cancel').first();
    const id = await button.getAttribute('id');
    await button.click();
    await page.locator(`#${id}`).waitFor({ state: 'detached' });
  }

  afterEach(async function () {
    // A failed test must not leave its dialog open over the next one.
    if (this.currentTest?.state !== 'failed' || !page) return;
    for (let tries = 0; tries < 3 && (await page.locator('#node-dialog-cancel, #node-config-dialog-cancel').count()) > 0; tries++) {
      await cancel().catch(() => undefined);
    }
  });

  it('shows the "smart meter" palette category with the package\'s nodes, and the demo flow', async () => {
    await showEditor();
    const category = page.locator('#red-ui-palette-container-smart_meter');
    await category.waitFor();
    const types = await category.locator('.red-ui-palette-node').evaluateAll((els) => els.map((el) => el.getAttribute('data-palette-type')));
    assert.deepEqual(types.sort(), ['p1-energy', 'p1-filter-obis', 'p1-homeassistant', 'p1-in', 'p1-parse']);
    const header = await page.locator('#red-ui-palette-header-smart_meter').textContent();
    assert.equal(header?.trim(), 'smart meter');
    // the demo flow is on the canvas with its status, no unknown nodes
    await page.locator(`[id="${demoNode('p1-in')}"]`).waitFor();
    assert.equal(await page.locator('.red-ui-flow-node-unknown').count(), 0);
    await page
      .locator(`[id="${demoNode('p1-in')}"] .red-ui-flow-node-status-label`)
      .filter({ hasText: /\S/ })
      .waitFor();
    await page.locator('#red-ui-palette-header-smart_meter').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'editor.png') });
  });

  it('p1-in: dialog opens, rate limit and change field validate, help shows', async () => {
    await openEditor(demoNode('p1-in'));
    await expectValidation('#node-input-rateLimit', '-5', '0');
    await expectValidation('#node-input-changeField', 'power delivered', 'powerDelivered');
    await expectHelp('p1-in');
    await cancel();
  });

  it('p1-connection: dialog opens from p1-in, its fields validate, help shows', async () => {
    await openEditor(demoNode('p1-in'));
    await page.locator('#node-input-btn-connection-edit').click();
    await page.locator('#node-config-input-source').waitFor();
    assert.equal(await page.locator('#node-config-input-source').inputValue(), 'simulator');
    await settled(topTray());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'p1-connection-dialog.png') });
    await expectValidation('#node-config-input-simulatorInterval', '0', '1');
    await expectValidation('#node-config-input-timezone', 'Mars/Olympus_Mons', 'Europe/Brussels');
    await expectValidation('#node-config-input-maxTelegramSize', '12', '8192');
    await expectValidation('#node-config-input-maxTelegramSize', '65537', '65536');
    await page.locator('#node-config-input-source').selectOption('tcp-client');
    await expectValidation('#node-config-input-port', '70000', '8088');
    // A TCP server on every interface without an allow list: the dialog says so until a list is given.
    await page.locator('#node-config-input-source').selectOption('tcp-server');
    await page.locator('#node-config-input-bindAddress').fill('0.0.0.0');
    await page.locator('#node-config-input-allowedClients').fill('');
    await page.locator('#node-config-input-allowedClients').press('Tab');
    await page.locator('#p1-connection-open-server').waitFor({ state: 'visible' });
    await expectValidation('#node-config-input-allowedClients', 'esp-p1.local', '192.168.1.0/24, fd00::/8');
    await page.locator('#p1-connection-open-server').waitFor({ state: 'hidden' });
    await expectValidation('#node-config-input-maxClients', '65', '8');
    await expectHelp('p1-connection');
    await cancel();
    await cancel();
  });

  it('p1-connection: the HTTP dongle source shows only its own fields, with the HomeWizard defaults, and validates them', async () => {
    await openEditor(demoNode('p1-in'));
    await page.locator('#node-input-btn-connection-edit').click();
    await page.locator('#node-config-input-source').selectOption('http');
    await page.locator('#node-config-input-httpHost').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-host').isVisible(), false, 'the TCP client fields are hidden');
    // The demo's connection was saved without these fields: empty means the HomeWizard defaults, shown as placeholders.
    assert.equal(await page.locator('#node-config-input-httpPort').getAttribute('placeholder'), '80');
    assert.equal(await page.locator('#node-config-input-httpPath').getAttribute('placeholder'), '/api/v1/telegram');
    assert.equal(await markedInvalid('#node-config-input-httpPort', ''), false);
    assert.equal(await page.locator('#p1-connection-http-interval-hint').textContent(), 'seconds (0.5 to 60)');
    await expectValidation('#node-config-input-httpHost', 'http://192.168.1.60/', '192.168.1.60');
    await expectValidation('#node-config-input-httpPort', '0', '80');
    await expectValidation('#node-config-input-httpPath', 'api/v1/telegram', '/api/v1/telegram');
    await expectValidation('#node-config-input-httpInterval', '0.2', '1');
    await cancel();
    await cancel();
  });

  it('p1-connection: the splitter fields show when ticked, validate, and warn when they serve the whole network to anyone', async () => {
    await openEditor(demoNode('p1-in'));
    await page.locator('#node-input-btn-connection-edit').click();
    const box = page.locator('#node-config-input-splitter');
    await box.waitFor();
    assert.equal(await box.isChecked(), false, 'off by default');
    assert.equal(await page.locator('#node-config-input-splitterPort').isVisible(), false, 'its fields are hidden while off');
    await box.check();
    await page.locator('#node-config-input-splitterPort').waitFor({ state: 'visible' });
    // The demo's connection was saved before the splitter existed: empty means 127.0.0.1, this machine only.
    assert.equal(await page.locator('#node-config-input-splitterBindAddress').inputValue(), '');
    assert.equal(await page.locator('#node-config-input-splitterBindAddress').getAttribute('placeholder'), '127.0.0.1');
    assert.equal(await page.locator('#p1-connection-open-splitter').isVisible(), false, 'no warning for this machine only');
    await expectValidation('#node-config-input-splitterPort', '70000', '8089');
    await expectValidation('#node-config-input-splitterMaxReaders', '65', '8');
    await page.locator('#node-config-input-splitterBindAddress').fill('0.0.0.0');
    await page.locator('#node-config-input-splitterBindAddress').press('Tab');
    await page.locator('#p1-connection-open-splitter').waitFor({ state: 'visible' });
    await expectValidation('#node-config-input-splitterAllowedClients', 'my-laptop', '192.168.1.0/24');
    await page.locator('#p1-connection-open-splitter').waitFor({ state: 'hidden' });
    await box.uncheck();
    await page.locator('#node-config-input-splitterPort').waitFor({ state: 'hidden' });
    await cancel();
    await cancel();
  });

  it('p1-filter-obis: dialog opens, deadband and interval validate, help shows', async () => {
    await openEditor(demoNode('p1-filter-obis'));
    await expectValidation('#node-input-deadband', '-1', '0.5');
    await expectValidation('#node-input-minInterval', 'often', '10');
    await expectHelp('p1-filter-obis');
    await cancel();
  });

  it('p1-parse: dragged from the palette, dialog opens, size and time zone validate, help shows', async () => {
    await showEditor();
    const chart = page.locator('#red-ui-workspace-chart');
    const box = await chart.boundingBox();
    assert.ok(box);
    await page
      .locator('#red-ui-palette-container-smart_meter .red-ui-palette-node[data-palette-type="p1-parse"]')
      .dragTo(chart, { targetPosition: { x: box.width * 0.6, y: box.height * 0.8 } });
    const id = await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED;
      return red.nodes.filterNodes({ type: 'p1-parse' })[0]?.id;
    });
    assert.ok(id, 'a p1-parse node was added');
    await openEditor(id);
    await expectValidation('#node-input-maxTelegramSize', 'big', '8192');
    await expectValidation('#node-input-timezone', 'Nowhere/Town', 'Europe/Amsterdam');
    await expectHelp('p1-parse');
    await cancel();
  });

  it('p1-homeassistant: dragged from the palette, dialog opens, topics and interval validate, help shows', async () => {
    await showEditor();
    const chart = page.locator('#red-ui-workspace-chart');
    const box = await chart.boundingBox();
    assert.ok(box);
    await page
      .locator('#red-ui-palette-container-smart_meter .red-ui-palette-node[data-palette-type="p1-homeassistant"]')
      .dragTo(chart, { targetPosition: { x: box.width * 0.4, y: box.height * 0.85 } });
    const id = await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED;
      return red.nodes.filterNodes({ type: 'p1-homeassistant' })[0]?.id;
    });
    assert.ok(id, 'a p1-homeassistant node was added');
    await openEditor(id);
    assert.equal(await page.locator('#node-input-discoveryPrefix').inputValue(), 'homeassistant');
    await expectValidation('#node-input-discoveryPrefix', 'home/#', 'homeassistant');
    await expectValidation('#node-input-baseTopic', 'p1//meter', 'p1');
    await expectValidation('#node-input-stateInterval', '-1', '10');
    await expectHelp('p1-homeassistant');
    await cancel();
  });

  it('p1-energy: dialog opens, prices and time zone validate, the memory-only store is warned about, help shows', async () => {
    await openEditor(demoNode('p1-energy'));
    // This Node-RED has no contextStorage setting: the only store keeps totals in memory.
    await page.locator('#node-input-store option').first().waitFor({ state: 'attached' });
    assert.match(await page.locator('#node-input-store option').first().innerText(), /memory only/);
    await page.locator('#node-input-store-warning').waitFor({ state: 'visible' });
    await settled(topTray());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'p1-energy-dialog.png') });
    await expectValidation('#node-input-timezone', 'Mars/Olympus_Mons', 'Europe/Brussels');
    await expectValidation('#node-input-priceDelivered1', 'cheap', '0.27');
    await expectValidation('#node-input-minimumPeak', '-1', '2.5');
    await expectHelp('p1-energy');
    await cancel();
  });

  it('p1-connection: serial ports as a list to pick from, labelled custom settings, Listen on checked, option texts not cut off', async () => {
    await openEditor(demoNode('p1-in'));
    await page.locator('#node-input-btn-connection-edit').click();
    await page.locator('#node-config-input-source').selectOption('serial');
    const portInput = page.locator('#node-config-input-serialPort');
    await portInput.fill('');
    await page.locator('#p1-connection-find-ports').click();
    await page.waitForFunction(() => !/…/.test(document.getElementById('p1-connection-ports-result')?.textContent ?? '…'));
    const offered = await page.evaluate(async () => (await (await fetch('p1-connection/serial-ports')).json()) as Array<{ path: string }>);
    const listed = await page.locator('#p1-connection-port-list li').evaluateAll((items) => items.map((li) => li.getAttribute('data-path')));
    assert.deepEqual(
      listed,
      offered.map((p) => p.path),
      'every port the runtime finds, in its order',
    );
    const firstPlain = listed.findIndex((p) => !String(p).startsWith('/dev/serial/by-id/'));
    assert.ok(
      listed.slice(firstPlain < 0 ? listed.length : firstPlain).every((p) => !String(p).startsWith('/dev/serial/by-id/')),
      '/dev/serial/by-id/… first',
    );
    assert.equal(await portInput.inputValue(), '', 'nothing filled in before the user picks');
    if (listed.length > 0) {
      await page.locator('#p1-connection-port-list li').first().click();
      assert.equal(await portInput.inputValue(), listed[0]);
    }
    await page.locator('#node-config-input-serialFraming').selectOption('custom');
    for (const [field, text] of [
      ['baudRate', 'Baud rate'],
      ['dataBits', 'Data bits'],
      ['parity', 'Parity'],
      ['stopBits', 'Stop bits'],
    ]) {
      const label = page.locator(`label[for="node-config-input-${field}"]`);
      assert.equal(await label.isVisible(), true, `${field} has a visible label`);
      assert.equal((await label.innerText()).trim(), text);
    }
    await expectValidation('#node-config-input-baudRate', 'fast', '9600');
    await page.locator('#node-config-input-serialFraming').selectOption('dsmr45');
    await page.locator('#node-config-input-source').selectOption('tcp-server');
    await expectValidation('#node-config-input-bindAddress', 'not an ip', '192.168.1.10');
    await expectValidation('#node-config-input-bindAddress', '192.168.1.300', 'fd00::1');
    assert.equal(await markedInvalid('#node-config-input-bindAddress', ''), false, 'empty = every interface');
    // Every source's text fits its select, and the key placeholder its field (the text's width measured in the field's font).
    const cutOff = await page.evaluate(() => {
      const context = document.createElement('canvas').getContext('2d')!;
      const fits = (el: HTMLElement, text: string, reserve: number) => {
        const style = getComputedStyle(el);
        context.font = `${style.fontSize} ${style.fontFamily}`;
        return context.measureText(text).width + reserve <= el.clientWidth;
      };
      const source = document.getElementById('node-config-input-source') as HTMLSelectElement;
      const key = document.getElementById('node-config-input-decryptionKey') as HTMLInputElement;
      return [...[...source.options].filter((o) => !fits(source, o.text, 30)).map((o) => o.text), ...(fits(key, key.placeholder, 12) ? [] : [key.placeholder])];
    });
    assert.deepEqual(cutOff, [], 'texts cut off');
    await cancel();
    await cancel();
  });

  it('labels: an unnamed connection by what it reads, an unnamed p1-in by its connection; every node its own icon', async () => {
    await showEditor();
    const labels = await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { getType(t: string): { label(this: unknown): string; _: unknown } } } }).RED;
      const def = red.nodes.getType('p1-connection');
      const label = (props: Record<string, unknown>) => def.label.call({ _: def._, ...props });
      return [
        label({ source: 'simulator', simulatorProfile: 'nl-dsmr5' }),
        label({ source: 'serial', serialPort: '/dev/ttyUSB0' }),
        label({ source: 'tcp-client', host: '192.168.1.40', port: 8088 }),
        label({ source: 'tcp-server', listenPort: 8088 }),
        label({ source: 'http', httpHost: '192.168.1.60' }),
        label({ name: 'Meter cupboard', source: 'serial', serialPort: '/dev/ttyUSB0' }),
      ];
    });
    assert.deepEqual(labels, [
      'Simulator: Dutch DSMR 5 with gas meter',
      '/dev/ttyUSB0',
      'TCP 192.168.1.40:8088',
      'TCP server on port 8088',
      'HTTP 192.168.1.60',
      'Meter cupboard',
    ]);
    const icons = await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { getType(t: string): { icon?: string } } } }).RED;
      return ['p1-in', 'p1-parse', 'p1-filter-obis', 'p1-energy', 'p1-homeassistant', 'p1-connection'].map((type) => red.nodes.getType(type).icon);
    });
    assert.equal(new Set(icons).size, icons.length, `one icon per node: ${icons}`);
  });

  it('status texts stay under their node: a retry on a long serial path, measured in the rendered SVG', async () => {
    await showEditor();
    const missingPort = '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KDAX3-if00-port0-unplugged';
    const flow = [
      { id: 'sw.tab', type: 'tab', label: 'status width' },
      { id: 'sw.conn', type: 'p1-connection', source: 'serial', serialPort: missingPort, serialFraming: 'dsmr45' },
      { id: 'sw.in', type: 'p1-in', z: 'sw.tab', name: 'P1 meter', connection: 'sw.conn', x: 150, y: 80, wires: [[], []] },
      { id: 'sw.unnamed', type: 'p1-in', z: 'sw.tab', name: '', connection: demoNode('p1-connection'), x: 150, y: 180, wires: [[], []] },
    ];
    type Editor = { RED: { view: { importNodes(n: unknown, o: unknown): void }; workspaces: { show(id: string): void } } };
    await page.evaluate((nodes) => {
      const red = (window as unknown as Editor).RED;
      red.view.importNodes(nodes, { addFlow: false });
      red.workspaces.show('sw.tab');
    }, flow);
    await page.locator('#red-ui-header-button-deploy').click();
    const status = page.locator('[id="sw.in"] .red-ui-flow-node-status-label');
    await page
      .waitForFunction(() => /^retry in \d+ s$/.test(document.querySelector('[id="sw.in"] .red-ui-flow-node-status-label')?.textContent ?? ''), undefined, {
        timeout: 30000,
      })
      .catch(async (error) => {
        throw new Error(`status "${await status.textContent()}": ${error}`);
      });
    const measured = await page.evaluate(() => {
      const node = document.querySelector('[id="sw.in"]')!;
      const body = node.querySelector('rect.red-ui-flow-node')!.getBoundingClientRect();
      const label = node.querySelector('.red-ui-flow-node-status-label') as SVGTextElement;
      return { width: label.getBoundingClientRect().right - body.left, nodeWidth: body.width, textLength: label.getComputedTextLength() };
    });
    assert.ok(measured.textLength > 0);
    assert.ok(measured.width <= measured.nodeWidth + 20, `status ${measured.width} px wide under a node of ${measured.nodeWidth} px`);
    const unnamed = await page.locator('[id="sw.unnamed"] .red-ui-flow-node-label').textContent();
    assert.equal(unnamed?.trim(), 'Simulated NL meter', 'an unnamed p1-in shows its connection');
    await page.evaluate(() => (window as unknown as Editor).RED.workspaces.show('demo.tab'));
  });

  it('the demo dashboard shows live values that change', async () => {
    await page.goto(new URL('dashboard', url).toString());
    const live = page.locator('.nrdb-ui-gauge-value, .nrdb-ui-table');
    await page.locator('.nrdb-ui-table td').first().waitFor();
    const first = (await live.allInnerTexts()).join('|');
    assert.match(first, /\d/);
    await page.waitForFunction(
      (before) => [...document.querySelectorAll('.nrdb-ui-gauge-value, .nrdb-ui-table')].map((el) => (el as HTMLElement).innerText).join('|') !== before,
      first,
      { timeout: 30000 },
    );
    // p1-energy's panels: today's energy and cost (NL meter), the capacity tariff (BE meter)
    const row = (label: string) => page.locator('.nrdb-ui-text', { hasText: label }).first();
    const filled = async (label: string, value: RegExp) => {
      await row(label).waitFor();
      await page
        .waitForFunction(
          ([text, pattern]) =>
            [...document.querySelectorAll('.nrdb-ui-text')].some(
              (el) => (el as HTMLElement).innerText.includes(text) && new RegExp(pattern).test((el as HTMLElement).innerText),
            ),
          [label, value.source] as const,
          { timeout: 30000 },
        )
        .catch(async (error) => {
          throw new Error(`${label} never showed ${value}; the page shows: ${await page.locator('body').innerText()} (${error})`);
        });
    };
    // Any may be a plain 0: with the sun up the simulated houses draw nothing from the grid.
    await filled('Drawn today (kWh)', /\d+(\.\d+)?/);
    await filled('Fed in today (kWh)', /\d+(\.\d+)?/);
    await filled('Cost today (€)', /\d+\.\d+/);
    await filled('Counted since', /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d/);
    await filled('Quarter hour, projected (kW)', /\d+(\.\d+)?/);
    await filled('Peak this month (kW)', /\d+(\.\d+)?/);
    await filled('12-month average (kW)', /\d+\.\d+/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png'), fullPage: true });

    // A phone, 390 px wide: the per-phase table shows every column, none cut off or scrolled away.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.reload();
      await page.locator('.nrdb-ui-table td').first().waitFor();
      await filled('Drawn today (kWh)', /\d+(\.\d+)?/);
      const tables = await page.locator('.nrdb-ui-table').evaluateAll((els) =>
        els.map((el) => {
          const box = el.getBoundingClientRect();
          const scroller = el.querySelector('.v-table__wrapper') ?? el;
          return {
            right: box.right,
            hidden: scroller.scrollWidth - scroller.clientWidth,
            headers: [...el.querySelectorAll('th')].map((th) => (th as HTMLElement).innerText.trim()),
          };
        }),
      );
      const phases = tables.find((t) => t.headers.includes('Phase'));
      assert.ok(phases, `the per-phase table: ${JSON.stringify(tables)}`);
      assert.deepEqual(phases.headers, ['Phase', 'kW', 'V', 'A']);
      for (const table of tables) {
        assert.ok(table.right <= 390 && table.hidden <= 1, `table ${table.headers.join(', ')} fits 390 px: ${JSON.stringify(table)}`);
      }
      await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-mobile.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1400, height: 860 });
    }
  });
  it('imports every example one after another into one editor without a conflict ("nodes that already exist")', async () => {
    await page.goto(url);
    // The editor has loaded the deployed flows (the ids an import could clash with).
    await page.waitForFunction(
      (id) => Boolean((window as unknown as { RED?: { nodes?: { node(id: string): unknown } } }).RED?.nodes?.node(id)),
      demoNode('p1-in'),
    );
    const served = await page.evaluate(async () => {
      const listing = (await (await fetch('library/examples/flows/node-red-contrib-dsmr-p1')).json()) as Array<{ fn?: string }>;
      return listing.flatMap((entry) => (entry.fn ? [entry.fn] : []));
    });
    assert.ok(served.length >= 10, `examples offered: ${served}`);
    const importExample = (name: string) =>
      page.evaluate(async (example) => {
        const nodes = await (await fetch(`library/examples/flows/node-red-contrib-dsmr-p1/${encodeURIComponent(example)}`)).json();
        const red = (window as unknown as { RED: { view: { importNodes(n: unknown, o: unknown): void } } }).RED;
        try {
          red.view.importNodes(nodes, { addFlow: true });
          return 'imported';
        } catch (error) {
          return `${(error as { code?: string }).code}: ${(error as Error).message}`;
        }
      }, name);
    for (const name of served) assert.equal(await importExample(name), 'imported', name);
    // The check is live: the same example a second time is refused as a conflict.
    assert.match(await importExample(served[0]), /^import_conflict/);
    assert.equal(await page.locator('.red-ui-flow-node-unknown').count(), 0, 'no unknown node types');
  });
});
