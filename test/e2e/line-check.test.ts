/// <reference lib="dom" />
/**
 * The p1-connection dialog's "Check line" button in a real browser (Debian's Chromium driven by
 * playwright-core, against a real Node-RED with the packed package): with settings typed into
 * the dialog and not deployed, it checks a socat pty that carries an old Dutch meter's 9600 7E1
 * telegrams without an inverter, then a pty where nothing arrives, and shows each verdict, its fix
 * and the first bytes. With UPDATE_SCREENSHOTS=1 it refreshes docs/images/line-check.png.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURES, REPO_ROOT } from '../support/paths';
import { NODE_RED_VERSION } from '../support/node-red';
import { startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { startPtyPair, type PtyPair } from '../support/pty-pair';
import { FRAMING_7E1, receiveAs } from '../support/uart-line';
import { chromiumLaunchOptions } from '../support/chromium';

const SCREENSHOT = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'images', 'line-check.png') : undefined;
const ENGLISH = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'en-US', 'p1-connection.json'), 'utf8'))['p1-connection'].lineCheck;

/** A simulated meter is deployed; the dialog is then pointed at the ptys without deploying. */
const FLOW = [
  { id: 'lc-tab', type: 'tab', label: 'Line check' },
  {
    id: 'lc-conn',
    type: 'p1-connection',
    name: '',
    source: 'simulator',
    serialPort: '',
    serialFraming: 'dsmr45',
    baudRate: 115200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    host: '',
    port: 8088,
    connectTimeout: 10,
    idleTimeout: 30,
    maxBackoff: 60,
    bindAddress: '0.0.0.0',
    listenPort: 8089,
    replayFile: '',
    replayInterval: 1,
    replayLoop: true,
    simulatorProfile: 'nl-dsmr5',
    simulatorInterval: 1,
    crcPolicy: 'drop',
    timezone: 'Europe/Amsterdam',
    maxTelegramSize: 8192,
  },
  {
    id: 'lc-in',
    type: 'p1-in',
    z: 'lc-tab',
    name: 'meter',
    connection: 'lc-conn',
    output: 'parsed',
    topic: '',
    rateLimit: 0,
    changeField: '',
    x: 150,
    y: 100,
    wires: [[], []],
  },
];

describe(`p1-connection "Check line" in Chromium (Node-RED ${NODE_RED_VERSION})`, function () {
  this.timeout(120000);
  let packed: PackedNodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  let meterPty: PtyPair | undefined;
  let silentPty: PtyPair | undefined;
  let meter: NodeJS.Timeout | undefined;
  let line: Buffer;

  before(async function () {
    this.timeout(240000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsmr-p1-line-check-'));
    meterPty = await startPtyPair(dir, { a: 'meter', b: 'meter-feed' });
    silentPty = await startPtyPair(dir, { a: 'silent', b: 'silent-feed' });
    // An old Dutch meter (DSMR 2.2, 9600 7E1) on a cable without the inverter, as a 9600 7E1 port reads it.
    const telegram = fs.readFileSync(path.join(FIXTURES, 'ndokter__dsmr_parser', 'v2_2_iskra_mt382.txt'));
    line = receiveAs(telegram, FRAMING_7E1, 9600, FRAMING_7E1, 9600, true);
    packed = await startPackedNodeRed(FLOW);
    browser = await chromium.launch(chromiumLaunchOptions());
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
    page.setDefaultTimeout(30000);
  });

  after(async function () {
    this.timeout(60000);
    clearInterval(meter);
    await browser?.close();
    await packed?.dispose();
    await meterPty?.stop();
    await silentPty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the p1-connection dialog from the p1-in node and points it at `device` (not deployed). */
  async function openDialogOn(device: string, framing: string): Promise<void> {
    if ((await page.locator('#node-config-input-source').count()) === 0) {
      await page.goto(packed!.nodeRed.url);
      // The node's body, not its group: the status text below widens the group past the node.
      await page.locator('[id="lc-in"] > rect.red-ui-flow-node').dblclick();
      await page.locator('#node-input-btn-connection-edit').click();
      await page.locator('#node-config-input-source').waitFor();
    }
    await page.locator('#node-config-input-source').selectOption('serial');
    await page.locator('#node-config-input-serialPort').fill(device);
    await page.locator('#node-config-input-serialFraming').selectOption(framing);
  }

  /** Presses "Check line" and returns the verdict shown, once the check has answered. */
  async function checkLine(): Promise<string> {
    const button = page.locator('#p1-connection-line-check');
    await button.scrollIntoViewIfNeeded();
    await button.click();
    const verdict = page.locator('#p1-connection-line-check-result .p1-line-check-verdict');
    await verdict.waitFor({ timeout: 40000 });
    return (await verdict.getAttribute('data-verdict')) ?? '';
  }

  const resultText = async () => (await page.locator('#p1-connection-line-check-result').textContent()) ?? '';

  it('an inverted 9600 7E1 line: says the signal is inverted, how to fix it, and shows the first bytes', async () => {
    await openDialogOn(fs.realpathSync(meterPty!.a), 'dsmr23');
    // The meter talks only while the check listens: unread bytes would fill the pty until writes block.
    meter = setInterval(() => meterPty?.write(line), 200);
    const verdict = await checkLine().finally(() => clearInterval(meter));
    assert.equal(verdict, 'inverted');
    const text = await resultText();
    assert.ok(text.includes(ENGLISH.verdict.inverted.serial.title), text);
    assert.ok(text.includes(ENGLISH.verdict.inverted.serial.fix), text);
    assert.match(text, /read at 9600 7E1/);
    const hex = (await page.locator('#p1-connection-line-check-result .p1-line-check-hex').textContent()) ?? '';
    assert.match(hex, /^([0-9a-f]{2} )+[0-9a-f]{2}$/);
    if (SCREENSHOT) {
      await page.locator('#p1-connection-line-check-result').scrollIntoViewIfNeeded();
      await page.screenshot({ path: SCREENSHOT });
    }
  });

  it('a port where nothing arrives: says so and names the usual causes', async () => {
    await openDialogOn(fs.realpathSync(silentPty!.a), 'dsmr45');
    assert.equal(await checkLine(), 'no-bytes');
    const text = await resultText();
    assert.ok(text.includes(ENGLISH.verdict['no-bytes'].serial.fix), text);
    assert.match(text, /Nothing arrived in \d+(\.\d)? s/);
    assert.equal(await page.locator('#p1-connection-line-check-result .p1-line-check-hex').count(), 0, 'no bytes to show');
  });
});
