/**
 * "Keys are credentials", checked where a user would find a leaked key: a p1-connection with a
 * decryption key is deployed through the admin API of a real Node-RED (packed package), then the
 * flow file on disk, `GET /flows`, the editor's credential look-up (what an export could carry)
 * and the log must not hold the key; the encrypted credentials file must, which is proven by
 * restarting that Node-RED without a deploy and decrypting again.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../support/paths';
import { adminRequest, deployFlows } from '../support/node-red-process';
import { NodeRedComms } from '../support/node-red-comms';
import { startPackedNodeRed, type PackedNodeRed } from '../support/packed-package';
import { startTelegramServer, type TelegramServer } from '../support/telegram-server';

const LU_FRAME = path.join(FIXTURES, 'NEXXTLAB__go-smarty-reader', 'lu_smarty_real_encrypted_frame');
const KEY = /encryption_key\(EK\)=([0-9A-F]{32})/.exec(fs.readFileSync(`${LU_FRAME}.key.txt`, 'utf8'))?.[1] ?? '';
/** Total energy delivered, as the plaintext of the frame says (not as our parser reads it). */
const ENERGY = Number(/^1-0:1\.8\.0\((\d+\.\d+)\*kWh\)/m.exec(fs.readFileSync(`${LU_FRAME}.plaintext.txt`, 'latin1'))?.[1]);

function flow(port: number): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'credentials' },
    {
      id: 'conn',
      type: 'p1-connection',
      name: 'Luxembourg meter',
      source: 'tcp-client',
      host: '127.0.0.1',
      port,
      connectTimeout: 2,
      idleTimeout: 30,
      maxBackoff: 1,
      credentials: { decryptionKey: KEY },
    },
    { id: 'in', z: 'tab', type: 'p1-in', connection: 'conn', output: 'parsed', topic: '', rateLimit: 0, changeField: '', wires: [['shown'], []] },
    { id: 'shown', z: 'tab', type: 'debug', name: 'values', active: true, tosidebar: true, console: false, complete: 'payload', targetType: 'msg', wires: [] },
  ];
}

/** Waits for a decrypted telegram in the debug sidebar: only the right key gives this value. */
async function decryptedEnergy(comms: NodeRedComms): Promise<number> {
  const message = await comms.waitForDebug('values', (m) => typeof (m.value as { obis?: unknown })?.obis === 'object');
  return (message.value as { obis: Record<string, { value: number }> }).obis['1-0:1.8.0'].value;
}

const containsKey = (text: string) => text.toUpperCase().includes(KEY);

describe('decryption keys are Node-RED credentials (real Node-RED, packed package)', function () {
  this.timeout(120_000);
  let packed: PackedNodeRed | undefined;
  let bridge: TelegramServer | undefined;
  const comms: NodeRedComms[] = [];

  before(async function () {
    this.timeout(240_000);
    assert.equal(KEY.length, 32);
    assert.ok(ENERGY > 0);
    bridge = await startTelegramServer(fs.readFileSync(`${LU_FRAME}.bin`), 300);
    packed = await startPackedNodeRed([], { debugMaxLength: 200000 });
  });

  after(async function () {
    this.timeout(30_000);
    for (const c of comms) c.close();
    await packed?.dispose();
    await bridge?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && packed) console.log(packed.nodeRed.output().split('\n').slice(-40).join('\n'));
  });

  it('deployed with a key: it decrypts, and the key is in no flow file, no API answer and no log line', async () => {
    assert.ok(packed && bridge);
    const { url } = packed.nodeRed;
    const c = await NodeRedComms.connect(url);
    comms.push(c);
    await c.waitForDeploy(await deployFlows(url, flow(bridge.port)));
    assert.equal(await decryptedEnergy(c), ENERGY);

    const flowFile = fs.readFileSync(path.join(packed.userDir, 'flows.json'), 'utf8');
    assert.ok(!containsKey(flowFile), 'flows.json holds no key');
    const saved = (JSON.parse(flowFile) as Array<Record<string, unknown>>).find((n) => n.id === 'conn');
    assert.ok(saved, 'the connection is in flows.json');
    assert.equal(saved.credentials, undefined);

    const credentialFile = fs.readFileSync(path.join(packed.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!containsKey(credentialFile), 'flows_cred.json is encrypted');

    for (const version of ['v1', 'v2']) {
      const answer = await adminRequest(url, 'GET', 'flows', undefined, { 'Node-RED-API-Version': version });
      assert.ok(!containsKey(JSON.stringify(answer)), `GET /flows (${version}) holds no key`);
    }
    // What the editor asks when it opens the dialog or exports: whether a key is set, never the key.
    const credentials = await adminRequest<Record<string, unknown>>(url, 'GET', 'credentials/p1-connection/conn');
    assert.equal(credentials.has_decryptionKey, true);
    assert.ok(!containsKey(JSON.stringify(credentials)), `credentials answer: ${JSON.stringify(credentials)}`);
    assert.ok(!containsKey(packed.nodeRed.output()), 'the log holds no key');
  });

  it('after a restart without a deploy, the key from the credentials file still decrypts', async () => {
    assert.ok(packed);
    const nodeRed = await packed.restart();
    const c = await NodeRedComms.connect(nodeRed.url);
    comms.push(c);
    assert.equal(await decryptedEnergy(c), ENERGY);
    assert.ok(!containsKey(fs.readFileSync(path.join(packed.userDir, 'flows.json'), 'utf8')));
    assert.ok(!containsKey(nodeRed.output()), 'the log holds no key');
  });
});
