import { SerialPort } from 'serialport';
import { Backoff } from './backoff';
import { BaseTransport } from './base-transport';
import type { GarbageDiagnosis } from './garbage-diagnosis';
import { TelegramWatch } from './telegram-watch';

export type SerialFraming = 'dsmr45' /* 115200 8N1 */ | 'dsmr23' /* 9600 7E1 */ | 'auto' | 'custom';

export interface SerialSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

export const DSMR45_SETTINGS: SerialSettings = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 };
export const DSMR23_SETTINGS: SerialSettings = { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 };

/** The order auto-detect tries: DSMR 4/5, DSMR 2.2/3, then the two mixed forms seen in the wild. */
export const AUTO_DETECT_ORDER: readonly SerialSettings[] = [
  DSMR45_SETTINGS,
  DSMR23_SETTINGS,
  { baudRate: 115200, dataBits: 7, parity: 'even', stopBits: 1 },
  { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
];

export interface SerialTransportOptions {
  path: string;
  framing: SerialFraming;
  /** For `framing: 'custom'`; missing fields default to 115200 8N1. */
  custom?: Partial<SerialSettings>;
  /**
   * How long bytes may arrive without a telegram before they count as garbage: auto-detect
   * then tries the next framing, a fixed framing reports a diagnosis. Longer than the 10 s
   * telegram interval of DSMR 2.2–4. Default 12 s.
   */
  probeMs?: number;
  /** Cap of the retry delay (1 s doubling). Default 30 s. */
  maxBackoffMs?: number;
}

/** "115200 8N1", "9600 7E1". */
export function describeSettings(s: SerialSettings): string {
  return `${s.baudRate} ${s.dataBits}${s.parity[0].toUpperCase()}${s.stopBits}`;
}

/**
 * A serial port (USB P1 cable, TTL UART): opens it, reports garbage, reopens it after unplugs
 * and open errors. With `framing: 'auto'` it tries `AUTO_DETECT_ORDER` in turn until a
 * telegram arrives, then reports "<path> auto → 115200 8N1" and stays there. Bytes read
 * while probing are held back and passed on once the framing is confirmed.
 *
 * Garbage is reported as a `connected` state whose detail carries the diagnosis, e.g.
 * "/dev/ttyUSB0 115200 8N1 — receiving garbage: signal looks inverted: …"; after a whole
 * auto-detect round without a telegram: "/dev/ttyUSB0 auto: no telegram at any speed — …".
 */
export class SerialTransport extends BaseTransport {
  readonly description: string;
  private readonly probeMs: number;
  private port: SerialPort | undefined;
  private portOpened: Promise<boolean> | undefined;
  private watch: TelegramWatch | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  /** This port session has seen a telegram (auto: the framing is confirmed). */
  private verified = false;
  private telegramsSinceCheck = 0;
  private bytesSinceCheck = 0;
  /** The last state shows a garbage/silence diagnosis that the next telegram should clear. */
  private garbageShown = false;
  /** Auto-detect: bytes held back until the framing is confirmed. */
  private heldBack: Buffer[] = [];
  private autoIndex = 0;
  /** Auto-detect: diagnoses of the framings tried since the round started, and whether a round summary is showing. */
  private roundDiagnoses: Array<GarbageDiagnosis | undefined> = [];
  private roundStart = 0;
  private summaryShown = false;

  constructor(private readonly options: SerialTransportOptions) {
    super(new Backoff(1000, options.maxBackoffMs ?? 30_000));
    this.probeMs = options.probeMs ?? 12_000;
    const framing = options.framing === 'auto' ? 'auto' : describeSettings(this.fixedSettings());
    this.description = `serial ${options.path} ${framing}`;
  }

  private get auto(): boolean {
    return this.options.framing === 'auto';
  }

  private fixedSettings(): SerialSettings {
    if (this.options.framing === 'dsmr23') return DSMR23_SETTINGS;
    if (this.options.framing === 'custom') return { ...DSMR45_SETTINGS, ...definedOnly(this.options.custom ?? {}) };
    return DSMR45_SETTINGS;
  }

  private currentSettings(): SerialSettings {
    return this.auto ? AUTO_DETECT_ORDER[this.autoIndex] : this.fixedSettings();
  }

  protected connect(): void {
    const settings = this.currentSettings();
    const { path } = this.options;
    if (!this.auto) this.report({ state: 'connecting', detail: `${path} ${describeSettings(settings)}` });
    else if (!this.summaryShown) this.report({ state: 'connecting', detail: `${path} auto: trying ${describeSettings(settings)}` });

    const problem = path.trim() === '' ? 'no serial port configured' : invalidSettings(settings);
    if (problem) {
      this.fail(problem);
      return;
    }
    let port: SerialPort;
    try {
      port = new SerialPort({ path, ...settings, autoOpen: false });
    } catch (err) {
      this.fail(`invalid serial settings for ${path}: ${messageOf(err)}`);
      return;
    }
    this.port = port;
    port.on('error', (err: Error) => this.onLost(port, `${path}: ${err.message}`));
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (err?.disconnected) this.onLost(port, `${path} disconnected (unplugged?)`);
      else this.onLost(port, `${path} closed`);
    });
    port.on('end', () => this.onLost(port, `${path} closed`));
    this.portOpened = new Promise((resolve) =>
      port.open((err) => {
        resolve(!err);
        this.onOpened(port, settings, err);
      }),
    );
  }

  private onOpened(port: SerialPort, settings: SerialSettings, err: Error | null): void {
    if (port !== this.port) return; // released while opening
    if (err) {
      this.port = undefined;
      this.lose(openFailureReason(this.options.path, err));
      return;
    }
    this.verified = false;
    this.garbageShown = false;
    this.telegramsSinceCheck = 0;
    this.bytesSinceCheck = 0;
    this.heldBack = [];
    this.watch = new TelegramWatch(() => this.onTelegram(settings));
    port.on('data', (chunk: Buffer) => this.onData(port, chunk));
    this.checkTimer = setInterval(() => this.onCheck(settings), this.probeMs);
    if (!this.auto) this.report({ state: 'connected', detail: this.connectedDetail(settings) });
  }

  private onData(port: SerialPort, chunk: Buffer): void {
    if (port !== this.port || !this.watch) return;
    this.bytesSinceCheck += chunk.length;
    const holdBack = this.auto && !this.verified;
    if (holdBack) this.holdBack(chunk);
    this.watch.push(chunk); // may confirm the framing and flush what was held back, this chunk included
    if (!holdBack) this.emit('data', chunk);
  }

  /** Keep at most ~16 KB while probing: enough for the telegram that confirms the framing. */
  private holdBack(chunk: Buffer): void {
    this.heldBack.push(chunk);
    let total = this.heldBack.reduce((sum, c) => sum + c.length, 0);
    while (total > 16_384 && this.heldBack.length > 1) total -= this.heldBack.shift()!.length;
  }

  private onTelegram(settings: SerialSettings): void {
    this.telegramsSinceCheck++;
    if (this.verified && !this.garbageShown) return;
    this.verified = true;
    this.garbageShown = false;
    this.backoff.reset();
    if (this.auto) {
      this.summaryShown = false;
      this.roundDiagnoses = [];
      this.roundStart = this.autoIndex;
      const held = this.heldBack;
      this.heldBack = [];
      this.report({ state: 'connected', detail: this.connectedDetail(settings) });
      for (const chunk of held) this.emit('data', chunk);
    } else {
      this.report({ state: 'connected', detail: this.connectedDetail(settings) });
    }
  }

  /** Every `probeMs`: was there a telegram since the last check? */
  private onCheck(settings: SerialSettings): void {
    const watch = this.watch;
    if (!watch) return;
    const sawTelegram = this.telegramsSinceCheck > 0;
    const diagnosis = this.bytesSinceCheck > 0 ? watch.diagnose(settings.dataBits) : undefined;
    this.telegramsSinceCheck = 0;
    this.bytesSinceCheck = 0;
    if (sawTelegram) return;
    if (this.auto && !this.verified) {
      this.tryNextFraming(diagnosis);
      return;
    }
    const problem = diagnosis ? `receiving garbage: ${diagnosis.message}` : `no data for ${Math.round(this.probeMs / 1000)} s: is Data Request (pin 2) high?`;
    this.garbageShown = true;
    this.report({ state: 'connected', detail: `${this.connectedDetail(settings)} — ${problem}` });
  }

  private tryNextFraming(diagnosis: GarbageDiagnosis | undefined): void {
    this.roundDiagnoses.push(diagnosis);
    this.autoIndex = (this.autoIndex + 1) % AUTO_DETECT_ORDER.length;
    if (this.autoIndex === this.roundStart) {
      this.summaryShown = true;
      this.report({ state: 'connected', detail: `${this.options.path} auto: no telegram at any speed — ${summarise(this.roundDiagnoses)}` });
      this.roundDiagnoses = [];
    }
    this.reconnectNow();
  }

  private connectedDetail(settings: SerialSettings): string {
    return this.auto ? `${this.options.path} auto → ${describeSettings(settings)}` : `${this.options.path} ${describeSettings(settings)}`;
  }

  private onLost(port: SerialPort, reason: string): void {
    if (port === this.port) this.lose(reason);
  }

  private lose(reason: string): void {
    this.summaryShown = false; // the next attempt reports 'connecting' again
    this.retryLater(reason);
  }

  protected async release(): Promise<void> {
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    this.watch = undefined;
    this.heldBack = [];
    const port = this.port;
    const opened = this.portOpened;
    this.port = undefined;
    this.portOpened = undefined;
    if (!port || !(await opened)) return;
    if (port.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
    } else if (port.closing) {
      // A disconnect is closing it already; the OS handle is free once 'close' (or a close error) arrives.
      await new Promise<void>((resolve) => {
        port.once('close', () => resolve());
        port.once('error', () => resolve());
      });
    }
  }
}

/** The round's verdict: an inverted signal is the most useful thing to say, then parity, then any garbage. */
function summarise(diagnoses: Array<GarbageDiagnosis | undefined>): string {
  const seen = diagnoses.filter((d): d is GarbageDiagnosis => d !== undefined);
  if (seen.length === 0) return 'no data at all: is Data Request (pin 2) high?';
  const pick = seen.find((d) => d.kind === 'inverted') ?? seen.find((d) => d.kind === 'parity') ?? seen[0];
  return `receiving garbage: ${pick.message}`;
}

/**
 * serialport says "Error: No such file or directory, cannot open /dev/ttyUSB0";
 * we say "cannot open /dev/ttyUSB0: No such file or directory" and add the usual fix.
 */
export function openFailureReason(path: string, err: Error): string {
  const message = err.message.replace(/^Error:?\s*/, '');
  if (/cannot lock port/i.test(message)) return `cannot open ${path}: in use by another program`;
  const cause = message.replace(/,\s*cannot open .*$/i, '');
  if (/permission denied/i.test(cause)) return `cannot open ${path}: permission denied (add the Node-RED user to the dialout group)`;
  return `cannot open ${path}: ${cause}`;
}

/** Settings retrying cannot fix, in words; `undefined` when they are fine. */
function invalidSettings(s: SerialSettings): string | undefined {
  if (!Number.isInteger(s.baudRate) || s.baudRate <= 0) return `invalid baud rate ${s.baudRate}`;
  if (s.dataBits !== 7 && s.dataBits !== 8) return `invalid data bits ${s.dataBits} (7 or 8)`;
  if (!['none', 'even', 'odd'].includes(s.parity)) return `invalid parity ${s.parity} (none, even or odd)`;
  if (s.stopBits !== 1 && s.stopBits !== 2) return `invalid stop bits ${s.stopBits} (1 or 2)`;
  return undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
