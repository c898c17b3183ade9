/**
 * The connection state machine: what a p1-connection is doing right now, derived from its
 * transport's states, telegram arrivals, reader problems and a stall watchdog.
 *
 * Pure: no timers, no Node-RED. The owner feeds events in (`nextConnectionState`) and asks
 * when to fire the stall watchdog (`stallDelayMs`). The nodes derive their status and the
 * health output from the resulting state; this module knows nothing of Node-RED.
 */
import type { TransportState } from '../transport/transport';

export type ConnectionPhase = 'idle' | 'connecting' | 'waiting' | 'receiving' | 'stalled' | 'reconnecting' | 'closed' | 'failed';

/** A few live values of the last telegram, for the status line. */
export interface TelegramSummary {
  /** Power drawn from the grid (1-0:1.7.0) and fed back (1-0:2.7.0), `null` when not sent. */
  delivered: number | null;
  returned: number | null;
  /** Unit of the power values as the meter sent them (kW, or W for some meters). */
  unit: string;
  /** Wall-clock time of the telegram, HH:MM:SS in the meter's time. */
  time: string;
}

export type ConnectionState =
  /** Configured, but no user node has asked for data yet. */
  | { phase: 'idle' }
  | { phase: 'connecting'; detail?: string }
  /** The link is up but no telegram has arrived yet. `problem` is the last reader complaint (e.g. wrong key). */
  | { phase: 'waiting'; detail?: string; problem?: string }
  | { phase: 'receiving'; detail?: string; summary: TelegramSummary }
  /** The link is up, telegrams were arriving, and none came for a few intervals. */
  | { phase: 'stalled'; detail?: string; silentForMs: number; problem?: string }
  | { phase: 'reconnecting'; inMs: number; reason: string }
  /** Stopped; `detail` says why when the source ended by itself (e.g. "replay finished"). */
  | { phase: 'closed'; detail?: string }
  /** Bad configuration or a fault retrying cannot fix. */
  | { phase: 'failed'; reason: string };

export type ConnectionEvent =
  | { type: 'transport'; state: TransportState }
  | { type: 'telegram'; summary: TelegramSummary }
  | { type: 'problem'; message: string }
  | { type: 'stall-check'; silentForMs: number };

export function nextConnectionState(current: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'transport':
      // A link that is up reporting new details (a TCP server's client count, a serial garbage
      // warning cleared) while telegrams flow is still receiving: no new phase, no health message.
      if (current.phase === 'receiving' && event.state.state === 'connected') return { ...current, detail: event.state.detail };
      return fromTransport(event.state);
    case 'telegram':
      // A telegram proves the link is up even if the transport never said 'connected' (replay, simulator).
      if (current.phase === 'closed' || current.phase === 'failed' || current.phase === 'idle') return current;
      return { phase: 'receiving', detail: linkDetail(current), summary: event.summary };
    case 'problem':
      if (current.phase === 'waiting' || current.phase === 'stalled') return { ...current, problem: event.message };
      return current;
    case 'stall-check':
      if (current.phase !== 'receiving') return current;
      return { phase: 'stalled', detail: current.detail, silentForMs: event.silentForMs };
  }
}

function fromTransport(state: TransportState): ConnectionState {
  switch (state.state) {
    case 'connecting':
      return { phase: 'connecting', detail: state.detail };
    case 'connected':
      return { phase: 'waiting', detail: state.detail };
    case 'reconnecting':
      return { phase: 'reconnecting', inMs: state.inMs, reason: state.reason };
    case 'failed':
      return { phase: 'failed', reason: state.reason };
    case 'closed':
      return { phase: 'closed', detail: state.detail };
  }
}

function linkDetail(state: ConnectionState): string | undefined {
  return 'detail' in state ? state.detail : undefined;
}

/** Never call a link stalled sooner than this, so that scheduling hiccups do not make the status flicker. */
export const MIN_STALL_MS = 2000;
/** Before two telegrams have been seen, assume the slowest common meter (DSMR 2.2–4: one telegram per 10 s). */
export const DEFAULT_TELEGRAM_INTERVAL_MS = 10_000;

/**
 * How long after the last telegram the link counts as stalled: about three telegram
 * intervals, learned from the gap between the last two telegrams.
 */
export function stallDelayMs(lastIntervalMs: number | null): number {
  const interval = lastIntervalMs && lastIntervalMs > 0 ? lastIntervalMs : DEFAULT_TELEGRAM_INTERVAL_MS;
  return Math.max(MIN_STALL_MS, 3 * interval);
}

/**
 * Whether a state change is worth a health message: a new phase. One retry is one message:
 * 'reconnecting' says the link is lost and when the next attempt starts, so the 'connecting'
 * of that attempt adds nothing. New reasons, problems and live values within a phase show in
 * the status only, so that a stream of different problems cannot become a stream of messages.
 */
export function isSignificantChange(before: ConnectionState, after: ConnectionState): boolean {
  if (before.phase === 'reconnecting' && after.phase === 'connecting') return false;
  return before.phase !== after.phase;
}
