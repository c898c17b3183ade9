/**
 * p1-in: emits one message per telegram from a p1-connection (output 1) and one per change of
 * the connection's phase with the health counters (output 2, at most one per second). Its
 * status mirrors the connection's state, in the words of p1-connection's message catalog.
 */
import type { ConnectionState } from '../connection/connection-state';
import { EmitGate } from './p1-in/emit-gate';
import { FlowsStartedQueue } from './p1-in/flows-started';
import { HealthPacer } from './p1-in/health-pacer';
import type { ConnectionHealth, ConnectionUser } from '../connection/meter-connection';
import type { NodeDef, NodeMessage, NodeRedApi, RuntimeNode } from './common/node-red';
import type { P1ConnectionNode } from './common/connection-node';
import { defaultTopic, isOutputMode, telegramMessage } from './common/telegram-message';

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
    const configNode = config.connection ? (RED.nodes.getNode(config.connection) as Partial<P1ConnectionNode> | null) : null;
    const connection = configNode?.connection;
    const statusFor = configNode?.statusFor;
    const describe = configNode?.describe;
    if (!connection || !statusFor || !describe) {
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

    // Counters are read when the message goes out, so a delayed message carries current numbers.
    const health = new HealthPacer<ConnectionState>((state) => node.send([null, healthMessage(state, describe(state), connection.health())]));
    const user: ConnectionUser = {
      onTelegram(telegram, raw, stream) {
        if (!gate.admit(telegram, Date.now())) return;
        node.send([telegramMessage(output, telegram, raw, topic || defaultTopic(telegram, connection.sourceName, stream)), null]);
      },
      onState(state, significant) {
        node.status(statusFor(state));
        if (significant && state.phase !== 'idle') health.offer(state);
      },
    };
    // The first health message ('connecting', or 'failed' for a bad configuration) needs the nodes
    // wired to output 2, which Node-RED may still be creating: subscribe once the flows have started.
    const subscribe = () => connection.subscribe(user);
    afterFlowsStarted.add(subscribe);
    node.on('close', (_removed, done) => {
      afterFlowsStarted.cancel(subscribe);
      health.cancel();
      connection.unsubscribe(user).then(done, done);
    });
  }

  RED.nodes.registerType('p1-in', P1In);
};

function healthMessage(state: ConnectionState, detail: string, counters: ConnectionHealth): NodeMessage {
  return { topic: 'health', payload: { state: state.phase, detail, counters } };
}
