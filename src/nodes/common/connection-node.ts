/**
 * What a p1-in sees of its p1-connection config node: the connection, and the status for a
 * connection state in p1-connection's own words (Node-RED gives each node type only its own
 * message catalog, so the config node translates for the nodes that use it).
 */
import type { ConnectionState } from '../../connection/connection-state';
import type { ConnectionHandle } from '../../connection/meter-connection';
import type { NodeStatus, RuntimeNode } from './node-red';

export interface P1ConnectionNode extends RuntimeNode {
  connection: ConnectionHandle;
  statusFor(state: ConnectionState): NodeStatus;
  /** The state in full words (the reason too): the health message's detail. */
  describe(state: ConnectionState): string;
}
