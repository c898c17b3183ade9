/**
 * Runs one line check: listens to a serial port or TCP bridge for a few seconds and hands the
 * bytes to a LineRecorder. Either it opens the port itself (and closes it again before it
 * answers), or, when a deployed connection already reads that port, it listens along with that
 * connection: a port is never opened twice and the deployed connection loses no telegram.
 */
import type { Transport, TransportState } from '../../transport/transport';
import type { ConnectionState } from '../connection-state';
import type { ConnectionUser } from '../meter-connection';
import { cannotOpen, LineRecorder, type LineCheckResult, type LineCheckSetup } from './line-diagnosis';

/** What a deployed connection offers a check: a user slot (keeps the port open) and its raw bytes. */
export interface RunningConnection {
  subscribe(user: ConnectionUser): void;
  unsubscribe(user: ConnectionUser): Promise<void>;
  /** Calls `listener` with every chunk read until the returned function is called. */
  observeBytes(listener: (chunk: Buffer) => void): () => void;
}

export type LineSource = { kind: 'own'; transport: Transport } | { kind: 'shared'; connection: RunningConnection };

/** Two whole frames are enough to judge the line and measure the interval: stop early then. */
const ENOUGH_FRAMES = 2;

export function runLineCheck(setup: LineCheckSetup, source: LineSource, listenMs: number): Promise<LineCheckResult> {
  return source.kind === 'own' ? listenOwn(setup, source.transport, listenMs) : listenShared(setup, source.connection, listenMs);
}

async function listenOwn(setup: LineCheckSetup, transport: Transport, listenMs: number): Promise<LineCheckResult> {
  const recorder = new LineRecorder(setup);
  const started = Date.now();
  let failure: string | undefined;
  const finished = listen(listenMs, (stop) => {
    transport.on('data', (chunk: Buffer) => {
      recorder.push(chunk, Date.now());
      if (recorder.frames >= ENOUGH_FRAMES) stop();
    });
    transport.on('state', (state: TransportState) => {
      // The first failure to open or connect is the answer; no point in waiting for a retry.
      if (recorder.bytes === 0 && (state.state === 'reconnecting' || state.state === 'failed')) {
        failure = state.reason;
        stop();
      }
    });
  });
  transport.open();
  await finished;
  await transport.close();
  transport.removeAllListeners();
  const listened = Date.now() - started;
  return failure !== undefined && recorder.bytes === 0 ? cannotOpen(setup, failure, listened) : recorder.result(listened);
}

async function listenShared(setup: LineCheckSetup, connection: RunningConnection, listenMs: number): Promise<LineCheckResult> {
  const recorder = new LineRecorder(setup);
  const started = Date.now();
  let state: ConnectionState = { phase: 'idle' };
  let stopObserving = () => {};
  // A user of its own keeps the port open for the check, also when no p1-in uses the connection.
  const user: ConnectionUser = { onTelegram: () => {}, onState: (s) => (state = s) };
  await listen(listenMs, (stop) => {
    stopObserving = connection.observeBytes((chunk) => {
      recorder.push(chunk, Date.now());
      if (recorder.frames >= ENOUGH_FRAMES) stop();
    });
    connection.subscribe(user);
  });
  stopObserving();
  await connection.unsubscribe(user);
  const listened = Date.now() - started;
  const last = state as ConnectionState; // set by the user's onState while listening
  const result = recorder.bytes === 0 && 'reason' in last ? cannotOpen(setup, last.reason, listened) : recorder.result(listened);
  return { ...result, shared: true };
}

/** Resolves after `ms`, or earlier when `start`'s `stop` is called. */
function listen(ms: number, start: (stop: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    start(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
