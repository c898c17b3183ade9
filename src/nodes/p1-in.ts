/**
 * p1-in: emits one message per telegram from a p1-connection (output 1) and one per connection
 * state change with the health counters (output 2). Its status mirrors the connection's state.
 */
import type { ConnectionState } from '../connection/connection-state';
import { EmitGate } from './p1-in/emit-gate';
import { FlowsStartedQueue } from './p1-in/flows-started';
import type { ConnectionHandle, ConnectionHealth, ConnectionUser } from '../connection/meter-connection';
import type { NodeDef, NodeMessage, NodeRedApi, RuntimeNode } from './shared/node-red';
import { defaultTopic, isOutputMode, telegramMessage } from './shared/telegram-message';

interface P1InConfig extends NodeDef {
  connection?: string;
  output?: string;
  topic?: string;
  /** Seconds between two emitted telegrams; 0 = every telegram. */
  rateLimit?: number | string;
  changeField?: string;
}

export = function registerP1In(RED: NodeRedApi): void {
  const afterFlowsStarted = new FlowsStartedQueue(RED.events);

  function P1In(this: RuntimeNode, config: P1InConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const configNode = config.connection ? (RED.nodes.getNode(config.connection) as { connection?: ConnectionHandle } | null) : null;
    const connection = configNode?.connection;
    if (!connection) {
      node.status({ fill: 'red', shape: 'dot', text: RED._('p1-in.status.noConnection') });
      node.error(RED._('p1-in.errors.noConnection'));
      return;
    }

    const output = isOutputMode(config.output) ? config.output : 'parsed';
    const topic = (config.topic ?? '').trim();
    const rateLimitSeconds = Number(config.rateLimit);
    const gate = new EmitGate({
      rateLimitMs: Number.isFinite(rateLimitSeconds) && rateLimitSeconds > 0 ? rateLimitSeconds * 1000 : 0,
      changeField: (config.changeField ?? '').trim(),
    });

    const user: ConnectionUser = {
      onTelegram(telegram, raw, stream) {
        if (!gate.admit(telegram, Date.now())) return;
        node.send([telegramMessage(output, telegram, raw, topic || defaultTopic(telegram, connection.sourceName, stream)), null]);
      },
      onState(state, significant) {
        const status = connection.describe(state);
        node.status(status);
        if (significant && state.phase !== 'idle') node.send([null, healthMessage(state, status.text ?? '', connection.health())]);
      },
    };
    // The first health message ('connecting', or 'failed' for a bad configuration) needs the nodes
    // wired to output 2, which Node-RED may still be creating: subscribe once the flows have started.
    const subscribe = () => connection.subscribe(user);
    afterFlowsStarted.add(subscribe);
    node.on('close', (_removed, done) => {
      afterFlowsStarted.cancel(subscribe);
      connection.unsubscribe(user).then(done, done);
    });
  }

  RED.nodes.registerType('p1-in', P1In);
};

function healthMessage(state: ConnectionState, detail: string, counters: ConnectionHealth): NodeMessage {
  return { topic: 'health', payload: { state: state.phase, detail, counters } };
}
