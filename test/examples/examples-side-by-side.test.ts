/**
 * The examples as a newcomer uses them: imported one after another into one Node-RED and
 * deployed together. Node-RED's import asks about "nodes that already exist" for any id it
 * knows, two config nodes with one name cannot be told apart in the dialogs, and two serial
 * connections on one port only work when their settings let them share it.
 */
import assert from 'node:assert/strict';
import { exampleFiles, loadExample, type FlowNode } from '../support/example-flows';

const examples = exampleFiles().map((file) => ({ file, nodes: loadExample(file) }));
const isConfigNode = (node: FlowNode) => !Array.isArray(node.wires) && node.type !== 'tab';

/** What decides whether two serial connections can share one open port (the connection pool's rule) and read the same meter. */
function serialSettings(node: FlowNode): string {
  const custom = node.serialFraming === 'custom' ? [node.baudRate, node.dataBits, node.parity, node.stopBits] : [];
  return JSON.stringify([node.serialFraming, ...custom]);
}

describe('examples side by side', () => {
  it('no node id appears in two examples (no "nodes that already exist" on import)', () => {
    const fileOf = new Map<string, string>();
    for (const { file, nodes } of examples) {
      for (const node of nodes) {
        const earlier = fileOf.get(node.id);
        assert.ok(earlier === undefined || earlier === file, `${node.id} (${node.type}) is in "${earlier}" and "${file}"`);
        fileOf.set(node.id, file);
      }
    }
  });

  it('no two config nodes of one type share a name across examples', () => {
    const fileOf = new Map<string, string>();
    for (const { file, nodes } of examples) {
      for (const node of nodes.filter(isConfigNode)) {
        if (!node.name) continue;
        const key = `${node.type} "${node.name}"`;
        assert.ok(!fileOf.has(key), `${key} in "${fileOf.get(key)}" and "${file}"`);
        fileOf.set(key, file);
      }
    }
  });

  it('serial connections on one port have the settings that share it, and read one (unencrypted) meter', () => {
    const onPort = new Map<string, { file: string; settings: string; encrypted: boolean }>();
    // An example whose comment asks for a decryption key reads an encrypted meter: a meter of its own.
    const serial = examples.flatMap(({ file, nodes }) =>
      nodes
        .filter((n) => n.type === 'p1-connection' && n.source === 'serial')
        .map((node) => ({ file, node, encrypted: String(nodes[0].info).includes('decryption key') })),
    );
    assert.ok(serial.length > 1, 'several serial examples');
    for (const { file, node, encrypted } of serial) {
      const port = String(node.serialPort);
      const here = { file, settings: serialSettings(node), encrypted };
      const earlier = onPort.get(port);
      if (earlier) {
        assert.equal(here.settings, earlier.settings, `${port}: "${file}" cannot share the port with "${earlier.file}"`);
        assert.ok(
          !here.encrypted && !earlier.encrypted,
          `${port}: the encrypted meter of "${here.encrypted ? file : earlier.file}" is another meter than that of "${here.encrypted ? earlier.file : file}"`,
        );
      } else {
        onPort.set(port, here);
      }
    }
  });
});
