/**
 * Lets several p1-connection nodes read one physical port without opening it twice, as
 * Node-RED core's serial node does with its pool keyed by the port path. Each connection
 * gets a lease: a Transport of its own that opens the shared one when the first lease opens,
 * closes it when the last one closes, and passes its states and bytes on while open.
 *
 * The pool belongs to whoever creates it (the p1-connection node type, once per runtime),
 * never to the module. No Node-RED in here.
 */
import { EventEmitter } from 'node:events';
import type { Transport, TransportState } from '../transport/transport';

interface PoolEntry {
  transport: Transport;
  /** What must match for a second user to share (e.g. the serial framing). */
  settings: string;
  /** Who opened it first, for the message that refuses a mismatch. */
  owner: string;
  leases: Set<TransportLease>;
  openLeases: number;
  lastState: TransportState | undefined;
}

export type LeaseResult = { ok: true; transport: TransportLease } | { ok: false; reason: string };

export class TransportPool {
  private readonly entries = new Map<string, PoolEntry>();

  /**
   * A lease on the transport for `key` (e.g. the serial port path), created by `create` for the
   * first user. A second user with different `settings` cannot share: the reason says why.
   */
  lease(key: string, settings: string, owner: string, create: () => Transport): LeaseResult {
    let entry = this.entries.get(key);
    if (entry && entry.settings !== settings) {
      return {
        ok: false,
        reason: `${key} is already opened by ${entry.owner} with other settings (${entry.settings}); use the same settings to share the port`,
      };
    }
    if (!entry) {
      const transport = create();
      const created: PoolEntry = { transport, settings, owner, leases: new Set(), openLeases: 0, lastState: undefined };
      transport.on('state', (state: TransportState) => (created.lastState = state));
      this.entries.set(key, created);
      entry = created;
    }
    const lease = new TransportLease(entry, () => this.forget(key, entry));
    entry.leases.add(lease);
    return { ok: true, transport: lease };
  }

  private forget(key: string, entry: PoolEntry): void {
    if (entry.leases.size === 0 && this.entries.get(key) === entry) this.entries.delete(key);
  }
}

/** One user's view of a shared transport. Call `release()` once it is closed for good. */
export class TransportLease extends EventEmitter implements Transport {
  readonly description: string;
  private isOpen = false;
  private readonly forward = new Map<string, (...args: unknown[]) => void>();

  constructor(
    private readonly entry: PoolEntry,
    private readonly onRelease: () => void,
  ) {
    super();
    this.description = entry.transport.description;
    for (const event of ['state', 'data', 'stream-end', 'rejected']) {
      const listener = (...args: unknown[]) => {
        if (this.isOpen) this.emit(event, ...args);
      };
      this.forward.set(event, listener);
      entry.transport.on(event, listener);
    }
  }

  open(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.entry.openLeases++;
    if (this.entry.openLeases === 1) this.entry.transport.open();
    // Joining a port that is already open: start from where it is.
    else if (this.entry.lastState) this.emit('state', this.entry.lastState);
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.entry.openLeases--;
    if (this.entry.openLeases === 0) await this.entry.transport.close();
    this.emit('state', { state: 'closed' } satisfies TransportState);
  }

  dropStream(stream: string, reason: string): void {
    this.entry.transport.dropStream?.(stream, reason);
  }

  /** This user is gone for good (its node closed); the pool forgets the port when no lease is left. */
  release(): void {
    if (!this.entry.leases.delete(this)) return;
    for (const [event, listener] of this.forward) this.entry.transport.removeListener(event, listener);
    this.onRelease();
  }
}
