/**
 * Runs callbacks once Node-RED has started the flows being deployed ('flows:started'), when
 * every node, including the ones wired to ours, exists. A node that sends a message from its
 * constructor risks Node-RED dropping it, because the receiving node is not created yet.
 *
 * One queue per node type holds at most one runtime listener, however many nodes wait, and
 * removes it when the queue is empty (no MaxListenersExceeded warnings, nothing left behind).
 */
import type { NodeRedApi } from '../common/node-red';

export class FlowsStartedQueue {
  private readonly pending = new Set<() => void>();
  private readonly runPending = (): void => {
    this.events.removeListener('flows:started', this.runPending);
    const callbacks = [...this.pending];
    this.pending.clear();
    for (const callback of callbacks) callback();
  };

  constructor(private readonly events: NodeRedApi['events']) {}

  add(callback: () => void): void {
    if (this.pending.size === 0) this.events.on('flows:started', this.runPending);
    this.pending.add(callback);
  }

  /** For a node closed before the flows started. */
  cancel(callback: () => void): void {
    if (this.pending.delete(callback) && this.pending.size === 0) this.events.removeListener('flows:started', this.runPending);
  }
}
