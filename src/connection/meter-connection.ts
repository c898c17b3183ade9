/**
 * One meter connection: a transport, a P1Reader per byte stream, the connection state machine,
 * a stall watchdog, health counters and the list of nodes using it. No Node-RED in here: the
 * p1-connection config node wraps it (config, credentials, logging, close handler), and the
 * nodes turn the states it reports into their status.
 *
 * Reference counted: the transport opens when the first user subscribes and closes when the
 * last one leaves; `shutdown()` resolves only once the port or socket is really released.
 * With a splitter (serving telegrams to other programs on a TCP port), the splitter counts as a
 * user for as long as the connection lives: it gets the raw text of every telegram that passed
 * the CRC (the plaintext of an encrypted one), byte for byte.
 */
import { DEFAULT_MAX_TELEGRAM_SIZE } from '../protocol/framer';
import { P1Reader, type ReaderOptions, type ReaderProblem, type ReaderStats } from '../protocol/reader';
import type { P1Telegram } from '../protocol/types';
import type { SplitterServer } from '../transport/splitter-server';
import type { ClientRejection, Transport, TransportState } from '../transport/transport';
import { isSignificantChange, nextConnectionState, stallDelayMs, type ConnectionEvent, type ConnectionState } from './connection-state';
import { summarizeTelegram } from './telegram-summary';

/** What `health` reports, per connection (summed over all its byte streams). */
export interface ConnectionHealth {
  telegrams: number;
  crcFailures: number;
  bytesSkipped: number;
  droppedPartials: number;
  oversize: number;
  decryptFailures: number;
  reconnects: number;
  /** TCP server: clients turned away (allow list, client limit). */
  clientsRefused: number;
  /** TCP server: clients disconnected (idle, garbage only). */
  clientsDropped: number;
  /** Splitter: readers connected now, turned away (allow list, limit), and dropped for not keeping up. */
  readersConnected: number;
  readersRefused: number;
  readersDropped: number;
  /** ISO-8601 time of the last telegram passed on, `null` before the first. */
  lastTelegramAt: string | null;
}

export interface ConnectionUser {
  /** `source` names the byte stream: the client address for a TCP server, '' for single-link sources. */
  onTelegram(telegram: P1Telegram, raw: string, source: string): void;
  /** Every state change, including each new live summary while receiving; `significant` marks a change of phase worth a health message. */
  onState(state: ConnectionState, significant: boolean): void;
}

export interface ConnectionLog {
  /**
   * A problem worth a warning (reader complaints, link lost, a client refused); called for every
   * occurrence, the caller limits how often each `kind` is written. `kind` groups messages
   * that differ only in details (e.g. each CRC mismatch).
   */
  problem(message: string, kind: string): void;
  /** A problem retrying cannot fix. */
  failure(message: string): void;
  /** The link is (back) up: a problem seen before may be logged again when it recurs. */
  recovered(): void;
}

/**
 * A TCP-server client that sends this many times the maximum telegram size without one framed
 * telegram is sending garbage (or is not a meter at all), and is dropped.
 */
const GARBAGE_TELEGRAMS = 4;
/** A reader problem updates the state (and so every node's status) at most this often. */
const PROBLEM_STATE_INTERVAL_MS = 1000;

/** One byte stream's reader, and how much it has read since its last frame. */
interface Stream {
  reader: P1Reader;
  framesSeen: number;
  bytesSinceFrame: number;
}

export class MeterConnection implements ConnectionHandle {
  private readonly users = new Set<ConnectionUser>();
  /** Counters of streams that ended (TCP-server clients that left), so the totals never go backwards. */
  private readonly retired: ReaderStats = emptyStats();
  /** One reader per byte stream, for exactly as long as the stream lives. */
  private readonly streams = new Map<string, Stream>();
  private readonly garbageLimit: number;
  private stateValue: ConnectionState = { phase: 'idle' };
  private reconnects = 0;
  private clientsRefused = 0;
  private clientsDropped = 0;
  private lastTelegramAt: number | null = null;
  private lastIntervalMs: number | null = null;
  private lastProblemShownAt = -Infinity;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Settles when the last transport close finished; opening waits for it so a port is never opened twice. */
  private closing: Promise<void> = Promise.resolve();
  private open = false;
  /** Listeners to the raw bytes (a line check listening along): see `observeBytes`. */
  private readonly byteObservers = new Set<(chunk: Buffer) => void>();

  constructor(
    readonly sourceName: string,
    private readonly transport: Transport,
    private readonly readerOptions: ReaderOptions,
    private readonly log: ConnectionLog,
    private splitter?: SplitterServer,
  ) {
    this.garbageLimit = GARBAGE_TELEGRAMS * (readerOptions.maxTelegramSize ?? DEFAULT_MAX_TELEGRAM_SIZE);
    transport.on('state', (state: TransportState) => this.onTransportState(state));
    transport.on('data', (chunk: Buffer, stream?: string) => this.onData(chunk, stream ?? ''));
    transport.on('stream-end', (stream: string) => this.endStream(stream));
    transport.on('rejected', (rejection: ClientRejection) => this.onRejected(rejection));
    if (splitter) this.startSplitter(splitter);
  }

  private startSplitter(splitter: SplitterServer): void {
    splitter.on('rejected', (rejection: ClientRejection) => {
      this.log.problem(`${splitter.description}: ${rejection.kind} reader ${rejection.client}: ${rejection.reason}`, `reader ${rejection.kind}`);
    });
    splitter.on('state', (state: TransportState) => {
      if (state.state === 'reconnecting') this.log.problem(`${splitter.description}: ${state.reason}`, 'splitter');
    });
    splitter.open();
    void this.start();
  }

  /** Calls `listener` with every raw chunk read, until the returned function is called. Opens nothing. */
  observeBytes(listener: (chunk: Buffer) => void): () => void {
    this.byteObservers.add(listener);
    return () => this.byteObservers.delete(listener);
  }

  health(): ConnectionHealth {
    const totals = { ...this.retired };
    for (const { reader } of this.streams.values()) addStats(totals, reader.stats);
    return {
      telegrams: totals.emitted,
      crcFailures: totals.crcFailures,
      bytesSkipped: totals.bytesSkipped,
      droppedPartials: totals.droppedPartials,
      oversize: totals.oversize,
      decryptFailures: totals.decryptFailures,
      reconnects: this.reconnects,
      clientsRefused: this.clientsRefused,
      clientsDropped: this.clientsDropped,
      ...(this.splitter?.counts() ?? { readersConnected: 0, readersRefused: 0, readersDropped: 0 }),
      lastTelegramAt: this.lastTelegramAt === null ? null : new Date(this.lastTelegramAt).toISOString(),
    };
  }

  subscribe(user: ConnectionUser): void {
    this.users.add(user);
    user.onState(this.stateValue, true);
    if (this.users.size === 1) void this.start();
  }

  /** Resolves when, if this was the last user, the transport is closed. */
  unsubscribe(user: ConnectionUser): Promise<void> {
    if (this.users.delete(user) && !this.wanted()) this.stop();
    return this.closing;
  }

  /** Close for good (the config node is being stopped), the splitter too. */
  shutdown(): Promise<void> {
    this.users.clear();
    const splitter = this.splitter;
    this.splitter = undefined;
    this.stop();
    if (splitter) this.closing = Promise.all([this.closing, splitter.close()]).then(() => undefined);
    return this.closing;
  }

  /** Someone needs the telegrams: a node, or the splitter's readers. */
  private wanted(): boolean {
    return this.users.size > 0 || this.splitter !== undefined;
  }

  private async start(): Promise<void> {
    await this.closing;
    if (!this.wanted() || this.open) return;
    this.open = true;
    this.transport.open();
  }

  private stop(): void {
    this.clearStallTimer();
    if (!this.open) return;
    this.open = false;
    const previous = this.closing;
    this.closing = previous
      .then(() => this.transport.close())
      .catch((err: unknown) => this.log.problem(`closing ${this.transport.description}: ${String(err)}`, 'close'));
  }

  private onData(chunk: Buffer, id: string): void {
    for (const observe of this.byteObservers) this.deliver(() => observe(chunk));
    let stream = this.streams.get(id);
    if (!stream) {
      const reader = new P1Reader(this.readerOptions, {
        onTelegram: (telegram, raw) => this.onTelegram(telegram, raw, id),
        onProblem: (problem) => this.onProblem(problem),
      });
      stream = { reader, framesSeen: 0, bytesSinceFrame: 0 };
      this.streams.set(id, stream);
    }
    stream.reader.push(chunk);
    if (id !== '') this.checkForGarbage(id, stream, chunk.length);
  }

  /** A client of a multi-client source that sends bytes but never a telegram is not a meter: drop it. */
  private checkForGarbage(id: string, stream: Stream, bytes: number): void {
    const frames = stream.reader.stats.telegrams + stream.reader.stats.encryptedFrames;
    if (frames !== stream.framesSeen) {
      stream.framesSeen = frames;
      stream.bytesSinceFrame = 0;
      return;
    }
    stream.bytesSinceFrame += bytes;
    if (stream.bytesSinceFrame > this.garbageLimit && this.transport.dropStream) {
      stream.bytesSinceFrame = 0;
      this.transport.dropStream(id, `sent more than ${this.garbageLimit} bytes without a telegram`);
    }
  }

  /** The stream's socket is gone, and with it whatever it left unfinished; its counters stay in the totals. */
  private endStream(id: string): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    stream.reader.flush();
    addStats(this.retired, stream.reader.stats);
  }

  private onRejected(rejection: ClientRejection): void {
    if (rejection.kind === 'refused') this.clientsRefused++;
    else this.clientsDropped++;
    this.log.problem(`${this.transport.description}: ${rejection.kind} client ${rejection.client}: ${rejection.reason}`, `client ${rejection.kind}`);
  }

  private onTransportState(state: TransportState): void {
    if (state.state === 'reconnecting') this.reconnects++;
    if (state.state !== 'connected') {
      // A new link starts mid-telegram: whatever is buffered belongs to the old one.
      for (const id of [...this.streams.keys()]) {
        if (id === '') this.streams.get(id)?.reader.reset();
        else this.endStream(id);
      }
      this.clearStallTimer();
    }
    if (state.state === 'connected') this.log.recovered();
    if (state.state === 'failed') this.log.failure(state.reason);
    else if (state.state === 'reconnecting') this.log.problem(`${this.transport.description}: ${state.reason}`, 'link');
    this.apply({ type: 'transport', state });
  }

  private onTelegram(telegram: P1Telegram, raw: string, stream: string): void {
    const now = Date.now();
    if (this.lastTelegramAt !== null) this.lastIntervalMs = now - this.lastTelegramAt;
    this.lastTelegramAt = now;
    this.armStallTimer();
    this.apply({ type: 'telegram', summary: summarizeTelegram(telegram, new Date(now)) });
    if (this.splitter && telegram.crc.valid !== false) this.serve(this.splitter, raw);
    let first = true;
    for (const user of this.users) {
      // Each user gets its own copy, so one flow changing msg.payload cannot change another's.
      const copy = first ? telegram : structuredClone(telegram);
      first = false;
      this.deliver(() => user.onTelegram(copy, raw, stream));
    }
  }

  /**
   * Readers check the CRC themselves, so a telegram passed on flagged (crcPolicy "flag") is not
   * served. A decrypted plaintext that ends at its CRC (the Luxembourg specification's example)
   * gets a line end, or a reader would take the next telegram's "/" for part of this one.
   */
  private serve(splitter: SplitterServer, raw: string): void {
    splitter.send(Buffer.from(raw.endsWith('\n') ? raw : `${raw}\r\n`, 'latin1'));
  }

  private onProblem(problem: ReaderProblem): void {
    this.log.problem(problem.message, problem.kind);
    // Shown in the status while waiting for a first telegram; a flood of problems must not become a flood of statuses.
    const now = Date.now();
    if (now - this.lastProblemShownAt < PROBLEM_STATE_INTERVAL_MS) return;
    this.lastProblemShownAt = now;
    this.apply({ type: 'problem', message: problem.message });
  }

  private armStallTimer(): void {
    this.clearStallTimer();
    const delay = stallDelayMs(this.lastIntervalMs);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      this.apply({ type: 'stall-check', silentForMs: Date.now() - (this.lastTelegramAt ?? Date.now()) });
    }, delay);
    this.stallTimer.unref();
  }

  private clearStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private apply(event: ConnectionEvent): void {
    const before = this.stateValue;
    const after = nextConnectionState(before, event);
    if (after === before) return;
    this.stateValue = after;
    const significant = isSignificantChange(before, after);
    for (const user of this.users) this.deliver(() => user.onState(after, significant));
  }

  /** A failing user must neither stop the others nor reach the transport's event loop. */
  private deliver(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.problem(`delivering to a node failed: ${err instanceof Error ? err.message : String(err)}`, 'delivery');
    }
  }
}

function emptyStats(): ReaderStats {
  return {
    telegrams: 0,
    encryptedFrames: 0,
    bytesSkipped: 0,
    droppedPartials: 0,
    oversize: 0,
    crcFailures: 0,
    decryptFailures: 0,
    unauthenticated: 0,
    emitted: 0,
  };
}

function addStats(into: ReaderStats, from: ReaderStats): void {
  for (const key of Object.keys(into) as Array<keyof ReaderStats>) into[key] += from[key];
}

/** What a p1-in sees of its config node (`connection` on the p1-connection node). */
export interface ConnectionHandle {
  /** Names the source for default topics, e.g. "simulator" or "tcp-client". */
  readonly sourceName: string;
  subscribe(user: ConnectionUser): void;
  /** Resolves when, if this was the last user, the transport is closed. */
  unsubscribe(user: ConnectionUser): Promise<void>;
  health(): ConnectionHealth;
}

/** Stands in for a connection whose configuration is invalid: every user sees 'failed' with the reason. */
export class FailedConnection implements ConnectionHandle {
  private readonly state: ConnectionState;

  constructor(
    readonly sourceName: string,
    reason: string,
  ) {
    this.state = { phase: 'failed', reason };
  }

  subscribe(user: ConnectionUser): void {
    user.onState(this.state, true);
  }

  unsubscribe(): Promise<void> {
    return Promise.resolve();
  }

  health(): ConnectionHealth {
    return {
      telegrams: 0,
      crcFailures: 0,
      bytesSkipped: 0,
      droppedPartials: 0,
      oversize: 0,
      decryptFailures: 0,
      reconnects: 0,
      clientsRefused: 0,
      clientsDropped: 0,
      readersConnected: 0,
      readersRefused: 0,
      readersDropped: 0,
      lastTelegramAt: null,
    };
  }
}
