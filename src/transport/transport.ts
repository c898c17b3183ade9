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

/** A TCP-server client turned away at the door (`refused`) or disconnected later (`dropped`). */
export interface ClientRejection {
  kind: 'refused' | 'dropped';
  /** "192.168.1.7:51234". */
  client: string;
  /** Why, in words, e.g. "not in the allowed clients" or "no data for 60 s". */
  reason: string;
}

/**
 * A source of P1 bytes. Emits:
 * - `'data'` (chunk: Buffer, stream: string) — bytes as they arrive, in any chunking. `stream`
 *   names the byte stream they belong to: the client ("192.168.1.7:51234") for a TCP server,
 *   so that each client is framed separately; absent (or '') for single-link transports;
 * - `'stream-end'` (stream: string) — a multi-client source's client is gone: what it left
 *   unfinished can be forgotten;
 * - `'rejected'` (rejection: ClientRejection) — a multi-client source refused or dropped a client;
 * - `'state'` (state: TransportState) — every state change.
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
  /** Multi-client sources only: disconnect one stream (e.g. a client sending only garbage); reported as `'rejected'`. */
  dropStream?(stream: string, reason: string): void;
}
