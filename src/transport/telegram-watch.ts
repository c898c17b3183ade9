import { TelegramFramer } from '../protocol/framer';
import { diagnoseGarbage, type GarbageDiagnosis } from './garbage-diagnosis';

/** How many of the most recent non-telegram bytes are kept for a diagnosis. */
const SAMPLE_SIZE = 512;

/**
 * Watches a byte stream for whole telegrams, so a serial transport can tell "the framing is
 * right" from "garbage": a telegram with a valid or absent CRC, or an encrypted frame, counts.
 * Keeps a small sample of the bytes since the last telegram to diagnose garbage.
 */
export class TelegramWatch {
  private readonly framer: TelegramFramer;
  private sample: Buffer = Buffer.alloc(0);
  private bytesSinceTelegram = 0;

  constructor(onTelegram: () => void) {
    this.framer = new TelegramFramer({
      onFrame: (frame) => {
        if (frame.kind === 'telegram' && frame.crc.valid === false) return;
        this.sample = Buffer.alloc(0);
        this.bytesSinceTelegram = 0;
        onTelegram();
      },
    });
  }

  push(chunk: Buffer): void {
    this.bytesSinceTelegram += chunk.length;
    const joined = this.sample.length === 0 ? chunk : Buffer.concat([this.sample, chunk]);
    this.sample = joined.length > SAMPLE_SIZE ? Buffer.from(joined.subarray(joined.length - SAMPLE_SIZE)) : joined;
    this.framer.push(chunk);
  }

  /** Whether any byte arrived since the last telegram (or since the start). */
  get hasUnframedBytes(): boolean {
    return this.bytesSinceTelegram > 0;
  }

  /** What the bytes since the last telegram look like; `undefined` when there were none. */
  diagnose(dataBits: 7 | 8): GarbageDiagnosis | undefined {
    return this.sample.length === 0 ? undefined : diagnoseGarbage(this.sample, dataBits);
  }
}
