/**
 * Reassembles telegrams per message source for `p1-parse`: each source (an MQTT topic, a
 * TCP connection…) gets its own reader, so fragments from different meters never mix.
 * Both each reader's buffer and the number of sources are bounded. No Node-RED in here.
 */
import { ProblemTally } from '../protocol/problem-tally';
import { P1Reader, type ReaderOptions } from '../protocol/reader';
import type { P1Telegram } from '../protocol/types';
import { LruMap } from './lru-map';

/** At most this many sources are reassembled at once; the least recently heard one is forgotten. */
export const MAX_SOURCES = 64;

/** What one chunk produced; problems are counted per kind (bounded however hostile the chunk). */
export interface PushResult {
  telegrams: Array<{ telegram: P1Telegram; raw: string }>;
  problems: ProblemTally;
}

export class SourceReaders {
  private readonly readers: LruMap<string, P1Reader>;
  // The reader calls back synchronously from push(), so collecting into one result per push is enough.
  private current: PushResult = { telegrams: [], problems: new ProblemTally() };

  constructor(
    private readonly options: ReaderOptions,
    capacity = MAX_SOURCES,
  ) {
    this.readers = new LruMap(capacity);
  }

  /** Number of sources with a reader right now. */
  get size(): number {
    return this.readers.size;
  }

  push(source: string, chunk: Uint8Array | string): PushResult {
    const result: PushResult = { telegrams: [], problems: new ProblemTally() };
    this.current = result;
    try {
      const reader = this.readerFor(source);
      reader.push(chunk);
      // A message that stops right after a four-digit CRC holds a telegram without its final
      // line end (a template node, a trimmed payload): nothing more can belong to it, so it goes
      // out now, not with the next one. Otherwise, between frames, the run of skipped bytes is
      // reported now, so that a message holding only garbage is reported with that message; the
      // framing itself goes on as if the messages were one stream.
      if (endsAfterCrc(chunk)) reader.flush();
      else if (reader.buffered === 0) reader.reportSkipped();
    } finally {
      this.current = { telegrams: [], problems: new ProblemTally() };
    }
    return result;
  }

  clear(): void {
    this.readers.clear();
  }

  private readerFor(source: string): P1Reader {
    let reader = this.readers.get(source);
    if (!reader) {
      reader = new P1Reader(this.options, {
        onTelegram: (telegram, raw) => this.current.telegrams.push({ telegram, raw }),
        onProblem: (problem) => this.current.problems.add(problem),
      });
      // An evicted source loses its unfinished fragment; its next telegram starts afresh.
      this.readers.set(source, reader);
    }
    return reader;
  }
}

/** Whether `chunk` ends with a terminator line `!XXXX` (no line end yet) that starts inside the chunk. */
function endsAfterCrc(chunk: Uint8Array | string): boolean {
  const tail = typeof chunk === 'string' ? chunk.slice(-6) : Buffer.from(chunk.subarray(-6)).toString('latin1');
  return /\n![0-9A-Fa-f]{4}$/.test(tail);
}
