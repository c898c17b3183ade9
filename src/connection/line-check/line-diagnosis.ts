/**
 * What a line check found in the bytes one serial port or TCP bridge sent during a few seconds:
 * a verdict the p1-connection dialog turns into plain words and a fix (no bytes, garbage and why,
 * telegrams with CRC errors, encrypted frames without a key, good telegrams), with the evidence:
 * the first bytes as text and hex, counts, the meter and its first values.
 *
 * Pure: the caller records bytes with their arrival times (line-check-run.ts); nothing here opens,
 * waits or reads a clock. The verdict's words live in the editor's message catalogues
 * (nodes/locales/<lang>/p1-connection.json, `lineCheck.*`), so each user reads them in the
 * editor's language.
 */
import { P1Reader, type ReaderOptions } from '../../protocol/reader';
import type { P1Telegram } from '../../protocol/types';
import { diagnoseGarbage } from '../../transport/garbage-diagnosis';

export type LinkKind = 'serial' | 'tcp';

export const LINE_VERDICTS = [
  'ok',
  'crc-errors',
  'encrypted-no-key',
  'wrong-key',
  'inverted',
  'speed',
  'parity',
  'text',
  'telnet',
  'no-bytes',
  'cannot-open',
] as const;
export type LineVerdict = (typeof LINE_VERDICTS)[number];

/** The standard settings a verdict can point to (the dialog's "Serial settings" values). */
export type FramingSuggestion = 'dsmr45' | 'dsmr23' | 'auto';

/** How the checked port reads the line; unknown for a bridge (its own serial settings decide). */
export interface LineReading {
  baudRate: number;
  dataBits: 7 | 8;
  /** "115200 8N1". */
  description: string;
}

export interface LineCheckSetup {
  link: LinkKind;
  reading?: LineReading;
  /** Keys and CRC policy as the dialog has them (the CRC policy is overridden: the check sees every telegram). */
  reader: ReaderOptions;
}

export interface MeterSummary {
  header: string;
  manufacturer: string;
  version: string | null;
  equipmentId: string | null;
  /** Seconds between the telegrams seen, `null` after only one. */
  intervalSeconds: number | null;
  /** The first numeric values with a unit, in the order the meter sends them. */
  values: Array<{ code: string; name?: string; value: number; unit: string }>;
}

export interface LineCheckResult {
  verdict: LineVerdict;
  link: LinkKind;
  /** "115200 8N1" for a serial port; `null` for a bridge. */
  readAs: string | null;
  listenedSeconds: number;
  bytes: number;
  /** The first bytes received: printable text (line ends kept, other control bytes as "·") and hex. */
  firstBytes: { text: string; hex: string };
  /** The stream started with telnet negotiation (IAC 0xFF …): a bridge in telnet mode. */
  telnet: boolean;
  /** Telegrams with a valid or absent CRC. */
  telegrams: number;
  crcErrors: number;
  /** crcErrors / (telegrams + crcErrors), 0 without telegrams. */
  crcErrorRate: number;
  /** For `crc-errors`: damaged telegrams shorter than good ones lost bytes; otherwise bytes were changed on the way. */
  crcCause?: 'lost-bytes' | 'changed-bytes';
  encryptedFrames: number;
  decryptFailures: number;
  /** For `speed` (and `parity`): the setting that fits what arrived. */
  suggestion?: FramingSuggestion;
  /** For `speed`: the bytes are what a fast port reads from a slower line (mostly 0x00). */
  slowerLine?: boolean;
  meter?: MeterSummary;
  /** For `cannot-open`: why the port or socket could not be opened. */
  reason?: string;
  /** The bytes came from the deployed connection that already reads this port. */
  shared?: boolean;
}

/** Bytes shown in the dialog. */
const FIRST_BYTES = 64;
/** Bytes kept from the start, to strip telnet negotiation before diagnosing. */
const HEAD_BYTES = 4096;
/** Bytes diagnosed when no telegram arrives (what garbage-diagnosis was measured on). */
const SAMPLE_BYTES = 512;
/** Share of 0x00 bytes from which garbage is a slow line read by a fast port (each long low bit is a break). */
const SLOWER_LINE_ZERO_SHARE = 0.5;
/** Values listed for a good telegram. */
const FIRST_VALUES = 6;

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;

/** Collects what arrives during a check and gives the verdict. */
export class LineRecorder {
  private readonly reader: P1Reader;
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private total = 0;
  private readonly telegramTimes: number[] = [];
  private readonly goodLengths: number[] = [];
  private readonly badLengths: number[] = [];
  private first: P1Telegram | undefined;
  private now = 0;

  constructor(private readonly setup: LineCheckSetup) {
    this.reader = new P1Reader({ ...setup.reader, crcPolicy: 'flag' }, { onTelegram: (telegram, raw) => this.onTelegram(telegram, raw) });
  }

  push(chunk: Uint8Array, atMs: number): void {
    this.now = atMs;
    this.total += chunk.length;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    const joined = Buffer.concat([this.tail, chunk]);
    this.tail = joined.subarray(Math.max(0, joined.length - SAMPLE_BYTES));
    this.reader.push(chunk);
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.total;
  }

  /** Whole frames seen (telegrams with any CRC, encrypted frames): two are enough for a verdict and an interval. */
  get frames(): number {
    const stats = this.reader.stats;
    return this.telegramTimes.length + this.badLengths.length + stats.encryptedFrames;
  }

  result(listenedMs: number): LineCheckResult {
    const stats = this.reader.stats;
    const telnetLength = this.setup.link === 'tcp' ? telnetPrefixLength(this.head) : 0;
    const telegrams = this.goodLengths.length;
    const crcErrors = this.badLengths.length;
    const base: LineCheckResult = {
      verdict: 'no-bytes',
      link: this.setup.link,
      readAs: this.setup.reading?.description ?? null,
      listenedSeconds: Math.round(listenedMs / 100) / 10,
      bytes: this.total,
      firstBytes: showBytes(this.head.subarray(0, FIRST_BYTES)),
      telnet: telnetLength > 0,
      telegrams,
      crcErrors,
      crcErrorRate: telegrams + crcErrors === 0 ? 0 : crcErrors / (telegrams + crcErrors),
      encryptedFrames: stats.encryptedFrames,
      decryptFailures: stats.decryptFailures,
    };
    if (this.first) base.meter = this.summary(this.first);
    return { ...base, ...this.verdict(telnetLength) };
  }

  private verdict(telnetLength: number): Partial<LineCheckResult> {
    const stats = this.reader.stats;
    if (this.badLengths.length > 0) return { verdict: 'crc-errors', crcCause: this.crcCause() };
    if (this.goodLengths.length > 0) return { verdict: 'ok' };
    if (stats.encryptedFrames > 0) return { verdict: this.setup.reader.decryptionKey ? 'wrong-key' : 'encrypted-no-key' };
    if (this.total === 0) return { verdict: 'no-bytes' };
    if (this.total <= telnetLength) return { verdict: 'telnet' };
    return this.garbage(telnetLength);
  }

  private garbage(telnetLength: number): Partial<LineCheckResult> {
    const sample = this.total <= HEAD_BYTES ? lastBytes(this.head.subarray(telnetLength), SAMPLE_BYTES) : this.tail;
    const reading = this.setup.reading;
    const slowerLine = zeroShare(sample) >= SLOWER_LINE_ZERO_SHARE;
    if (slowerLine) return { verdict: 'speed', slowerLine, suggestion: 'dsmr23' };
    const kind = diagnoseGarbage(sample, reading?.dataBits ?? 8).kind;
    switch (kind) {
      case 'text':
        return { verdict: 'text' };
      case 'parity':
        return { verdict: 'parity', suggestion: 'dsmr23' };
      case 'inverted':
        return { verdict: 'inverted' };
      case 'wrong-framing':
        return { verdict: 'speed', slowerLine, suggestion: otherSpeed(reading) };
    }
  }

  private crcCause(): 'lost-bytes' | 'changed-bytes' | undefined {
    if (this.goodLengths.length === 0) return undefined;
    const shortestGood = Math.min(...this.goodLengths);
    return this.badLengths.some((length) => length < shortestGood) ? 'lost-bytes' : 'changed-bytes';
  }

  private onTelegram(telegram: P1Telegram, raw: string): void {
    if (telegram.crc.valid === false) {
      this.badLengths.push(raw.length);
      return;
    }
    this.goodLengths.push(raw.length);
    this.telegramTimes.push(this.now);
    this.first ??= telegram;
  }

  private summary(telegram: P1Telegram): MeterSummary {
    const times = this.telegramTimes;
    const intervalSeconds = times.length < 2 ? null : Math.round((times[times.length - 1] - times[0]) / (times.length - 1) / 100) / 10;
    const values: MeterSummary['values'] = [];
    for (const [code, object] of Object.entries(telegram.obis)) {
      if (values.length >= FIRST_VALUES) break;
      if (typeof object.value === 'number' && object.unit) values.push({ code, name: object.name, value: object.value, unit: object.unit });
    }
    return {
      header: telegram.header,
      manufacturer: telegram.manufacturer,
      version: telegram.version,
      equipmentId: telegram.equipmentId,
      intervalSeconds,
      values,
    };
  }
}

/** The verdict for a port or socket that could not be opened at all. */
export function cannotOpen(setup: LineCheckSetup, reason: string, listenedMs: number): LineCheckResult {
  return { ...new LineRecorder(setup).result(listenedMs), verdict: 'cannot-open', reason };
}

/** The other standard speed than the one read at; for other speeds, let auto-detect find it. */
function otherSpeed(reading: LineReading | undefined): FramingSuggestion | undefined {
  if (!reading) return undefined;
  if (reading.baudRate === 115200) return 'dsmr23';
  if (reading.baudRate === 9600) return 'dsmr45';
  return 'auto';
}

/**
 * Length of the telnet negotiation a bridge sends on connect (ser2net in telnet mode): IAC
 * followed by WILL/WONT/DO/DONT and an option, a subnegotiation IAC SB … IAC SE, or another
 * two-byte command. 0 when the stream does not start with IAC.
 */
export function telnetPrefixLength(bytes: Uint8Array): number {
  let at = 0;
  while (at + 1 < bytes.length && bytes[at] === IAC) {
    const command = bytes[at + 1];
    if (command === IAC) break; // an escaped 0xFF data byte
    if (command === SB) {
      const end = findSubnegotiationEnd(bytes, at + 2);
      if (end < 0) return bytes.length;
      at = end;
    } else if (command >= 0xfb && command <= 0xfe) {
      at += 3;
    } else {
      at += 2;
    }
  }
  return Math.min(at, bytes.length);
}

function findSubnegotiationEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) if (bytes[i] === IAC && bytes[i + 1] === SE) return i + 2;
  return -1;
}

function showBytes(bytes: Uint8Array): { text: string; hex: string } {
  let text = '';
  for (const b of bytes) {
    if (b === 0x0d) continue; // CR LF shows as one line break
    text += b === 0x0a || (b >= 0x20 && b <= 0x7e) ? String.fromCharCode(b) : '·';
  }
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  return { text, hex };
}

function lastBytes(bytes: Buffer, count: number): Buffer {
  return bytes.subarray(Math.max(0, bytes.length - count));
}

function zeroShare(sample: Uint8Array): number {
  if (sample.length === 0) return 0;
  let zeros = 0;
  for (const b of sample) if (b === 0) zeros++;
  return zeros / sample.length;
}
