/**
 * The few Node-RED runtime shapes our nodes use. Small local interfaces instead of a heavy
 * @types package: they document exactly which parts of the runtime API we depend on.
 */

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** A message as Node-RED passes it between nodes. */
export interface NodeMessage {
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

/** The node instance `RED.nodes.createNode(this, config)` sets up. */
export interface RuntimeNode {
  readonly id: string;
  name?: string;
  credentials?: Record<string, string | undefined>;
  status(status: NodeStatus): void;
  send(msg: NodeMessage | null | Array<NodeMessage | null>): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
}

/** The `send` and `done` of an input handler: one entry per output port (an array sends several messages on that port). */
export type SendPorts = Array<NodeMessage | NodeMessage[] | null>;
export type InputHandler = (msg: NodeMessage, send: (msgs: SendPorts) => void, done: (err?: Error) => void) => void;

/** A node with an input port. */
export interface InputNode extends RuntimeNode {
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  on(event: 'input', handler: InputHandler): void;
}

/** Basic properties every node's configuration carries. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
}

export type Translate = (key: string, substitutions?: Record<string, unknown>) => string;

export type HttpHandler = (req: unknown, res: { json(body: unknown): void; status(code: number): { json(body: unknown): void } }) => void;

/** The `RED` object Node-RED hands to a node module. */
export interface NodeRedApi {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    // biome-ignore lint/complexity/noBannedTypes: Node-RED takes any node constructor, each with its own `this` and config type.
    registerType(type: string, ctor: Function, options?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): unknown;
  };
  httpAdmin: { get(path: string, ...handlers: unknown[]): void };
  /** Runtime events, e.g. 'flows:started' after every deploy. */
  events: { on(event: string, listener: () => void): void; removeListener(event: string, listener: () => void): void };
  auth?: { needsPermission(permission: string): unknown };
  util: {
    getMessageProperty(msg: NodeMessage, path: string): unknown;
    cloneMessage<T extends NodeMessage>(msg: T): T;
  };
  _: Translate;
}
