/**
 * Two p1-connection nodes on one serial port (a socat pty pair): with the same settings they
 * share the port (one open, both get every telegram); with other settings the second fails
 * with a status that names the first. Before, the second opened the port again and retried
 * forever ("in use by another program").
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPtyPair, type PtyPair } from '../support/pty-pair';
import { helper, logLines, NODES, numberedTelegram, p1InWithOutputs, recorder, statusesOf, telegramNumber, waitFor, type FlowNode } from './connection-harness';

describe('p1-connection: two connections on one serial port', function () {
  this.timeout(30_000);
  let dir: string;
  let pty: PtyPair;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p1-shared-'));
    pty = await startPtyPair(dir);
  });

  afterEach(async () => {
    await helper.unload();
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const serial = (id: string, name: string, framing: string): FlowNode => ({
    id,
    name,
    type: 'p1-connection',
    source: 'serial',
    serialPort: pty.a,
    serialFraming: framing,
  });

  it('same settings: they share the port, and both receive every telegram', async () => {
    await helper.load(NODES, [
      serial('one', 'meter', 'dsmr45'),
      serial('two', 'meter too', 'dsmr45'),
      ...p1InWithOutputs('in1', 'one'),
      ...p1InWithOutputs('in2', 'two'),
    ]);
    const [r1, r2] = [recorder('in1-out'), recorder('in2-out')];
    await waitFor(
      () => /^waiting for data/.test(statusesOf('in1').at(-1)?.text ?? '') && /^waiting for data/.test(statusesOf('in2').at(-1)?.text ?? ''),
      'both connections to see the open port',
    );
    for (let n = 1; n <= 3; n++) {
      pty.write(numberedTelegram(n));
      await waitFor(() => r1.length === n && r2.length === n, `telegram ${n} on both`);
    }
    assert.deepEqual(r1.map(telegramNumber), [1, 2, 3]);
    assert.deepEqual(r2.map(telegramNumber), [1, 2, 3]);
    const texts = [...statusesOf('in1'), ...statusesOf('in2')].map((s) => s.text ?? '');
    assert.deepEqual(
      texts.filter((t) => /in use by|retry/.test(t)),
      [],
    );
    assert.deepEqual(
      logLines().filter((l) => /in use by/.test(l.msg)),
      [],
    );
  });

  it('a redeploy of one of them keeps the port with the other, and the new one joins it', async () => {
    const flow = [serial('one', 'meter', 'dsmr45'), serial('two', 'meter too', 'dsmr45'), ...p1InWithOutputs('in1', 'one'), ...p1InWithOutputs('in2', 'two')];
    await helper.load(NODES, flow);
    await waitFor(() => /^waiting for data/.test(statusesOf('in2').at(-1)?.text ?? ''), 'the second connection on the port');
    const before = statusesOf('in2').length;
    await helper.setFlows(
      flow.map((n) => (n.id === 'two' ? { ...n, name: 'renamed' } : n)),
      'nodes',
    );
    const [r1, r2] = [recorder('in1-out'), recorder('in2-out')];
    await waitFor(
      () =>
        statusesOf('in2')
          .slice(before)
          .some((s) => /^waiting for data/.test(s.text ?? '')),
      'the redeployed connection on the port',
    );
    pty.write(numberedTelegram(9));
    await waitFor(() => r1.length === 1 && r2.length === 1, 'the telegram on both');
  });

  it('other settings: the second fails with a status that names the connection holding the port', async () => {
    await helper.load(NODES, [
      serial('one', 'meter', 'dsmr45'),
      serial('two', 'old meter', 'dsmr23'),
      ...p1InWithOutputs('in1', 'one'),
      ...p1InWithOutputs('in2', 'two'),
    ]);
    const r1 = recorder('in1-out');
    const health2 = recorder('in2-health');
    await waitFor(() => statusesOf('in2').at(-1)?.fill === 'red', 'the second to fail');
    assert.match(statusesOf('in2').at(-1)!.text!, /^failed: /);
    await waitFor(() => health2.length === 1, 'the health message of the second');
    assert.match(health2[0].payload.detail, /already opened by p1-connection "meter" with other settings \(dsmr45\)/);
    await waitFor(() => /^waiting for data/.test(statusesOf('in1').at(-1)?.text ?? ''), 'the first to open the port');
    pty.write(numberedTelegram(1));
    await waitFor(() => r1.length === 1, 'the first to keep reading');
  });
});
