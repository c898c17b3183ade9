import { decryptFrame, DecryptError, readKey } from './decrypt';
import { TelegramFramer, type Frame, type FrameDiscard, type FramerStats } from './framer';
import { TelegramParser } from './parser';
import type { CrcCheck, P1Telegram, ParseOptions } from './types';

/**
 * What the config node and `p1-parse` use: framer + decryption + parser + CRC policy +
 * counters. Bytes (or latin1 strings) in; parsed telegrams and plain-language problems out.
 * Never throws on bad input; exceptions thrown by the handlers themselves do propagate.
 */

export interface ReaderOptions extends ParseOptions {
  /** 'drop' (default): a telegram whose CRC is present and wrong is never emitted. 'flag': emitted with `crc.valid === false`. */
  crcPolicy?: 'drop' | 'flag';
  maxTelegramSize?: number;
  /** Encryption key for DLMS-wrapped telegrams (16 bytes or 32 hex digits); empty = none. */
  decryptionKey?: string | Uint8Array;
  /** Authentication key; without one the Luxembourg key and then no AAD are tried. */
  authenticationKey?: string | Uint8Array;
  /**
   * With a decryption key set, only frames whose GCM tag checks out (security byte 0x30) are
   * accepted: plaintext telegrams and 0x20 frames (encrypted, no tag) are rejected and counted,
   * since anyone on the line can forge them. `true` accepts them too. Without a key it does nothing.
   */
  allowUnauthenticated?: boolean;
}

export interface ReaderProblem {
  kind: 'crc' | 'skipped' | 'partial' | 'oversize' | 'decrypt' | 'unauthenticated';
  message: string;
}

export interface ReaderStats extends FramerStats {
  decryptFailures: number;
  /** Plaintext telegrams and untagged frames rejected because a key is set (see `allowUnauthenticated`). */
  unauthenticated: number;
  emitted: number;
}

export interface ReaderHandlers {
  onTelegram(telegram: P1Telegram, raw: string): void;
  onProblem?(problem: ReaderProblem): void;
}

/** The keys checked once, up front: a bad key is reported with each encrypted frame, not thrown. */
type Keys = { key: Buffer; authenticationKey?: Buffer } | { error: string } | null;

export class P1Reader {
  private readonly framer: TelegramFramer;
  /** Frames decrypted plaintext, which is a complete telegram with its own CRC. */
  private readonly plaintextFramer: TelegramFramer;
  private readonly dropBadCrc: boolean;
  private readonly parser: TelegramParser;
  private readonly keys: Keys;
  private readonly requireAuthentication: boolean;
  private decryptFailures = 0;
  private unauthenticated = 0;
  private emitted = 0;

  constructor(
    options: ReaderOptions,
    private readonly handlers: ReaderHandlers,
  ) {
    const { crcPolicy, maxTelegramSize, decryptionKey, authenticationKey, allowUnauthenticated, ...parseOptions } = options;
    this.dropBadCrc = crcPolicy !== 'flag';
    this.parser = new TelegramParser(parseOptions);
    this.keys = checkKeys(decryptionKey, authenticationKey);
    this.requireAuthentication = this.keys !== null && allowUnauthenticated !== true;
    const onDiscard = (discard: FrameDiscard): void => this.problem(discard.reason, describeDiscard(discard));
    this.framer = new TelegramFramer({ maxTelegramSize, onFrame: (frame) => this.handleFrame(frame, false), onDiscard });
    this.plaintextFramer = new TelegramFramer({ maxTelegramSize, onFrame: (frame) => this.handleFrame(frame, true), onDiscard });
  }

  get stats(): ReaderStats {
    const outer = this.framer.stats;
    const inner = this.plaintextFramer.stats;
    return {
      telegrams: outer.telegrams + inner.telegrams,
      encryptedFrames: outer.encryptedFrames,
      bytesSkipped: outer.bytesSkipped + inner.bytesSkipped,
      droppedPartials: outer.droppedPartials + inner.droppedPartials,
      oversize: outer.oversize + inner.oversize,
      crcFailures: outer.crcFailures + inner.crcFailures,
      decryptFailures: this.decryptFailures,
      unauthenticated: this.unauthenticated,
      emitted: this.emitted,
    };
  }

  /** Bytes held for an unfinished frame (bounded by `maxTelegramSize`). */
  get buffered(): number {
    return this.framer.buffered;
  }

  /** Feed bytes as they arrive; a string is taken as latin1 (one char per byte). */
  push(chunk: Uint8Array | string): void {
    this.framer.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }

  /** The input ended: emit a telegram that only lacks its final line end, report anything unfinished. */
  flush(): void {
    this.framer.flush();
  }

  /** Report the bytes skipped so far now (the end of one message of a stream); framing goes on unchanged. */
  reportSkipped(): void {
    this.framer.reportSkipped();
  }

  /** Start over (reconnect): anything unfinished is dropped and reported; counters are kept. */
  reset(): void {
    this.framer.reset();
  }

  /** `decrypted`: the frame came out of an encrypted frame, whose tag was checked if required. */
  private handleFrame(frame: Frame, decrypted: boolean): void {
    if (frame.kind === 'encrypted') this.decrypt(frame.bytes);
    else if (this.requireAuthentication && !decrypted) this.rejectUnauthenticated('plaintext telegram');
    else this.handleTelegram(frame.text, frame.crc);
  }

  private rejectUnauthenticated(what: string): void {
    this.unauthenticated++;
    this.problem(
      'unauthenticated',
      `${what} rejected: a decryption key is set, so only authenticated encrypted frames are accepted (option "allow unauthenticated" accepts it)`,
    );
  }

  private handleTelegram(text: string, crc: CrcCheck): void {
    if (crc.valid === false) {
      const verdict = this.dropBadCrc ? 'telegram dropped' : 'telegram passed on flagged (crcPolicy "flag")';
      this.problem('crc', `CRC mismatch: stated ${crc.stated}, computed ${crc.computed} — ${verdict}`);
      if (this.dropBadCrc) return;
    }
    const telegram = this.parser.parse(text, crc);
    this.emitted++;
    this.handlers.onTelegram(telegram, text);
  }

  private decrypt(frame: Buffer): void {
    if (this.keys === null || 'error' in this.keys) {
      this.decryptFailed(`encrypted frame received but ${this.keys === null ? 'no decryption key configured' : this.keys.error}`);
      return;
    }
    let plaintext: Buffer;
    try {
      plaintext = decryptFrame(frame, { ...this.keys, requireAuthentication: this.requireAuthentication });
    } catch (error) {
      if (!(error instanceof DecryptError)) throw error;
      if (error.reason === 'unauthenticated') this.rejectUnauthenticated('encrypted frame without authentication tag (security byte 0x20)');
      else this.decryptFailed(`encrypted frame could not be decrypted (${error.reason}): ${error.message} — frame dropped`);
      return;
    }
    // A fresh start per frame: one frame's leftovers never merge with the next.
    this.plaintextFramer.push(plaintext);
    this.plaintextFramer.flush();
  }

  private decryptFailed(message: string): void {
    this.decryptFailures++;
    this.problem('decrypt', message);
  }

  private problem(kind: ReaderProblem['kind'], message: string): void {
    this.handlers.onProblem?.({ kind, message });
  }
}

function checkKeys(decryptionKey?: string | Uint8Array, authenticationKey?: string | Uint8Array): Keys {
  if (decryptionKey === undefined || decryptionKey.length === 0) return null;
  try {
    const key = readKey(decryptionKey, 'the decryption key');
    const hasAuthenticationKey = authenticationKey !== undefined && authenticationKey.length > 0;
    return hasAuthenticationKey ? { key, authenticationKey: readKey(authenticationKey, 'the authentication key') } : { key };
  } catch (error) {
    if (error instanceof DecryptError) return { error: error.message };
    throw error;
  }
}

function describeDiscard(discard: FrameDiscard): string {
  switch (discard.reason) {
    case 'skipped':
      return `${discard.detail} (not part of a telegram)`;
    case 'partial':
      return `incomplete telegram dropped: ${discard.detail}`;
    case 'oversize':
      return discard.detail;
  }
}
