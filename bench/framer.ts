/**
 * Streaming throughput: the framer alone (MB/s, CRC included) and P1Reader end to end
 * (framer + decrypt + parser, telegrams/s), over the whole telegram corpus as one byte stream
 * cut into seeded random chunks of 1–4096 bytes, as a serial port or socket delivers it.
 * The framer is also timed by the CPU time it used (what a busy shared machine does not
 * skew), and on hostile streams (floods of headers, slashes, cut-off telegrams), which must
 * stay linear.
 */
import { TelegramFramer } from '../src/protocol/framer';
import { P1Reader } from '../src/protocol/reader';
import { corpusStreamParts, loadEncryptedFixtures } from '../test/protocol/corpus-files';
import { SeededRandom, chunked } from '../test/protocol/seeded-random';

const MIN_MS = 2000;

/** Repeat `pass` (one trip over the corpus) for at least `minMs`; passes, seconds taken and CPU seconds used. */
function repeat(pass: () => void, minMs = MIN_MS): { passes: number; seconds: number; cpuSeconds: number } {
  for (let i = 0; i < 5; i++) pass(); // warm-up
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(minMs) * 1_000_000n;
  let passes = 0;
  let now = start;
  while (now < deadline) {
    pass();
    passes++;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { passes, seconds: Number(now - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Hostile streams of 4 MB each: what an attacker or a broken line can send. */
const HOSTILE: Array<[string, string]> = [
  ['header lines ("/A")', '/A\r\n'],
  ['glued headers ("/ISK5")', '/ISK5'],
  ['slashes', '/'],
  ['cut-off telegrams', '/ISK5\\2M550T-1012\r\n\r\n1-0:1.8.1(000123.456*kWh)\r\n1-0:1.7.0(00.1'],
];

function hostileThroughput(): Record<string, number> {
  const results: Record<string, number> = {};
  for (const [name, unit] of HOSTILE) {
    const stream = Buffer.from(unit.repeat(Math.ceil((4 << 20) / unit.length)), 'latin1');
    const framer = new TelegramFramer({ onFrame: () => undefined, onDiscard: () => undefined });
    const run = repeat(() => {
      for (let at = 0; at < stream.length; at += 4096) framer.push(stream.subarray(at, at + 4096));
    }, 500);
    results[name] = (stream.length * run.passes) / run.cpuSeconds / 1e6;
  }
  return results;
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
  const megabytesPerCpuSecond = (stream.length * framing.passes) / framing.cpuSeconds / 1e6;
  const hostile = hostileThroughput();

  let telegrams = 0;
  const reader = new P1Reader({ crcPolicy: 'flag', decryptionKey: luxembourg.key, allowUnauthenticated: true }, { onTelegram: () => telegrams++ });
  const heapBefore = process.memoryUsage().heapUsed;
  const reading = repeat(() => {
    for (const chunk of chunks) reader.push(chunk);
  });
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const telegramsPerPass = telegrams / (reading.passes + 5);
  const telegramsPerSecond = (telegramsPerPass * reading.passes) / reading.seconds;

  console.log(
    `  framer: ${megabytesPerSecond.toFixed(1)} MB/s over a ${(stream.length / 1024).toFixed(0)} KB corpus stream (${framesPerPass} frames per pass, chunks of 1–4096 bytes)`,
  );
  console.log(`  framer by CPU time: ${megabytesPerCpuSecond.toFixed(1)} MB/s (goal > 100 MB/s)`);
  console.log(
    `  framer on hostile streams (CPU time): ${Object.entries(hostile)
      .map(([name, rate]) => `${name} ${rate.toFixed(0)} MB/s`)
      .join(', ')}`,
  );
  console.log(
    `  reader (frame + decrypt + parse): ${telegramsPerSecond.toFixed(0)} telegrams/s, ${(1e6 / telegramsPerSecond).toFixed(1)} µs/telegram (${telegramsPerPass} telegrams per pass)`,
  );
  return {
    corpusBytes: stream.length,
    chunks: chunks.length,
    framerMegabytesPerSecond: megabytesPerSecond,
    framerMegabytesPerCpuSecond: megabytesPerCpuSecond,
    framerHostileMegabytesPerCpuSecond: hostile,
    framerFramesPerPass: framesPerPass,
    readerTelegramsPerSecond: telegramsPerSecond,
    readerMicrosecondsPerTelegram: 1e6 / telegramsPerSecond,
    readerTelegramsPerPass: telegramsPerPass,
    readerHeapGrowthBytes: heapGrowth,
  };
}
