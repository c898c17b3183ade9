/**
 * `p1-parse`: turns telegrams that arrive as messages (whole, several at once, or in
 * arbitrary fragments from MQTT or a `tcp in` node) into the same messages `p1-in` sends.
 * Fragments are reassembled per source (`msg[sourceKey]`), each source with its own bounded
 * reader; the set of sources is bounded too.
 */
import type { P1Telegram } from '../protocol/types';
import { readReaderSettings } from '../connection/connection-config';
import { ParseCounters, describeProblems, seriousProblems } from './p1-parse/parse-counters';
import { isOutputMode, telegramMessage, type OutputMode } from './common/telegram-message';
import { SourceReaders } from '../connection/source-readers';
import type { InputNode, NodeDef, NodeMessage, NodeRedApi } from './common/node-red';

interface P1ParseDef extends NodeDef {
  property?: string;
  sourceKey?: string;
  output?: OutputMode;
  crcPolicy?: string;
  timezone?: string;
  maxTelegramSize?: number | string;
  allowUnauthenticated?: boolean | string;
}

export = function register(RED: NodeRedApi): void {
  function P1ParseNode(this: InputNode, def: P1ParseDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const property = def.property || 'payload';
    const sourceKey = def.sourceKey || 'topic';
    const output: OutputMode = isOutputMode(def.output) ? def.output : 'parsed';
    const settings = readReaderSettings(def, node.credentials ?? {});
    if (!settings.ok) {
      // Invalid settings (only possible by editing the flow file): refuse every input with the reason.
      node.status({ fill: 'red', shape: 'dot', text: settings.reason });
      node.on('input', (_msg, _send, done) => done(new Error(settings.reason)));
      return;
    }
    const crcPolicy = settings.reader.crcPolicy;

    const readers = new SourceReaders(settings.reader);
    const counters = new ParseCounters();
    let shownStatus = '';

    /** The input message with the telegram in it, shaped exactly as p1-in shapes it (topic kept). */
    function toMessage(msg: NodeMessage, telegram: P1Telegram, raw: string): NodeMessage {
      const { topic: _unused, ...shaped } = telegramMessage(output, telegram, raw, '');
      return Object.assign(msg, shaped);
    }

    function showCounts(): void {
      const status = counters.status(RED._);
      if (status.text === shownStatus) return;
      shownStatus = status.text ?? '';
      node.status(status);
    }

    node.on('input', (msg, send, done) => {
      try {
        const input = RED.util.getMessageProperty(msg, property);
        if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
          done(new Error(RED._('p1-parse.errors.notTelegramInput', { property: `msg.${property}`, type: describeType(input) })));
          return;
        }
        const source = String(RED.util.getMessageProperty(msg, sourceKey) ?? '');
        const { telegrams, problems } = readers.push(source, input);

        counters.add(telegrams.length, problems);
        showCounts();
        const serious = seriousProblems(problems, telegrams.length, crcPolicy);
        if (telegrams.length > 0) {
          // The last telegram reuses the input message, unless a Catch node must still see that
          // message as it came in; copies are made before it is changed.
          const reuseLast = serious.length === 0;
          const messages = telegrams.map(({ telegram, raw }, i) =>
            toMessage(reuseLast && i === telegrams.length - 1 ? msg : RED.util.cloneMessage(msg), telegram, raw),
          );
          send([messages]);
        }
        // At most one error per input message, of bounded length: problems are counted, not copied.
        done(serious.length > 0 ? new Error(describeProblems(problems, serious)) : undefined);
      } catch (err) {
        // The protocol layer promises not to throw; this keeps a broken promise from stalling the flow.
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    node.on('close', (_removed, closed) => {
      readers.clear();
      closed();
    });
  }

  RED.nodes.registerType('p1-parse', P1ParseNode, {
    credentials: { decryptionKey: { type: 'password' }, authenticationKey: { type: 'password' } },
  });
};

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
