/**
 * Streaming throughput: the framer alone (MB/s, CRC included) and P1Reader end to end
 * (framer + decrypt + parser, telegrams/s), over the whole shared corpus as one byte stream
 * cut into seeded random chunks of 1–4096 bytes, as a serial port or socket delivers it.
 */
import { TelegramFramer } from '../src/protocol/framer';
import { P1Reader } from '../src/protocol/reader';
import { corpusStreamParts, loadEncryptedFixtures } from '../test/protocol/corpus-files';
import { SeededRandom, chunked } from '../test/protocol/seeded-random';

const MIN_MS = 2000;

/** Repeat `pass` (one trip over the corpus) for at least `minMs`; passes and seconds taken. */
function repeat(pass: () => void, minMs = MIN_MS): { passes: number; seconds: number } {
  for (let i = 0; i < 5; i++) pass(); // warm-up
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(minMs) * 1_000_000n;
  let passes = 0;
  let now = start;
  while (now < deadline) {
    pass();
    passes++;
    now = process.hrtime.bigint();
  }
  return { passes, seconds: Number(now - start) / 1e9 };
}

export async function runFramerBench(): Promise<Record<string, unknown>> {
  const stream = Buffer.concat(corpusStreamParts());
  const chunks = chunked(stream, new SeededRandom(2026), 1, 4096);
  const luxembourg = loadEncryptedFixtures().find((f) => f.file.includes('lu_smarty_real'))!;

  let frames = 0;
  const framer = new TelegramFramer({ onFrame: () => frames++ });
  const framing = repeat(() => {
    for (const chunk of chunks) framer.push(chunk);
  });
  const framesPerPass = frames / (framing.passes + 5);
  const megabytesPerSecond = (stream.length * framing.passes) / framing.seconds / 1e6;

  let telegrams = 0;
  const reader = new P1Reader({ crcPolicy: 'flag', decryptionKey: luxembourg.key, allowUnauthenticated: true }, { onTelegram: () => telegrams++ });
  const heapBefore = process.memoryUsage().heapUsed;
  const reading = repeat(() => {
    for (const chunk of chunks) reader.push(chunk);
  });
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const telegramsPerPass = telegrams / (reading.passes + 5);
  const telegramsPerSecond = (telegramsPerPass * reading.passes) / reading.seconds;

  console.log(`  framer: ${megabytesPerSecond.toFixed(1)} MB/s over a ${(stream.length / 1024).toFixed(0)} KB corpus stream (${framesPerPass} frames per pass, chunks of 1–4096 bytes)`);
  console.log(`  reader (frame + decrypt + parse): ${telegramsPerSecond.toFixed(0)} telegrams/s, ${(1e6 / telegramsPerSecond).toFixed(1)} µs/telegram (${telegramsPerPass} telegrams per pass)`);
  return {
    corpusBytes: stream.length,
    chunks: chunks.length,
    framerMegabytesPerSecond: megabytesPerSecond,
    framerFramesPerPass: framesPerPass,
    readerTelegramsPerSecond: telegramsPerSecond,
    readerMicrosecondsPerTelegram: 1e6 / telegramsPerSecond,
    readerTelegramsPerPass: telegramsPerPass,
    readerHeapGrowthBytes: heapGrowth,
  };
}
