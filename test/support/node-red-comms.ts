/**
 * Listens to a running Node-RED's editor websocket (/comms), the channel the debug sidebar
 * and node status use, so end-to-end tests observe what a user would see without changing
 * the flow under test. The websocket client is the `ws` package Node-RED itself ships.
 */
import { NODE_RED_PATH } from './node-red';

/** One message shown in the debug sidebar. */
export interface DebugMessage {
  /** Id and name of the debug node. */
  id: string;
  name: string;
  topic?: string;
  /** The message (or property) the debug node shows, decoded from its sidebar encoding. */
  value: unknown;
}

/** One node status update. */
export interface StatusUpdate {
  id: string;
  text?: string;
  fill?: string;
  shape?: string;
}

interface WebSocketLike {
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer | string) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string): void;
  close(): void;
}

type WebSocketClass = new (url: string) => WebSocketLike;

export class NodeRedComms {
  readonly debug: DebugMessage[] = [];
  readonly status: StatusUpdate[] = [];
  /** Flow revisions Node-RED has finished starting. */
  private readonly started = new Set<string>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: WebSocketLike) {
    socket.on('message', (data) => this.receive(String(data)));
  }

  /** Opens /comms and subscribes to debug messages and node status. */
  static connect(baseUrl: string): Promise<NodeRedComms> {
    const WebSocket = require(require.resolve('ws', { paths: [NODE_RED_PATH] })) as WebSocketClass;
    const socket = new WebSocket(new URL('comms', baseUrl.replace(/^http/, 'ws')).toString());
    return new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('open', () => {
        socket.send(JSON.stringify({ subscribe: 'debug' }));
        socket.send(JSON.stringify({ subscribe: 'status/#' }));
        socket.send(JSON.stringify({ subscribe: 'notification/runtime-deploy' }));
        resolve(new NodeRedComms(socket));
      });
    });
  }

  /** Forgets everything received so far (between deploys). */
  clear(): void {
    this.debug.length = 0;
    this.status.length = 0;
  }

  /** The debug messages from the debug node named `name`. */
  from(name: string): DebugMessage[] {
    return this.debug.filter((m) => m.name === name);
  }

  /**
   * Resolves with the first debug message of node `name` that satisfies `accept`, waiting up to
   * timeoutMs; rejects with what did arrive otherwise.
   */
  waitForDebug(name: string, accept: (m: DebugMessage) => boolean = () => true, timeoutMs = 20000): Promise<DebugMessage> {
    return this.waitFor(
      () => this.from(name).find(accept),
      timeoutMs,
      () => `no matching debug message from "${name}"; got:\n${this.describe()}`,
    );
  }

  /** Resolves once Node-RED has started the flows of revision `rev` (a deploy answers before that). */
  waitForDeploy(rev: string, timeoutMs = 20000): Promise<string> {
    return this.waitFor(
      () => (this.started.has(rev) ? rev : undefined),
      timeoutMs,
      () => `flows ${rev} not started`,
    );
  }

  /** Resolves with the first status of node `id` that satisfies `accept`. */
  waitForStatus(id: string, accept: (s: StatusUpdate) => boolean, timeoutMs = 20000): Promise<StatusUpdate> {
    return this.waitFor(
      () => this.status.find((s) => s.id === id && accept(s)),
      timeoutMs,
      () => `no matching status from ${id}; got: ${JSON.stringify(this.status.filter((s) => s.id === id))}`,
    );
  }

  close(): void {
    this.socket.close();
  }

  private waitFor<T>(find: () => T | undefined, timeoutMs: number, explain: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = find();
        if (found === undefined) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== listener);
        resolve(found);
        return true;
      };
      const listener = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== listener);
        reject(new Error(explain()));
      }, timeoutMs);
      if (!check()) this.waiters.push(listener);
    });
  }

  private receive(text: string): void {
    let packets: Array<{ topic: string; data: Record<string, unknown> }>;
    try {
      const parsed = JSON.parse(text);
      packets = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return;
    }
    for (const { topic, data } of packets) {
      if (topic === 'debug') {
        this.debug.push({ id: String(data.id), name: String(data.name ?? ''), topic: data.topic as string | undefined, value: decode(data.msg, data.format) });
      } else if (topic === 'notification/runtime-deploy') {
        this.started.add(String((data as { revision?: unknown }).revision));
      } else if (typeof topic === 'string' && topic.startsWith('status/')) {
        this.status.push({ id: topic.slice('status/'.length), ...(data as object) });
      }
    }
    for (const waiter of [...this.waiters]) waiter();
  }

  private describe(): string {
    return this.debug.map((m) => `  ${m.name}: ${JSON.stringify(m.value).slice(0, 300)}`).join('\n') || '  (nothing)';
  }
}

/** The sidebar sends objects and arrays as JSON text, numbers and booleans as their text, strings as is. */
function decode(msg: unknown, format: unknown): unknown {
  if (typeof msg !== 'string') return msg;
  const kind = String(format ?? '');
  if (kind === 'number') return Number(msg);
  if (kind === 'boolean') return msg === 'true';
  if (kind === 'Object' || kind.startsWith('array') || kind === 'null') {
    try {
      return JSON.parse(msg);
    } catch {
      return msg;
    }
  }
  return msg;
}
