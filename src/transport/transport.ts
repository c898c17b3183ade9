/**
 * The contract between a byte source and the connection that frames and parses its bytes.
 * Nothing outside `src/transport` touches `serialport` or `node:net`.
 */
import type { EventEmitter } from 'node:events';

/** What a transport reports about its link. The connection maps these (plus telegram arrival) to node status. */
export type TransportState =
  | { state: 'connecting'; detail?: string }
  /** The port is open or the socket connected; `detail` names it (e.g. "/dev/ttyUSB0 115200 8N1"). */
  | { state: 'connected'; detail?: string }
  /** Lost or could not open; the next attempt starts in `inMs`. `reason` is the last error, for the status. */
  | { state: 'reconnecting'; inMs: number; reason: string }
  /** Given up for good (bad configuration that retrying cannot fix). */
  | { state: 'failed'; reason: string }
  /** Stopped: by `close()`, or by itself after a natural end (`detail`, e.g. "replay finished"). */
  | { state: 'closed'; detail?: string };

/**
 * A source of P1 bytes. Emits:
 * - `'data'` (chunk: Buffer) — bytes as they arrive, in any chunking;
 * - `'state'` (state: TransportState) — every state change;
 * - `'source'` (id: string) — for multi-client sources (TCP server): which client the next
 *   `'data'` chunks come from, so each client is framed separately. Single-link transports never emit it.
 *
 * Never emits `'error'`: failures become states. Reconnects by itself until closed.
 */
export interface Transport extends EventEmitter {
  /** Start (or restart after `close`). Returns at once; progress is reported through `'state'`. */
  open(): void;
  /** Stop for good and release the port/socket/timers. Resolves only when the OS resource is really released. Safe to call twice. */
  close(): Promise<void>;
  /** Short human description for logs and status, e.g. "tcp 192.168.1.50:8088". */
  readonly description: string;
}
